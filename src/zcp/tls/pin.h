// Public-key pins in curl's --pinnedpubkey form: "sha256//" + base64 of the
// SHA-256 of the DER SubjectPublicKeyInfo; several joined with ';'.
#pragma once

#include <openssl/evp.h>

#include <string>
#include <string_view>
#include <vector>

#include "zcp/status.h"

namespace zcp {

// The pin of `key`.
Result<std::string> public_key_pin(const EVP_PKEY* key);

// Splits and checks "sha256//A;sha256//B" (kInvalid naming the bad piece:
// zcp takes hashes only, not curl's file form).
Result<std::vector<std::string>> parse_pins(std::string_view text);

// Whether `pin` is one of `pins`.
bool pin_matches(const std::vector<std::string>& pins, const std::string& pin);

}  // namespace zcp
