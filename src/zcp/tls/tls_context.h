// TlsContext: the settings every TLS session of one side shares (an
// SSL_CTX): TLS 1.2 and 1.3 only, the AEAD suites the kernel can offload
// (AES-GCM, ChaCha20-Poly1305), SSL_OP_ENABLE_KTLS. A server's holds its
// certificate chain and key; a client's its trust (system store, --cacert,
// pins, insecure). Thread-safe once built: sessions on any thread share it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "zcp/status.h"
#include "zcp/tls/ossl.h"
#include "zcp/tls_options.h"

namespace zcp {

class TlsContext {
 public:
  // PEM files: `cert_path` the leaf first, then any intermediates.
  static Result<TlsContext> for_server_files(const std::string& cert_path,
                                             const std::string& key_path);
  // The same from PEM text (a generated self-signed credential).
  static Result<TlsContext> for_server_pem(const std::string& cert_pem, const std::string& key_pem);
  // The system trust store unless `o.cacert`; pins parsed (kInvalid when bad).
  // `flags` is what the options were called on the command line, for the
  // messages: "" for --cacert/--pin/-k, "relay-" for zcp serve's
  // --relay-cacert/--relay-pin (a relay's onward links).
  static Result<TlsContext> for_client(const TlsOptions& o, const std::string& flags = "");

  SSL_CTX* get() const { return ctx_.get(); }
  bool is_server() const { return server_; }
  const std::vector<std::string>& pins() const { return pins_; }
  bool insecure() const { return insecure_; }
  const std::string& flags() const { return flags_; }

 private:
  TlsContext(SslCtxPtr ctx, bool server) : ctx_(std::move(ctx)), server_(server) {}
  SslCtxPtr ctx_;
  bool server_ = false;
  std::vector<std::string> pins_;
  bool insecure_ = false;
  std::string flags_;
};

// One client context per distinct TlsOptions, built on first use and kept
// for the process (loading the system store costs milliseconds; -j 8 would
// pay it eight times).
Result<std::shared_ptr<const TlsContext>> shared_client_context(const TlsOptions& o);

// The suites offered, for tests and docs.
inline constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
inline constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

}  // namespace zcp
