#include "zcp/tls/tls_context.h"

#include <openssl/pem.h>

#include <map>
#include <mutex>
#include <tuple>

#include "zcp/tls/ktls.h"
#include "zcp/tls/pin.h"

namespace zcp {
namespace {

// What both sides share: versions, suites, kTLS, no renegotiation.
Result<SslCtxPtr> base_context(bool server) {
  SslCtxPtr ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  if (!ctx) return openssl_error("SSL_CTX_new");
  SSL_CTX* c = ctx.get();
  if (!SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) ||
      !SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION)) {
    return openssl_error("SSL_CTX_set_min_proto_version");
  }
  if (!SSL_CTX_set_cipher_list(c, kTls12Ciphers)) return openssl_error("SSL_CTX_set_cipher_list");
  if (!SSL_CTX_set_ciphersuites(c, kTls13Suites)) return openssl_error("SSL_CTX_set_ciphersuites");
  SSL_CTX_set_options(c, SSL_OP_ENABLE_KTLS | SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  // Partial writes let a non-blocking server resume a record where the
  // socket stopped taking it.
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // Without kernel TLS, read ahead: one recv() takes several records
  // instead of two recv()s (header, then body) per 16 KiB record. Measured
  // (512 MiB from nginx, strace -c): 65.6k reads without read-ahead, 32.8k
  // with a 16.7 KiB buffer, 16.5k with 64 KiB; client CPU per GiB about
  // 0.1 s lower than without read-ahead. With
  // kTLS it stays off: OpenSSL 3.0 will not hand the kernel a receive side
  // that has records buffered in user space.
  if (!kernel_tls().available) {
    SSL_CTX_set_read_ahead(c, 1);
    SSL_CTX_set_default_read_buffer_len(c, 64 * 1024);
  }
  return ctx;
}

Status check_key(SSL_CTX* c, const std::string& what) {
  if (!SSL_CTX_check_private_key(c))
    return openssl_error("TLS key does not match certificate " + what);
  return {};
}

}  // namespace

Result<TlsContext> TlsContext::for_server_files(const std::string& cert_path,
                                                const std::string& key_path) {
  auto ctx = base_context(true);
  if (!ctx) return std::move(ctx).take_status();
  if (SSL_CTX_use_certificate_chain_file(ctx->get(), cert_path.c_str()) != 1) {
    return openssl_error("TLS certificate " + cert_path);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx->get(), key_path.c_str(), SSL_FILETYPE_PEM) != 1) {
    return openssl_error("TLS key " + key_path + " for certificate " + cert_path);
  }
  if (Status s = check_key(ctx->get(), cert_path); !s) return s;
  return TlsContext(std::move(*ctx), true);
}

Result<TlsContext> TlsContext::for_server_pem(const std::string& cert_pem,
                                              const std::string& key_pem) {
  auto ctx = base_context(true);
  if (!ctx) return std::move(ctx).take_status();
  BioPtr cb = pem_bio(cert_pem), kb = pem_bio(key_pem);
  X509Ptr leaf(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
  if (!leaf || !key) return openssl_error("TLS certificate/key PEM");
  if (SSL_CTX_use_certificate(ctx->get(), leaf.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx->get(), key.get()) != 1) {
    return openssl_error("SSL_CTX_use_certificate");
  }
  // Intermediates after the leaf (add0 takes ownership on success).
  while (X509* more = PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx->get(), more) != 1) {
      X509_free(more);
      return openssl_error("SSL_CTX_add0_chain_cert");
    }
  }
  drain_openssl_errors();  // the PEM reader's "no start line" at the end
  if (Status s = check_key(ctx->get(), "(PEM)"); !s) return s;
  return TlsContext(std::move(*ctx), true);
}

Result<TlsContext> TlsContext::for_client(const TlsOptions& o, const std::string& flags) {
  auto ctx = base_context(false);
  if (!ctx) return std::move(ctx).take_status();
  // Verification runs in every handshake and its result is checked (with
  // the pins) by the session before any request byte is sent, so that the
  // failure can be named and given its own kind.
  SSL_CTX_set_verify(ctx->get(), SSL_VERIFY_NONE, nullptr);
  if (!o.cacert.empty()) {
    if (SSL_CTX_load_verify_locations(ctx->get(), o.cacert.c_str(), nullptr) != 1) {
      return openssl_error("--" + flags + "cacert " + o.cacert);
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx->get()) != 1) {
    return openssl_error("SSL_CTX_set_default_verify_paths");
  }
  TlsContext out(std::move(*ctx), false);
  if (!o.pin.empty()) {
    auto pins = parse_pins(o.pin);
    if (!pins) return std::move(pins).take_status();
    out.pins_ = std::move(*pins);
  }
  out.insecure_ = o.insecure;
  out.flags_ = flags;
  return out;
}

Result<std::shared_ptr<const TlsContext>> shared_client_context(const TlsOptions& o) {
  static std::mutex mu;
  static std::map<std::tuple<std::string, std::string, bool>, std::shared_ptr<const TlsContext>>
      cache;
  std::lock_guard lock(mu);
  auto key = std::make_tuple(o.cacert, o.pin, o.insecure);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  auto ctx = TlsContext::for_client(o);
  if (!ctx) return std::move(ctx).take_status();
  auto shared = std::make_shared<const TlsContext>(std::move(*ctx));
  cache.emplace(key, shared);
  return shared;
}

}  // namespace zcp
