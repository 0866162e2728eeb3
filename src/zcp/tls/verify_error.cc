#include "zcp/tls/verify_error.h"

#include <openssl/x509_vfy.h>

namespace zcp {
namespace {

std::string why(long r, const std::string& host) {
  switch (r) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "the server's certificate has expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "the server's certificate is not valid yet";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "the server's certificate is not for host name '" + host + "'";
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      return "the server's certificate is self-signed";
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return "the server's certificate chain ends in an untrusted self-signed CA";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return "the server's certificate has an unknown issuer";
    default:
      return std::string("the server's certificate is not trusted: ") +
             X509_verify_cert_error_string(r);
  }
}

}  // namespace

Status verify_failure(long verify_result, const std::string& host, const std::string& flags) {
  // A relay has no -k: its onward links are always checked.
  std::string hint = flags.empty()
                         ? " (trust it with --cacert FILE or --pin, or skip the check with -k)"
                         : " (trust it with --" + flags + "cacert FILE or --" + flags + "pin)";
  return Status(Code::kTlsUntrusted, "TLS certificate", why(verify_result, host) + hint).at(host);
}

Status pin_failure(const std::string& got, const std::string& host, const std::string& flags) {
  return Status(Code::kTlsPinMismatch, "TLS certificate",
                "the server's public key " + got + " does not match --" + flags + "pin")
      .at(host);
}

}  // namespace zcp
