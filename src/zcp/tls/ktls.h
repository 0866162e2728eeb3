// Kernel TLS: whether this kernel can take over a TLS session's records
// (the `tls` TCP ULP, CONFIG_TLS), and which path a body takes given what
// the handshake left switched on. Pure choices here; the calls that use
// them are in tls_session.h.
#pragma once

#include <string>

namespace zcp {

// How body bytes cross between the file and the socket.
enum class BodyPath {
  kSplice,     // plain TCP: splice/sendfile, no user-space copy
  kKtls,       // TLS with kernel offload: splice / SSL_sendfile, no user-space copy
  kUserspace,  // TLS in OpenSSL: SSL_read into a buffer + write (or pread + SSL_write)
  kCopy,       // plain TCP with a copying engine (--engine copy)
};
const char* to_string(BodyPath path);

// The receiving side: `tls` whether the connection is TLS, `ktls_recv`
// whether the kernel decrypts (BIO_get_ktls_recv), `engine_splices` whether
// the chosen RecvEngine moves bytes without user space.
BodyPath choose_recv_path(bool tls, bool ktls_recv, bool engine_splices);
// The sending side: `ktls_send` from BIO_get_ktls_send; `engine_zero_copy`
// whether the SendEngine is sendfile or splice.
BodyPath choose_send_path(bool tls, bool ktls_send, bool engine_zero_copy);

// What the kernel offers, and why not when it does not.
struct KernelTls {
  bool available = false;
  std::string why_not;  // "kernel lacks CONFIG_TLS (no 'tls' in tcp_available_ulp)"
};
// Reads /proc/sys/net/ipv4/tcp_available_ulp; when that does not list
// `tls`, tries setsockopt(TCP_ULP, "tls") on a connected loopback socket
// (the module may load on demand). Cached after the first call.
const KernelTls& kernel_tls();

// The parsing half, for tests: whether a tcp_available_ulp line lists tls.
bool ulp_list_has_tls(const std::string& list);

}  // namespace zcp
