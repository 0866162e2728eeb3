// A blocking HTTP/1.1 client connection for zcp get/put, over plain TCP or
// TLS (an https:// URL: the handshake and the certificate check happen in
// connect(), before a request byte goes out): connect, send a
// request head (and a file body with a SendEngine), read the response head
// with http-parser, hand the body to a BodyReader. Keep-alive: a
// connection whose previous body was read to its end can carry the next
// request.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <memory>

#include "zcp/base/stream.h"
#include "zcp/fd.h"
#include "zcp/http/body_reader.h"
#include "zcp/tls/ktls.h"
#include "zcp/tls_options.h"
#include "zcp/url.h"

namespace zcp {

class TlsContext;
class TlsSession;

struct ResponseHead {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<uint64_t> content_length;
  bool chunked = false;
  bool keep_alive = true;
  std::optional<std::string_view> header(std::string_view name) const;
  Framing framing() const;
};

class HttpClient {
 public:
  // Resolves and connects (IPv4 or IPv6); `timeout` bounds connect and
  // every later read or write without progress (0: none). Errors name the
  // URL's authority. An https:// URL gets a TLS session trusted as `tls`
  // says (kTlsHandshake, kTlsUntrusted, kTlsPinMismatch when not).
  static Result<HttpClient> connect(const Url& url, std::chrono::milliseconds timeout,
                                    const TlsOptions& tls = {});
  // The same with a client context built beforehand (a relay's onward
  // links: made once at start-up); it may be null for an http:// URL.
  static Result<HttpClient> connect_with(const Url& url, std::chrono::milliseconds timeout,
                                         const TlsContext* tls);

  // Sends "METHOD target HTTP/1.1" with Host, User-Agent and `headers`.
  Status send_head(std::string_view method, const std::string& target,
                   const std::vector<std::pair<std::string, std::string>>& headers);
  // The final head, after any interim (1xx) ones. The socket's receive
  // timeout bounds the whole wait (ETIMEDOUT), not each recv; more than 16
  // interim heads or 64 KiB of heads in all are refused (kInvalid).
  Result<ResponseHead> read_head(bool head_request = false);
  // The next head as it comes, interim ones (100 Continue) included; the
  // receive timeout bounds it as a whole.
  Result<ResponseHead> read_any_head();
  // Whether a response starts arriving within `wait` (bytes already read count).
  bool wait_readable(std::chrono::milliseconds wait) const;
  // The body of the response just read (owns the leftover bytes).
  BodyReader body(const ResponseHead& head, bool head_request = false);
  // At most `max` bytes of the body of `head` (an error text, a report),
  // read within `deadline` so a trickling server cannot hold the caller.
  Result<std::string> small_body(const ResponseHead& head, size_t max,
                                 std::chrono::milliseconds deadline);

  int fd() const { return fd_.get(); }
  const Url& url() const { return url_; }
  // The bytes of the connection, plain or TLS.
  ByteStream& stream() { return *stream_; }
  // The TLS session of an https:// connection, null for http://.
  TlsSession* tls() const;
  // How a body would reach a file with an engine that splices or not.
  BodyPath body_path(bool engine_splices) const;

 private:
  HttpClient(UniqueFd fd, Url url);
  Status start_tls(const TlsContext& ctx, std::chrono::milliseconds timeout);
  UniqueFd fd_;
  Url url_;
  std::unique_ptr<ByteStream> stream_;  // a PlainStream or a TlsSession
  std::string leftover_;  // bytes read past the last response head
};

}  // namespace zcp
