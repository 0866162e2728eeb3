// What the first bytes on a TLS port are: a TLS handshake record, a plain
// HTTP request (answer it nginx's way: 400 "The plain HTTP request was sent to
// HTTPS port", then close), or neither. For a server peeking (MSG_PEEK)
// before it starts a TlsSession; nothing here reads a socket.
#pragma once

#include <string_view>

namespace zcp {

enum class FirstBytes { kNeedMore, kTls, kPlainHttp, kUnknown };

FirstBytes classify_first_bytes(std::string_view bytes);

// The whole answer to a plain HTTP request on a TLS port.
inline constexpr std::string_view kPlainHttpOnTlsPort =
    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 46\r\n"
    "Connection: close\r\n\r\nThe plain HTTP request was sent to HTTPS port\n";

}  // namespace zcp
