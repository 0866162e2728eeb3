#include "zcp/tls/ossl.h"

#include <openssl/err.h>

namespace zcp {

std::string drain_openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

Status openssl_error(std::string op, Code code) {
  std::string why = drain_openssl_errors();
  return Status(code, std::move(op), why.empty() ? "failed" : why);
}

BioPtr pem_bio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

}  // namespace zcp
