#include "zcp/tls/ktls.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "zcp/fd.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

namespace zcp {
namespace {

// setsockopt(TCP_ULP, "tls") needs an established TCP socket: connect one
// to a listener on 127.0.0.1 port 0. 0 when the kernel takes it, else errno.
int probe_tls_ulp() {
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener || !client) return errno;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if (::bind(listener.get(), sa, len) != 0 || ::listen(listener.get(), 1) != 0 ||
      ::getsockname(listener.get(), sa, &len) != 0 || ::connect(client.get(), sa, len) != 0) {
    return errno;
  }
  UniqueFd accepted(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (::setsockopt(client.get(), SOL_TCP, TCP_ULP, "tls", 3) != 0) return errno;
  return 0;
}

KernelTls detect() {
  KernelTls k;
  std::ifstream in("/proc/sys/net/ipv4/tcp_available_ulp");
  std::string list;
  std::getline(in, list);
  if (ulp_list_has_tls(list)) {
    k.available = true;
    return k;
  }
  int err = probe_tls_ulp();
  if (err == 0) {
    k.available = true;
    return k;
  }
  k.why_not = "kernel lacks CONFIG_TLS (no 'tls' in tcp_available_ulp '" + list +
              "'; setsockopt TCP_ULP tls: " + std::strerror(err) + ")";
  return k;
}

}  // namespace

const char* to_string(BodyPath path) {
  switch (path) {
    case BodyPath::kSplice:
      return "splice";
    case BodyPath::kKtls:
      return "ktls";
    case BodyPath::kUserspace:
      return "userspace";
    case BodyPath::kCopy:
      return "copy";
  }
  return "?";
}

BodyPath choose_recv_path(bool tls, bool ktls_recv, bool engine_splices) {
  if (tls && !ktls_recv) return BodyPath::kUserspace;
  if (!engine_splices) return tls ? BodyPath::kUserspace : BodyPath::kCopy;
  return tls ? BodyPath::kKtls : BodyPath::kSplice;
}

BodyPath choose_send_path(bool tls, bool ktls_send, bool engine_zero_copy) {
  if (tls) return ktls_send ? BodyPath::kKtls : BodyPath::kUserspace;
  return engine_zero_copy ? BodyPath::kSplice : BodyPath::kCopy;
}

bool ulp_list_has_tls(const std::string& list) {
  std::istringstream words(list);
  std::string w;
  while (words >> w) {
    if (w == "tls") return true;
  }
  return false;
}

const KernelTls& kernel_tls() {
  static const KernelTls k = detect();
  return k;
}

}  // namespace zcp
