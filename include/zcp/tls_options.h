// How a client trusts the server at the other end of an https:// URL, as
// curl's flags say it: the system store by default, --cacert, --pin, -k.
// Only options; the TLS code itself is private (src/zcp/tls/).
#pragma once

#include <string>

namespace zcp {

struct TlsOptions {
  // PEM file of CA certificates trusted instead of the system store.
  std::string cacert;
  // "sha256//BASE64" (curl's --pinnedpubkey form; several joined with ';'):
  // the server's public key must be one of these. A matching pin is trust
  // enough on its own (the server may be self-signed, as with `zcp serve
  // --tls-self-signed`); the host name is then not checked either.
  std::string pin;
  // -k: no certificate or host-name check (a pin, if given, still is).
  bool insecure = false;
};

}  // namespace zcp
