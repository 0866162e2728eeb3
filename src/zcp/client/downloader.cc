#include "zcp/downloader.h"

#include <poll.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "zcp/base/socket.h"
#include "zcp/base/stats.h"
#include "zcp/client/atomic_file.h"
#include "zcp/http/digest.h"
#include "zcp/http/http_client.h"
#include "zcp/http/http_text.h"
#include "zcp/http/validators.h"
#include "zcp/recv_engine.h"

namespace zcp {
namespace {

// The validator (ETag, else Last-Modified) of the representation a .part
// holds, kept with the .part as an extended attribute so `-c` can ask
// If-Range: a changed file is then sent whole instead of spliced onto the
// old bytes.
constexpr const char* kValidatorXattr = "user.zcp.validator";

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Fail {
  GetFailure kind;
  Status status;
};

std::string validator_of(const ResponseHead& head) {
  if (auto etag = head.header("ETag"); etag && etag->rfind("W/", 0) != 0) return std::string(*etag);
  if (auto lm = head.header("Last-Modified")) return std::string(*lm);
  return {};
}

void save_validator(int fd, const std::string& v) {
  if (!v.empty()) ::fsetxattr(fd, kValidatorXattr, v.data(), v.size(), 0);
}

std::string load_validator(int fd) {
  char buf[512];
  ssize_t n = ::fgetxattr(fd, kValidatorXattr, buf, sizeof(buf));
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// "bytes FIRST-LAST/SIZE" -> FIRST and SIZE.
bool parse_content_range(std::string_view v, uint64_t& first, uint64_t& size) {
  if (v.rfind("bytes ", 0) != 0) return false;
  v.remove_prefix(6);
  size_t dash = v.find('-'), slash = v.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos) return false;
  auto f = parse_decimal(v.substr(0, dash));
  auto n = parse_decimal(v.substr(slash + 1));
  if (!f || !n) return false;
  first = *f;
  size = *n;
  return true;
}

// A pooled keep-alive connection to the same server when there is one.
Result<HttpClient> connect_to(const Url& url, const GetOptions& o, GetFailure* f, bool* reused = nullptr) {
  if (o.pool) {
    if (auto c = o.pool->take(url)) {
      if (reused) *reused = true;
      return std::move(*c);
    }
  }
  if (reused) *reused = false;
  auto c = HttpClient::connect(url, o.timeout);
  if (!c) *f = GetFailure::kConnect;
  return c;
}

Result<ResponseHead> exchange(HttpClient& c, std::string_view method, const Url& url,
                              const Headers& headers, GetFailure* f) {
  if (Status s = c.send_head(method, url.target, headers); !s) {
    *f = GetFailure::kConnect;
    return s;
  }
  auto head = c.read_head(method == "HEAD");
  if (!head) *f = classify_failure(head.status());  // a timeout is 7, nonsense is 8
  return head;
}

// Sends the request; a pooled connection the server has meanwhile closed
// gets one retry on a fresh connection.
Result<ResponseHead> request(std::optional<HttpClient>& c, std::string_view method, const Url& url,
                             const Headers& headers, const GetOptions& o, GetFailure* f) {
  bool reused = false;
  auto conn = connect_to(url, o, f, &reused);
  if (!conn) return std::move(conn).take_status();
  c.emplace(std::move(*conn));
  auto head = exchange(*c, method, url, headers, f);
  if (head || !reused) return head;
  GetOptions fresh = o;
  fresh.pool = nullptr;
  auto again = connect_to(url, fresh, f);
  if (!again) return std::move(again).take_status();
  c.emplace(std::move(*again));
  *f = GetFailure::kNone;
  return exchange(*c, method, url, headers, f);
}

Status http_error(const Url& url, const ResponseHead& head, GetFailure* f) {
  *f = GetFailure::kHttp;
  return Status(Code::kInvalid, "GET " + url.to_string(), "server answered " + std::to_string(head.status));
}

std::unique_ptr<RecvEngine> engine_for(const GetOptions& o) {
  auto e = make_recv_engine(o.engine);
  return e ? std::move(*e) : make_copy_receiver(kDefaultRecvChunk);
}

// --verify: hash what landed and compare with the server's Repr-Digest.
Status verify(int fd, uint64_t size, const std::optional<std::string>& want, const Url& url,
              GetFailure* f) {
  *f = GetFailure::kVerify;
  if (!want) return Status(Code::kInvalid, "verify " + url.to_string(), "the server sent no Repr-Digest");
  auto got = sha256_file(fd, 0, size);
  if (!got) return got.status();
  if (*got != *want) {
    return Status(Code::kInvalid, "verify " + url.to_string(),
                  "sha-256 mismatch: got " + repr_digest_value(*got) + ", server says " +
                      repr_digest_value(*want));
  }
  *f = GetFailure::kNone;
  return {};
}

std::optional<int64_t> mtime_of(const ResponseHead& head) {
  auto lm = head.header("Last-Modified");
  return lm ? parse_http_date(*lm) : std::nullopt;
}

std::optional<std::string> digest_of(const ResponseHead& head) {
  auto d = head.header("Repr-Digest");
  return d ? parse_repr_digest(*d) : std::nullopt;
}

}  // namespace

GetFailure classify_failure(const Status& s) {
  int e = s.error_number();
  bool local_errno = e == ENOSPC || e == EDQUOT || e == EROFS || e == EIO || e == EFBIG ||
                     e == ELOOP || e == EACCES || e == EPERM || e == ENOTDIR || e == EISDIR ||
                     e == EEXIST || e == ENAMETOOLONG;
  if (local_errno || s.op().find("->file") != std::string::npos || s.op() == "pwrite" ||
      s.op() == "write") {
    return GetFailure::kWrite;
  }
  return s.code() == Code::kInvalid ? GetFailure::kProtocol : GetFailure::kConnect;
}

namespace {

// Lands the rest of `body` at `offset` (or streams it), reporting progress.
Result<uint64_t> land(BodyReader& body, AtomicFile& file, uint64_t offset, uint64_t total,
                      const GetOptions& o, GetFailure* f) {
  auto engine = engine_for(o);
  auto cb = [&](uint64_t n) {
    if (o.progress) o.progress(offset + n, total);
  };
  auto moved = body.rest_to_file(file.fd(), file.direct() ? kStreamOffset : offset, *engine, cb);
  if (!moved) {
    *f = classify_failure(moved.status());
    // Name the file that could not be written ("splice pipe->file X: No space ...").
    if (*f == GetFailure::kWrite) {
      return Status(moved.status()).at(file.direct() ? file.dest() : file.part_path());
    }
  }
  return moved;
}

// Decides where a (possibly resumed) response starts; false: start over.
Result<uint64_t> resume_offset(const ResponseHead& head, uint64_t from, AtomicFile& file,
                               const GetOptions& o, GetFailure* f) {
  if (head.status == 206) {
    // Only the rest of the file will do: a range that starts elsewhere, stops
    // short of the end, or answers a request without Range would land a
    // fragment under the final name.
    uint64_t first = 0, size = 0;
    auto cr = head.header("Content-Range");
    if (from == 0 || !cr || !parse_content_range(*cr, first, size) || first != from ||
        !head.content_length || first + *head.content_length != size) {
      *f = GetFailure::kProtocol;
      return Status(Code::kInvalid, "resume", "the server sent the wrong range (" +
                                                  std::string(cr.value_or("none")) + ")");
    }
    return from;
  }
  if (from > 0) {  // 200: the file changed (If-Range failed) or Range was ignored
    if (o.notice) o.notice("the server's copy changed or it ignored the range: starting over");
    if (Status s = file.restart(); !s) {
      *f = GetFailure::kWrite;
      return s;
    }
  }
  return uint64_t{0};
}

Result<GetResult> finish(const Url& url, const GetOptions& o, AtomicFile& file,
                         const ResponseHead& head, GetResult r, GetFailure* f) {
  if (o.verify && !file.direct()) {
    if (Status s = verify(file.fd(), r.size, digest_of(head), url, f); !s) return s;
    r.verified = true;
  }
  if (Status s = file.commit(mtime_of(head)); !s) {
    *f = GetFailure::kWrite;
    return s;
  }
  r.dest = file.dest();
  return r;
}

Result<GetResult> single_stream(const Url& url, const GetOptions& o, AtomicFile& file,
                                GetFailure* f) {
  auto start = std::chrono::steady_clock::now();
  uint64_t from = o.resume && !file.direct() ? file.existing_size() : 0;
  Headers h;
  if (from > 0) {
    h.emplace_back("Range", "bytes=" + std::to_string(from) + "-");
    std::string v = load_validator(file.fd());
    if (!v.empty()) h.emplace_back("If-Range", v);
  }
  std::optional<HttpClient> client;
  auto head = request(client, "GET", url, h, o, f);
  if (!head) return std::move(head).take_status();
  if (head->status == 416 && from > 0) {
    if (o.notice) o.notice("the server's copy changed size: starting over");
    if (Status st = file.restart(); !st) return st;
    GetOptions fresh = o;
    fresh.resume = false;
    return single_stream(url, fresh, file, f);
  }
  if (head->status != 200 && head->status != 206) return http_error(url, *head, f);
  auto offset = resume_offset(*head, from, file, o, f);
  if (!offset) return std::move(offset).take_status();
  if (!file.direct()) save_validator(file.fd(), validator_of(*head));
  uint64_t total = head->content_length ? *offset + *head->content_length : 0;
  BodyReader body = client->body(*head);
  auto moved = land(body, file, *offset, total, o, f);
  if (!moved) return std::move(moved).take_status();
  if (o.pool && head->keep_alive && body.done()) o.pool->give(std::move(*client));
  GetResult r;
  r.bytes = *moved;
  r.size = *offset + *moved;
  r.resumed_from = *offset;
  r.seconds = seconds_since(start);
  return finish(url, o, file, *head, r, f);
}

// One range of a parallel download, on its own connection.
Status fetch_range(const Url& url, const GetOptions& o, int fd, uint64_t first, uint64_t len,
                   const std::string& validator, std::atomic<uint64_t>& landed, uint64_t total,
                   uint64_t& done, GetFailure* f) {
  GetOptions own = o;
  own.pool = nullptr;  // each range on its own connection
  auto client = connect_to(url, own, f);
  if (!client) return std::move(client).take_status();
  Headers h{{"Range", "bytes=" + std::to_string(first) + "-" + std::to_string(first + len - 1)}};
  if (!validator.empty()) h.emplace_back("If-Range", validator);
  auto head = exchange(*client, "GET", url, h, f);
  if (!head) return std::move(head).take_status();
  uint64_t got_first = 0, size = 0;
  auto cr = head->header("Content-Range");
  if (head->status != 206 || !cr || !parse_content_range(*cr, got_first, size) ||
      got_first != first || head->content_length != len || size != total) {
    *f = GetFailure::kProtocol;
    return Status(Code::kInvalid, "GET " + url.to_string(),
                  "range " + std::to_string(first) + "+" + std::to_string(len) +
                      " answered with status " + std::to_string(head->status) + " (file changed?)");
  }
  auto engine = engine_for(o);
  BodyReader body = client->body(*head);
  uint64_t last = 0;
  Status s = body.to_file(fd, first, len, *engine, [&](uint64_t n) {
    done = n;
    uint64_t all = landed += n - last;
    last = n;
    if (o.progress) o.progress(all, total);
  });
  if (!s) *f = classify_failure(s);
  return s;
}

// N ranges on N connections, each spliced into its offset of DEST.part.
// On failure the .part is cut back to its complete prefix, so `-c` can
// resume it as a single stream without holes.
Result<GetResult> parallel(const Url& url, const GetOptions& o, AtomicFile& file,
                           const ResponseHead& probe, uint64_t size, int n, GetFailure* f) {
  auto start = std::chrono::steady_clock::now();
  if (Status s = file.preallocate(size); !s) {
    *f = GetFailure::kWrite;
    return s;
  }
  std::string validator = validator_of(probe);
  save_validator(file.fd(), validator);
  uint64_t part = size / static_cast<uint64_t>(n);
  std::vector<uint64_t> firsts, lens, done(static_cast<size_t>(n), 0);
  std::vector<Status> results(static_cast<size_t>(n));
  std::vector<GetFailure> fails(static_cast<size_t>(n), GetFailure::kNone);
  std::atomic<uint64_t> landed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    uint64_t first = part * static_cast<uint64_t>(i);
    firsts.push_back(first);
    lens.push_back(i == n - 1 ? size - first : part);
  }
  for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
    threads.emplace_back([&, i] {
      results[i] = fetch_range(url, o, file.fd(), firsts[i], lens[i], validator, landed, size,
                               done[i], &fails[i]);
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i]) continue;
    uint64_t prefix = 0;  // complete ranges from the start, plus the first partial one's bytes
    for (size_t j = 0; j < results.size() && prefix == firsts[j]; ++j) prefix += done[j];
    ::ftruncate(file.fd(), static_cast<off_t>(prefix));
    *f = fails[i];
    return results[i];
  }
  GetResult r;
  r.bytes = r.size = size;
  r.streams = n;
  r.seconds = seconds_since(start);
  return finish(url, o, file, probe, r, f);
}

// HEAD first: parallel only pays for big files on servers that take ranges.
int plan_streams(const Url& url, const GetOptions& o, ResponseHead& probe, GetFailure* f) {
  if (o.streams == 1 || o.resume) return 1;
  std::optional<HttpClient> client;
  auto head = request(client, "HEAD", url, {}, o, f);
  *f = GetFailure::kNone;  // the GET that follows reports real trouble
  if (head && head->keep_alive && o.pool) o.pool->give(std::move(*client));
  if (!head || head->status != 200 || !head->content_length) return 1;
  auto ranges = head->header("Accept-Ranges");
  if (!ranges || *ranges != "bytes") return 1;
  uint64_t size = *head->content_length;
  int want = o.streams > 0 ? o.streams : (size >= kParallelThreshold ? 4 : 1);
  if (size < static_cast<uint64_t>(want) * (64 << 10)) return 1;  // tiny: not worth connections
  probe = std::move(*head);
  return want;
}

}  // namespace

ClientPool::ClientPool() = default;
ClientPool::~ClientPool() = default;

void ClientPool::give(HttpClient client) { idle_ = std::make_unique<HttpClient>(std::move(client)); }

std::optional<HttpClient> ClientPool::take(const Url& url) {
  if (!idle_ || idle_->url().authority() != url.authority()) return std::nullopt;
  // An idle connection has nothing to say. Bytes (a server that sent more
  // than it announced) or EOF mean it cannot carry another request: anything
  // read from it would be taken for the next response.
  pollfd pfd{idle_->fd(), POLLIN, 0};
  if (::poll(&pfd, 1, 0) != 0) {
    idle_.reset();
    return std::nullopt;
  }
  std::optional<HttpClient> out(std::move(*idle_));
  idle_.reset();
  return out;
}

Result<GetResult> download(const Url& url, const GetOptions& o, GetFailure* failure) {
  GetFailure dummy;
  GetFailure* f = failure ? failure : &dummy;
  *f = GetFailure::kNone;
  auto file = AtomicFile::open(o.dest, {.resume = o.resume, .fsync = o.fsync});
  if (!file) {
    *f = GetFailure::kWrite;
    return std::move(file).take_status();
  }
  ResponseHead probe;
  int streams = file->direct() ? 1 : plan_streams(url, o, probe, f);
  if (streams > 1) return parallel(url, o, *file, probe, *probe.content_length, streams, f);
  return single_stream(url, o, *file, f);
}

Result<GetResult> download_raw(const std::string& host_port, const GetOptions& o,
                               GetFailure* failure) {
  GetFailure dummy;
  GetFailure* f = failure ? failure : &dummy;
  auto start = std::chrono::steady_clock::now();
  auto hp = parse_host_port(host_port);
  if (!hp) {
    *f = GetFailure::kUsage;
    return std::move(hp).take_status();
  }
  Url url;
  url.host = hp->host;
  url.port = hp->port;
  auto client = connect_to(url, o, f);
  if (!client) return std::move(client).take_status();
  auto file = AtomicFile::open(o.dest, {.resume = false, .fsync = o.fsync});
  if (!file) {
    *f = GetFailure::kWrite;
    return std::move(file).take_status();
  }
  BodyReader body(client->fd(), Framing::kUntilClose, 0, {});
  auto moved = land(body, *file, 0, 0, o, f);
  if (!moved) return std::move(moved).take_status();
  GetResult r;
  r.bytes = r.size = *moved;
  r.seconds = seconds_since(start);
  if (Status s = file->commit(std::nullopt); !s) {
    *f = GetFailure::kWrite;
    return s;
  }
  r.dest = file->dest();
  return r;
}

}  // namespace zcp
