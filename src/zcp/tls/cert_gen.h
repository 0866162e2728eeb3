// Certificates made in memory: the ephemeral self-signed one behind
// `zcp serve --tls-self-signed`, and the expired, misnamed or CA-signed
// ones tests need. EC P-256 keys (fast to make). Also the public-key pin
// in curl's --pinnedpubkey form. Not a CA tool: no CRLs, no serial registry.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "zcp/status.h"

namespace zcp {

struct CertSpec {
  std::vector<std::string> dns_names{"localhost"};        // subjectAltName DNS; the first is the CN
  std::vector<std::string> ip_names{"127.0.0.1", "::1"};  // subjectAltName IP
  int64_t not_before = -3600;                             // seconds from now
  int64_t not_after = 30 * 86400;  // seconds from now (negative: already expired)
  bool is_ca = false;              // basicConstraints CA:TRUE, keyCertSign
};

// A certificate and its private key, PEM, and the key's pin.
struct Credential {
  std::string cert_pem;
  std::string key_pem;
  std::string pin;  // "sha256//BASE64" of the DER SubjectPublicKeyInfo
};

// Signed by `issuer` (a CA credential), or self-signed when null.
Result<Credential> make_certificate(const CertSpec& spec, const Credential* issuer = nullptr);

// For --tls-self-signed: valid for 30 days for localhost, 127.0.0.1, ::1
// and `extra_names` (host names or IP literals the server is reached by).
Result<Credential> make_self_signed(const std::vector<std::string>& extra_names = {});

// The pin of the first certificate in `cert_pem` ("sha256//BASE64").
Result<std::string> pin_of_certificate(const std::string& cert_pem);

}  // namespace zcp
