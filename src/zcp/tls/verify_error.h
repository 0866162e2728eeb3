// The words for a certificate the client refuses: OpenSSL's verify result
// (X509_V_ERR_*) mapped to what happened and what to pass instead, as a
// kTlsUntrusted Status; a pin mismatch as kTlsPinMismatch
// (the CLI maps both to curl's exit codes).
#pragma once

#include <string>

#include "zcp/status.h"

namespace zcp {

// `verify_result` from SSL_get_verify_result, `host` as the URL names it;
// `flags` as TlsContext::flags() (the hint names the flags to pass).
Status verify_failure(long verify_result, const std::string& host, const std::string& flags = "");
// The server's key `got` is none of the pins given.
Status pin_failure(const std::string& got, const std::string& host, const std::string& flags = "");

}  // namespace zcp
