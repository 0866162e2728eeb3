#include "zcp/server/server_tls.h"

#include <fmt/format.h>

#include "zcp/tls/cert_gen.h"
#include "zcp/tls/pin.h"

namespace zcp {

bool tls_configured(const ServerConfig& c) {
  return c.tls_self_signed || !c.tls_cert.empty() || !c.tls_key.empty();
}

Status check_tls_config(const ServerConfig& c) {
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return Status::invalid(c.tls_cert.empty() ? "--tls-key needs --tls-cert"
                                              : "--tls-cert needs --tls-key");
  }
  if (c.tls_self_signed && !c.tls_cert.empty()) {
    return Status::invalid("--tls-self-signed or --tls-cert/--tls-key, not both");
  }
  if (tls_configured(c) && !c.raw_file.empty()) {
    return Status::invalid("--raw sends no HTTP: it cannot be combined with --tls-*");
  }
  return {};
}

Result<ServerTls> make_server_tls(const ServerConfig& c, const std::string& listen_host) {
  ServerTls out;
  if (c.tls_self_signed) {
    std::vector<std::string> names;
    if (!listen_host.empty() && listen_host != "0.0.0.0" && listen_host != "::" &&
        listen_host != "localhost" && listen_host != "127.0.0.1" && listen_host != "::1") {
      names.push_back(listen_host);
    }
    auto cred = make_self_signed(names);
    if (!cred) return std::move(cred).take_status();
    auto ctx = TlsContext::for_server_pem(cred->cert_pem, cred->key_pem);
    if (!ctx) return std::move(ctx).take_status();
    out.context = std::make_unique<TlsContext>(std::move(*ctx));
    out.pin = cred->pin;
    return out;
  }
  auto ctx = TlsContext::for_server_files(c.tls_cert, c.tls_key);
  if (!ctx) return std::move(ctx).take_status();
  out.context = std::make_unique<TlsContext>(std::move(*ctx));
  X509* leaf = SSL_CTX_get0_certificate(out.context->get());
  if (leaf) {
    if (auto pin = public_key_pin(X509_get0_pubkey(leaf)); pin) out.pin = *pin;
  }
  return out;
}

BodyPath expected_tls_path(const KernelTls& k) {
  return k.available ? BodyPath::kKtls : BodyPath::kUserspace;
}

std::string plaintext_risk_warning(const std::string& bound, bool tls, bool has_token,
                                   bool upload) {
  if (tls || (!has_token && !upload)) return {};
  bool loopback = bound.rfind("127.", 0) == 0 || bound.rfind("[::1]", 0) == 0 ||
                  bound.rfind("[::ffff:127.", 0) == 0;
  if (loopback) return {};
  std::string what = has_token ? "the --token and every uploaded byte cross"
                               : "every uploaded byte crosses";
  return fmt::format(
      "warning: no TLS on {}: {} the network in clear text; anyone on the path can read{} "
      "them (use --tls-cert/--tls-key or --tls-self-signed)",
      bound, what, has_token ? ", and replay the token to upload," : "");
}

}  // namespace zcp
