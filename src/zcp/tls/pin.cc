#include "zcp/tls/pin.h"

#include <openssl/sha.h>
#include <openssl/x509.h>

#include <algorithm>

#include "zcp/tls/ossl.h"

namespace zcp {

Result<std::string> public_key_pin(const EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key, &der);
  if (len <= 0) return openssl_error("i2d_PUBKEY");
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<size_t>(len), digest);
  OPENSSL_free(der);
  unsigned char b64[64];
  int n = EVP_EncodeBlock(b64, digest, sizeof(digest));
  return "sha256//" + std::string(reinterpret_cast<char*>(b64), static_cast<size_t>(n));
}

Result<std::vector<std::string>> parse_pins(std::string_view text) {
  std::vector<std::string> pins;
  constexpr std::string_view kPrefix = "sha256//";
  while (!text.empty()) {
    size_t end = std::min(text.find(';'), text.size());
    std::string_view piece = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    // 32 bytes of SHA-256 are 44 base64 characters ending in one '='.
    bool ok = piece.starts_with(kPrefix) && piece.size() == kPrefix.size() + 44 &&
              piece.back() == '=' &&
              std::all_of(piece.begin() + kPrefix.size(), piece.end() - 1, [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
              });
    if (!ok) {
      return Status::invalid(
          "bad pin '" + std::string(piece.substr(0, 80)) +
          "': want sha256// and 44 base64 characters (curl's --pinnedpubkey form)");
    }
    pins.emplace_back(piece);
  }
  if (pins.empty()) return Status::invalid("empty pin");
  return pins;
}

bool pin_matches(const std::vector<std::string>& pins, const std::string& pin) {
  return std::find(pins.begin(), pins.end(), pin) != pins.end();
}

}  // namespace zcp
