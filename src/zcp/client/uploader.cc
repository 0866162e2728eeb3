#include "zcp/uploader.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include "zcp/base/stats.h"
#include "zcp/client/refusal.h"
#include "zcp/fanout/chain.h"
#include "zcp/http/http_client.h"
#include "zcp/send_engine.h"
#include "zcp/tls/ktls.h"
#include "zcp/tls/tls_context.h"
#include "zcp/tls/tls_session.h"

namespace zcp {
namespace {

// Report every 256 KiB sent: a progress line at 1 MiB/s still redraws 4
// times a second (8 MiB froze it for seconds); ~8000 calls/s at 2 GiB/s.
constexpr uint64_t kProgressStep = 256 << 10;

// Over TLS: SSL_sendfile when the kernel encrypts, else pread +
// SSL_write (TlsSession::send_file decides); progress between pieces.
Status send_body_tls(int file_fd, uint64_t size, TlsSession& tls, const PutOptions& o) {
  for (uint64_t done = 0; done < size;) {
    uint64_t moved = 0;
    Status s = tls.send_file(file_fd, done, std::min(kProgressStep, size - done), &moved);
    done += moved;
    if (o.progress) o.progress(done, size);
    if (!s) return s;
  }
  return {};
}

// Sends the whole file; progress between engine calls.
Status send_body(int file_fd, uint64_t size, int sock_fd, const PutOptions& o) {
  auto engine = make_send_engine(o.engine);
  if (!engine) return engine.status();
  for (uint64_t done = 0; done < size;) {
    uint64_t want = std::min(kProgressStep, size - done);
    Progress p = (*engine)->send(file_fd, done, want, sock_fd);
    done += p.moved;
    if (o.progress) o.progress(done, size);
    if (!p.status) return p.status;
  }
  return {};
}

GetResultOr<ResponseHead> answer(HttpClient& c, const Status& sent, const Url& url) {
  // Even when sending failed (the server refused early and closed), its
  // answer may be waiting: it says more than EPIPE would.
  auto head = c.read_head();
  if (head) return std::move(*head);
  if (!sent) return GetError{GetFailure::kConnect, Status(sent).at("PUT " + url.to_string())};
  // A server that stops answering is trouble on the connection, like a
  // lost one; only an answer that makes no sense is a protocol failure.
  Status s = std::move(head).take_status();
  GetFailure kind = s.code() == Code::kInvalid ? GetFailure::kProtocol : GetFailure::kConnect;
  return GetError{kind, std::move(s)};
}

Result<UniqueFd> open_regular(const std::string& path, uint64_t* size) {
  auto file = open_file(path, O_RDONLY);
  if (!file) return std::move(file).take_status();
  struct stat st {};
  if (::fstat(file->get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Status::invalid("not a regular file: " + path);
  }
  *size = static_cast<uint64_t>(st.st_size);
  return file;
}

}  // namespace

Result<ChainReport> put_chain(const std::string& path, const std::vector<Url>& urls,
                              const PutOptions& o) {
  auto start = std::chrono::steady_clock::now();
  ChainReport report;
  auto file = open_regular(path, &report.bytes);
  if (!file) return std::move(file).take_status();
  ChainPut put;
  if (!o.token.empty()) put.authorization = "Bearer " + o.token;
  put.length = report.bytes;
  // Longer than the first relay gives a hung host behind it, so a hang
  // deeper in the chain never makes the sender give up on everyone.
  put.timeout = std::max(o.timeout, stall_limit(urls.size()) + std::chrono::seconds(10));
  // Any host this client may connect to (the first, or a later one when
  // those before it fail) is checked with the client's own trust flags.
  bool any_tls = std::any_of(urls.begin(), urls.end(), [](const Url& u) { return u.tls; });
  if (any_tls) {
    auto ctx = shared_client_context(o.tls);
    if (!ctx) return std::move(ctx).take_status();
    put.tls = std::move(*ctx);
  }
  report.hosts.resize(urls.size());
  ChainLink link = open_chain(urls, put, report.hosts);
  if (link.client) {
    TlsSession* tls = link.client->tls();
    Status sent = tls ? send_body_tls(file->get(), report.bytes, *tls, o)
                      : send_body(file->get(), report.bytes, link.client->fd(), o);
    finish_chain(link, sent, report.hosts);
  }
  report.seconds = seconds_since(start);
  return report;
}

GetResultOr<PutResult> upload_file(const std::string& path, const Url& url, const PutOptions& o) {
  auto start = std::chrono::steady_clock::now();
  uint64_t size = 0;
  auto file = open_regular(path, &size);
  if (!file) return GetError{GetFailure::kUsage, std::move(file).take_status()};
  auto client = HttpClient::connect(url, o.timeout, o.tls);
  if (!client) {
    GetFailure k = classify_failure(client.status());
    bool tls_kind = k == GetFailure::kTlsHandshake || k == GetFailure::kTlsUntrusted ||
                    k == GetFailure::kTlsPin;
    return GetError{tls_kind ? k : GetFailure::kConnect, std::move(client).take_status()};
  }
  std::vector<std::pair<std::string, std::string>> h{{"Content-Length", std::to_string(size)}};
  if (!o.token.empty()) h.emplace_back("Authorization", "Bearer " + o.token);
  Status sent = client->send_head("PUT", url.target, h);
  TlsSession* tls = client->tls();
  if (sent && tls) sent = send_body_tls(file->get(), size, *tls, o);
  if (sent && !tls) sent = send_body(file->get(), size, client->fd(), o);
  auto head = answer(*client, sent, url);
  if (!head) return std::move(head).take_error();
  if (head->status != 201 && head->status != 204 && head->status != 200) {
    // The CLI names the URL once.
    return GetError{GetFailure::kHttp, Status::invalid(refusal(*client, *head))};
  }
  if (!sent) return GetError{GetFailure::kConnect, sent};
  PutResult r;
  r.status = head->status;
  r.bytes = size;
  r.seconds = seconds_since(start);
  bool zero_copy = o.engine.name == "sendfile" || o.engine.name == "splice";
  r.path = to_string(choose_send_path(tls != nullptr, tls && tls->ktls_send(), zero_copy));
  return r;
}

}  // namespace zcp
