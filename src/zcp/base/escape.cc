#include "zcp/base/escape.h"

#include <cstdint>

namespace zcp {
namespace {

void append_hex(std::string& out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : bytes) {
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 0xf];
  }
}

// Length of the valid UTF-8 sequence at text[i] and its code point, or 0
// when the bytes there are not one (overlong, surrogate, truncated, > U+10FFFF).
size_t utf8_sequence(std::string_view text, size_t i, uint32_t& cp) {
  auto lead = static_cast<unsigned char>(text[i]);
  size_t n = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    n = 2, cp = lead & 0x1f;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    n = 3, cp = lead & 0x0f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    n = 4, cp = lead & 0x07;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    auto c = static_cast<unsigned char>(text[i + k]);
    if ((c & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3f);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

bool is_hidden_code_point(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) ||      // C1 controls (0x9b is a CSI)
         (cp >= 0x202a && cp <= 0x202e) ||  // bidi embeddings and overrides
         (cp >= 0x2066 && cp <= 0x2069) ||  // bidi isolates
         cp == 0x2028 || cp == 0x2029;      // line and paragraph separators
}

std::string escape(std::string_view text, size_t max_bytes, bool quote_chars) {
  bool cut = text.size() > max_bytes;
  if (cut) text = text.substr(0, max_bytes);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f || (quote_chars && (c == '\\' || c == '"'))) {
        append_hex(out, text.substr(i, 1));
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    size_t n = utf8_sequence(text, i, cp);
    if (n == 0) {
      append_hex(out, text.substr(i, 1));  // one byte at a time: resync
      ++i;
    } else {
      if (is_hidden_code_point(cp)) {
        append_hex(out, text.substr(i, n));
      } else {
        out += text.substr(i, n);
      }
      i += n;
    }
  }
  if (cut) out += "...";
  return out;
}

}  // namespace

std::string escape_peer_text(std::string_view text, size_t max_bytes) {
  return escape(text, max_bytes, true);
}

std::string escape_terminal_text(std::string_view text, size_t max_bytes) {
  return escape(text, max_bytes, false);
}

}  // namespace zcp
