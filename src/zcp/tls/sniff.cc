#include "zcp/tls/sniff.h"

#include <cctype>

namespace zcp {

// A TLS record starts 0x16 (handshake), 0x03 (major version); a request
// line starts with a method token of upper-case letters and a space.
FirstBytes classify_first_bytes(std::string_view b) {
  if (b.empty()) return FirstBytes::kNeedMore;
  if (static_cast<unsigned char>(b[0]) == 0x16) {
    if (b.size() < 2) return FirstBytes::kNeedMore;
    return b[1] == 0x03 ? FirstBytes::kTls : FirstBytes::kUnknown;
  }
  for (size_t i = 0; i < b.size() && i < 16; ++i) {
    auto c = static_cast<unsigned char>(b[i]);
    if (c == ' ') return i > 0 ? FirstBytes::kPlainHttp : FirstBytes::kUnknown;
    if (!std::isupper(c)) return FirstBytes::kUnknown;
  }
  return b.size() < 16 ? FirstBytes::kNeedMore : FirstBytes::kUnknown;
}

}  // namespace zcp
