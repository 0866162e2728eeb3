#include "cli/tls_flags.h"

#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "zcp/tls/pin.h"
#include "zcp/tls/tls_context.h"

namespace zcp::cli {

void add_tls_flags(CLI::App* cmd, TlsOptions& tls) {
  cmd->add_option("--cacert", tls.cacert,
                  "https: trust the CA certificates in this PEM file instead of the system store");
  cmd->add_option("--pin", tls.pin,
                  "https: the server's public key must be sha256//BASE64 (curl's --pinnedpubkey\n"
                  "form; several joined with ';'); a match is trusted without a CA (a self-signed\n"
                  "server), a mismatch fails even with -k (exit 90)");
  cmd->add_flag("-k,--insecure", tls.insecure,
                "https: do not check the certificate or host name (anyone on the path can\n"
                "read and change the transfer)");
}

int check_tls_flags(const char* verb, const TlsOptions& tls) {
  if (!tls.pin.empty()) {
    if (auto pins = parse_pins(tls.pin); !pins) {
      fmt::print(stderr, "zcp {}: --pin: {}\n", verb, shown(pins.status()));
      return kExitUsage;
    }
  }
  if (auto ctx = shared_client_context(tls); !ctx) {
    fmt::print(stderr, "zcp {}: {}\n", verb, shown(ctx.status()));
    return tls.cacert.empty() ? kExitFailure : kExitCacertBad;
  }
  return kExitOk;
}

}  // namespace zcp::cli
