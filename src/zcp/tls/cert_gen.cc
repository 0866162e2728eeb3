#include "zcp/tls/cert_gen.h"

#include <arpa/inet.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "zcp/tls/ossl.h"
#include "zcp/tls/pin.h"

namespace zcp {
namespace {

Result<EvpPkeyPtr> make_key() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return openssl_error("EVP_EC_gen P-256");
  return key;
}

bool is_ip_literal(const std::string& name) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, name.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

// One X509v3 extension by its config-file text ("CA:TRUE", "DNS:a,IP:b").
Status add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return openssl_error("X509V3_EXT_conf_nid " + value);
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return ok ? Status() : openssl_error("X509_add_ext");
}

std::string san_text(const CertSpec& spec) {
  std::string san;
  for (const auto& d : spec.dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + d;
  for (const auto& ip : spec.ip_names) san += (san.empty() ? "IP:" : ",IP:") + ip;
  return san;
}

Status fill_names_and_dates(X509* cert, const CertSpec& spec, X509* issuer_cert) {
  X509_set_version(cert, 2);  // v3
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof(serial)) != 1) return openssl_error("RAND_bytes");
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  ASN1_INTEGER* sn = bn ? BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) : nullptr;
  BN_free(bn);
  if (!sn) return openssl_error("serial number");
  X509_gmtime_adj(X509_getm_notBefore(cert), static_cast<long>(spec.not_before));
  X509_gmtime_adj(X509_getm_notAfter(cert), static_cast<long>(spec.not_after));
  std::string cn =
      spec.dns_names.empty() ? (spec.is_ca ? "zcp test CA" : "zcp") : spec.dns_names[0];
  if (spec.is_ca) cn = "zcp test CA " + cn;
  X509_NAME* name = X509_get_subject_name(cert);
  if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                  reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0)) {
    return openssl_error("X509_NAME_add_entry_by_txt CN");
  }
  X509_set_issuer_name(cert, issuer_cert ? X509_get_subject_name(issuer_cert) : name);
  return {};
}

Status add_extensions(X509* cert, const CertSpec& spec, X509* issuer_cert) {
  X509* iss = issuer_cert ? issuer_cert : cert;
  Status s = add_extension(cert, iss, NID_basic_constraints,
                           spec.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  if (s)
    s = add_extension(
        cert, iss, NID_key_usage,
        spec.is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,keyEncipherment");
  if (s) s = add_extension(cert, iss, NID_subject_key_identifier, "hash");
  if (s && !spec.is_ca) s = add_extension(cert, iss, NID_ext_key_usage, "serverAuth");
  std::string san = san_text(spec);
  if (s && !san.empty()) s = add_extension(cert, iss, NID_subject_alt_name, san);
  return s;
}

Result<std::string> to_pem(X509* cert) {
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || !PEM_write_bio_X509(out.get(), cert)) return openssl_error("PEM_write_bio_X509");
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

Result<std::string> key_to_pem(EVP_PKEY* key) {
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || !PEM_write_bio_PrivateKey(out.get(), key, nullptr, nullptr, 0, nullptr, nullptr)) {
    return openssl_error("PEM_write_bio_PrivateKey");
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace

Result<Credential> make_certificate(const CertSpec& spec, const Credential* issuer) {
  // The issuer's certificate and key, when not self-signed.
  X509Ptr issuer_cert;
  EvpPkeyPtr issuer_key;
  if (issuer) {
    BioPtr cb = pem_bio(issuer->cert_pem), kb = pem_bio(issuer->key_pem);
    issuer_cert.reset(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
    issuer_key.reset(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
    if (!issuer_cert || !issuer_key) return openssl_error("read issuer PEM");
  }
  // A fresh key, then the certificate around its public half.
  auto key = make_key();
  if (!key) return std::move(key).take_status();
  X509Ptr cert(X509_new());
  if (!cert) return openssl_error("X509_new");
  if (Status s = fill_names_and_dates(cert.get(), spec, issuer_cert.get()); !s) return s;
  if (!X509_set_pubkey(cert.get(), key->get())) return openssl_error("X509_set_pubkey");
  if (Status s = add_extensions(cert.get(), spec, issuer_cert.get()); !s) return s;
  // Signed by the issuer's key or its own.
  EVP_PKEY* signer = issuer ? issuer_key.get() : key->get();
  if (!X509_sign(cert.get(), signer, EVP_sha256())) return openssl_error("X509_sign");
  Credential out;
  auto cert_pem = to_pem(cert.get());
  auto key_pem = key_to_pem(key->get());
  auto pin = public_key_pin(key->get());
  if (!cert_pem) return std::move(cert_pem).take_status();
  if (!key_pem) return std::move(key_pem).take_status();
  if (!pin) return std::move(pin).take_status();
  out.cert_pem = std::move(*cert_pem);
  out.key_pem = std::move(*key_pem);
  out.pin = std::move(*pin);
  return out;
}

Result<Credential> make_self_signed(const std::vector<std::string>& extra_names) {
  CertSpec spec;
  for (const auto& n : extra_names) {
    auto& list = is_ip_literal(n) ? spec.ip_names : spec.dns_names;
    list.push_back(n);
  }
  return make_certificate(spec);
}

Result<std::string> pin_of_certificate(const std::string& cert_pem) {
  BioPtr b = pem_bio(cert_pem);
  X509Ptr cert(PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr));
  if (!cert) return openssl_error("PEM_read_bio_X509");
  return public_key_pin(X509_get0_pubkey(cert.get()));
}

}  // namespace zcp
