#include "zcp/status.h"

#include <cstring>

namespace zcp {

bool Status::retryable() const {
  switch (code_) {
    case Code::kWouldBlock:
    case Code::kPeerClosed:
      return true;
    case Code::kSystem:
      switch (err_) {
        case ECONNREFUSED: case ECONNRESET: case ECONNABORTED: case EPIPE:
        case ETIMEDOUT: case EHOSTUNREACH: case ENETUNREACH: case ENETDOWN:
        case EINTR: case EAGAIN:
          return true;
        default:
          return false;
      }
    default:
      return false;
  }
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  std::string out = op_;
  if (!subject_.empty()) {
    if (!out.empty()) out += ' ';
    out += subject_;
  }
  std::string why = message_;
  if (err_ != 0) {
    if (!why.empty()) why += ": ";
    why += std::strerror(err_);
  }
  if (why.empty()) why = "failed";
  if (!out.empty()) out += ": ";
  return out + why;
}

}  // namespace zcp
