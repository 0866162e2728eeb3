// RAII owners for the OpenSSL objects zcp holds, and the Status that names
// a failed OpenSSL call with the library's own reason. Nothing TLS-specific
// beyond that: contexts and sessions are in tls_context.h, tls_session.h.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "zcp/status.h"

namespace zcp {

template <auto Free>
struct OsslDeleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OsslDeleter<EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OsslDeleter<EVP_PKEY_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, OsslDeleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, OsslDeleter<BIO_free_all>>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, OsslDeleter<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, OsslDeleter<SSL_free>>;

// `op` failed; the message is OpenSSL's error queue (drained), oldest first.
Status openssl_error(std::string op, Code code = Code::kInvalid);
// The error queue's text, drained ("" when empty).
std::string drain_openssl_errors();

// PEM text into a memory BIO (read-only view of `pem`, which must outlive it).
BioPtr pem_bio(const std::string& pem);

}  // namespace zcp
