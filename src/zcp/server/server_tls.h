// The server's TLS set-up, apart from the sessions themselves: which
// --tls-* flag combinations make sense, the context they build (from PEM
// files, or an ephemeral self-signed credential whose pin is printed), and
// the warning owed when a token or uploads cross a network in clear text.
// Pure checks and one builder; the handshake lives in connection_tls.cc.
#pragma once

#include <memory>
#include <string>

#include "zcp/server.h"
#include "zcp/status.h"
#include "zcp/tls/ktls.h"
#include "zcp/tls/tls_context.h"

namespace zcp {

// kInvalid naming the clash: a cert without its key (or the reverse),
// --tls-self-signed beside files, TLS with --raw (no HTTP to wrap).
Status check_tls_config(const ServerConfig& c);
bool tls_configured(const ServerConfig& c);

struct ServerTls {
  std::unique_ptr<TlsContext> context;
  std::string pin;  // "sha256//BASE64" of the served key (either source)
};
// Builds the context; a self-signed certificate also names `listen_host`
// when it is a concrete host (not 0.0.0.0 / ::).
Result<ServerTls> make_server_tls(const ServerConfig& c, const std::string& listen_host);

// The body path a TLS server's connections take on this kernel, before any
// handshake: ktls when the kernel has the tls ULP, else userspace.
BodyPath expected_tls_path(const KernelTls& k);

// "" or a warning naming the risk: a bearer token (`has_token`) or
// uploads (`upload`) over plain HTTP on an address that is not loopback.
// `bound` is the listening address as "127.0.0.1:8080" / "[::1]:8080".
std::string plaintext_risk_warning(const std::string& bound, bool tls, bool has_token,
                                   bool upload);

}  // namespace zcp
