#include "zcp/downloader.h"

#include <poll.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "zcp/base/escape.h"
#include "zcp/base/socket.h"
#include "zcp/base/stats.h"
#include "zcp/client/atomic_file.h"
#include "zcp/client/redirect.h"
#include "zcp/client/refusal.h"
#include "zcp/client/resume_record.h"
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

GetError fail(GetFailure kind, Status s) { return GetError{kind, std::move(s)}; }

// What the network side of an exchange reports: an answer that makes no
// sense, or trouble on the connection (refused, reset, timed out).
GetFailure network_failure(const Status& s) {
  return s.code() == Code::kInvalid ? GetFailure::kProtocol : GetFailure::kConnect;
}

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


// Whether the receive engine moves bytes without user space (when the
// connection lets it: not TLS in user space).
bool engine_splices(const GetOptions& o) {
  return o.engine.name == "splice" || o.engine.name == "discard-splice";
}

// A pooled keep-alive connection to the same server when there is one.
GetResultOr<HttpClient> connect_to(const Url& url, const GetOptions& o, bool* reused = nullptr) {
  if (o.pool) {
    if (auto c = o.pool->take(url)) {
      if (reused) *reused = true;
      return std::move(*c);
    }
  }
  if (reused) *reused = false;
  auto c = HttpClient::connect(url, o.timeout, o.tls);
  if (!c) return fail(connect_failure(c.status()), std::move(c).take_status());
  return std::move(*c);
}

GetResultOr<ResponseHead> exchange(HttpClient& c, std::string_view method, const Url& url,
                                   const Headers& headers) {
  if (Status s = c.send_head(method, url.target, headers); !s) {
    return fail(GetFailure::kConnect, std::move(s));
  }
  auto head = c.read_head(method == "HEAD");
  if (!head) {
    Status s = std::move(head).take_status();
    GetFailure kind = network_failure(s);  // a silent server is trouble on the connection
    return fail(kind, std::move(s));
  }
  return std::move(*head);
}

// Sends the request; a pooled connection the server has meanwhile closed
// gets one retry on a fresh connection.
GetResultOr<ResponseHead> request(std::optional<HttpClient>& c, std::string_view method,
                                  const Url& url, const Headers& headers, const GetOptions& o) {
  bool reused = false;
  auto conn = connect_to(url, o, &reused);
  if (!conn) return std::move(conn).take_error();
  c.emplace(std::move(*conn));
  auto head = exchange(*c, method, url, headers);
  if (head || !reused) return head;
  GetOptions fresh = o;
  fresh.pool = nullptr;
  auto again = connect_to(url, fresh);
  if (!again) return std::move(again).take_error();
  c.emplace(std::move(*again));
  return exchange(*c, method, url, headers);
}

// A status other than the one wanted: a redirect to follow (kRedirect, the
// Location as the Status's subject), or an HTTP failure with the server's
// explanation when `c` can still read the body.
GetError http_error(const Url& url, const ResponseHead& head, HttpClient* c = nullptr) {
  std::string what = "server answered " + std::to_string(head.status);
  auto location = head.header("Location");
  if (is_redirect(head.status) && location && !location->empty()) {
    return fail(GetFailure::kRedirect,
                Status(Code::kInvalid, "GET " + url.to_string(), what + " (redirect)")
                    .at(std::string(*location)));
  }
  // The caller names the URL once.
  return fail(GetFailure::kHttp, Status::invalid(c ? refusal(*c, head) : what));
}

std::unique_ptr<RecvEngine> engine_for(const GetOptions& o) {
  auto e = make_recv_engine(o.engine);
  return e ? std::move(*e) : make_copy_receiver(kDefaultRecvChunk);
}

// --verify against a server that sends no digest: say so, and what to change,
// instead of calling the bytes a mismatch.
GetError no_digest() {  // the caller names the URL
  return fail(GetFailure::kNoDigest, Status::invalid(
      "--verify: the server sends no sha-256 digest (Repr-Digest), so nothing was fetched; "
      "zcp serve sends one unless started with --digest off (or drop --verify)"));
}

// --verify asks for the digest (RFC 9530), which zcp serve then computes at once.
void want_digest(const GetOptions& o, Headers& h) {
  if (o.verify) h.emplace_back("Want-Repr-Digest", "sha-256=10");
}

// --verify: hash what landed and compare with the server's Repr-Digest.
GetError verify(int fd, uint64_t size, const std::optional<std::string>& want, const Url& url) {
  if (!want) return no_digest();
  auto got = sha256_file(fd, 0, size);
  if (!got) return fail(GetFailure::kWrite, std::move(got).take_status());  // reading DEST.part back
  if (*got != *want) {
    return fail(GetFailure::kVerify,
                Status(Code::kInvalid, "verify " + url.to_string(),
                       "sha-256 mismatch: got " + repr_digest_value(*got) + ", server says " +
                           repr_digest_value(*want)));
  }
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

int default_streams() {
  unsigned cpus = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(cpus, 2u, 4u));
}

GetFailure connect_failure(const Status& s) {
  GetFailure k = classify_failure(s);
  bool tls = k == GetFailure::kTlsHandshake || k == GetFailure::kTlsUntrusted || k == GetFailure::kTlsPin;
  return tls ? k : GetFailure::kConnect;
}

GetFailure classify_failure(const Status& s) {
  switch (s.code()) {
    case Code::kTlsHandshake: return GetFailure::kTlsHandshake;
    case Code::kTlsUntrusted: return GetFailure::kTlsUntrusted;
    case Code::kTlsPinMismatch: return GetFailure::kTlsPin;
    default: break;
  }
  int e = s.error_number();
  bool local_errno = e == ENOSPC || e == EDQUOT || e == EROFS || e == EIO || e == EFBIG ||
                     e == ELOOP || e == EACCES || e == EPERM || e == ENOTDIR || e == EISDIR ||
                     e == EEXIST || e == ENAMETOOLONG;
  return local_errno ? GetFailure::kWrite : network_failure(s);
}

namespace {

// Lands the rest of `body` at `offset` (or streams it), reporting progress
// and, when there is a record, advancing it as the writes return.
GetResultOr<uint64_t> land(BodyReader& body, AtomicFile& file, uint64_t offset, uint64_t total,
                           const GetOptions& o, ResumeRecord* record = nullptr, size_t slot = 0) {
  auto engine = engine_for(o);
  auto cb = [&](uint64_t n) {
    if (record) record->advance(slot, n);
    if (o.progress) o.progress(offset + n, total);
  };
  auto moved = body.rest_to_file(file.fd(), file.direct() ? kStreamOffset : offset, *engine, cb);
  if (!moved) {
    Status s = std::move(moved).take_status();
    if (!body.write_failed()) {
      GetFailure kind = network_failure(s);
      return fail(kind, std::move(s));
    }
    // Name the file that could not be written ("splice pipe->file X: No space ...").
    return fail(GetFailure::kWrite, std::move(s).at(file.direct() ? file.dest() : file.part_path()));
  }
  return *moved;
}

// Decides where a (possibly resumed) response starts; false: start over.
GetResultOr<uint64_t> resume_offset(const ResponseHead& head, uint64_t from, bool asked_range,
                                    AtomicFile& file, const GetOptions& o) {
  if (head.status == 206) {
    // Only the rest of the file will do: a range that starts elsewhere, stops
    // short of the end, or answers a request without Range would land a
    // fragment under the final name.
    uint64_t first = 0, size = 0;
    auto cr = head.header("Content-Range");
    if (!asked_range || !cr || !parse_content_range(*cr, first, size) || first != from ||
        !head.content_length || first + *head.content_length != size) {
      return fail(GetFailure::kProtocol,
                  Status(Code::kInvalid, "resume",
                         "the server sent the wrong range (" + std::string(cr.value_or("none")) + ")"));
    }
    return from;
  }
  if (from > 0) {  // 200: the file changed (If-Range failed) or Range was ignored
    if (o.notice) o.notice("the server's copy changed or it ignored the range: starting over");
    if (Status s = file.restart(); !s) return fail(GetFailure::kWrite, std::move(s));
  }
  return uint64_t{0};
}

GetResultOr<GetResult> finish(const Url& url, const GetOptions& o, AtomicFile& file,
                              const ResponseHead& head, GetResult r) {
  if (o.verify && !file.direct()) {
    if (GetError e = verify(file.fd(), r.size, digest_of(head), url); e.kind != GetFailure::kNone) {
      return e;
    }
    r.verified = true;
  }
  if (!file.direct()) ResumeRecord::erase(file.fd());  // the final file carries no record
  if (Status s = file.commit(mtime_of(head)); !s) return fail(GetFailure::kWrite, std::move(s));
  r.dest = file.dest();
  return r;
}

// The record of the download in progress, shared with the checkpoint
// (another thread) under a lock; replaced only between phases, when no
// worker uses it.
class RecordHolder {
 public:
  ResumeRecord* set(std::unique_ptr<ResumeRecord> r) {
    std::lock_guard<std::mutex> lock(mu_);
    record_ = std::move(r);
    return record_.get();
  }
  ResumeRecord* get() {
    std::lock_guard<std::mutex> lock(mu_);
    return record_.get();
  }
  // Persists and counts what the .part keeps (its size when there is no
  // record: a single stream of unknown length writes a prefix).
  DownloadCheckpoint::Kept save(AtomicFile& file) {
    std::lock_guard<std::mutex> lock(mu_);
    DownloadCheckpoint::Kept k{file.part_path(), 0, 0};
    if (record_ && record_->persistent()) {
      [[maybe_unused]] Status s = record_->persist();
      k.bytes = record_->kept();
      k.size = record_->size();
    } else {
      struct stat st {};
      if (::fstat(file.fd(), &st) == 0) k.bytes = static_cast<uint64_t>(st.st_size);
      if (record_) {  // no attributes here: only the prefix is known good
        auto missing = record_->missing();
        k.bytes = missing.empty() ? record_->size() : missing.front().first;
        k.size = record_->size();
        [[maybe_unused]] int rc = ::ftruncate(file.fd(), static_cast<off_t>(k.bytes));
      }
    }
    return k;
  }

 private:
  std::mutex mu_;
  std::unique_ptr<ResumeRecord> record_;
};

int streams_for(const GetOptions& o, uint64_t size) {
  int want = o.streams > 0 ? o.streams : (size >= kParallelThreshold ? default_streams() : 1);
  if (size < static_cast<uint64_t>(want) * (64 << 10)) return 1;  // tiny: not worth connections
  return want;
}

// The GET that opened a download as `Range: bytes=0-`, answered 206: its
// body is the whole file, of which this connection lands the first piece.
struct OpenedRange {
  HttpClient client;
  ResponseHead head;
};

GetResultOr<GetResult> parallel(const Url& url, const GetOptions& o, AtomicFile& file,
                                RecordHolder& holder, uint64_t size, OpenedRange first, int n);

// One GET, and what its answer allows. A fresh download into a file asks
// `Range: bytes=0-`: a 206 says the server takes ranges and, in its
// Content-Range, the size, so a big file goes parallel on this very
// connection without a HEAD first (one round trip, and one wait for a
// silent server); a 200 is a server without ranges, fetched as one stream.
GetResultOr<GetResult> single_stream(const Url& url, const GetOptions& o, AtomicFile& file,
                                     RecordHolder& holder) {
  auto start = std::chrono::steady_clock::now();
  uint64_t from = o.resume && !file.direct() ? file.existing_size() : 0;
  bool open_ranged = from == 0 && !file.direct() && o.streams != 1;
  Headers h;
  if (from > 0) {
    h.emplace_back("Range", "bytes=" + std::to_string(from) + "-");
    std::string v = load_validator(file.fd());
    if (!v.empty()) h.emplace_back("If-Range", v);
  } else if (open_ranged) {
    h.emplace_back("Range", "bytes=0-");
  }
  want_digest(o, h);
  std::optional<HttpClient> client;
  auto head = request(client, "GET", url, h, o);
  if (!head) return std::move(head).take_error();
  if (head->status == 416 && (from > 0 || open_ranged)) {
    // An empty file has no byte 0 to range over; a resumed one changed size.
    if (from > 0 && o.notice) o.notice("the server's copy changed size: starting over");
    if (Status st = file.restart(); !st) return fail(GetFailure::kWrite, std::move(st));
    GetOptions plain = o;
    plain.resume = false;
    plain.streams = 1;  // no Range this time
    return single_stream(url, plain, file, holder);
  }
  if (head->status != 200 && head->status != 206) return http_error(url, *head, &*client);
  if (o.verify && !file.direct() && !digest_of(*head)) return no_digest();  // before any byte
  auto offset = resume_offset(*head, from, from > 0 || open_ranged, file, o);
  if (!offset) return std::move(offset).take_error();
  uint64_t total = head->content_length ? *offset + *head->content_length : 0;
  if (open_ranged && head->status == 206) {
    int n = streams_for(o, total);
    if (n > 1) {
      return parallel(url, o, file, holder, total, OpenedRange{std::move(*client), std::move(*head)}, n);
    }
  }
  ResumeRecord* record = nullptr;
  size_t slot = 0;
  if (!file.direct()) {
    save_validator(file.fd(), validator_of(*head));
    if (total > 0) {  // a known size: record the prefix as it grows
      record = holder.set(std::make_unique<ResumeRecord>(file.fd(), total, validator_of(*head), o.fsync));
      slot = record->start(0);
      record->advance(slot, *offset);
    }
  }
  BodyReader body = client->body(*head);
  auto moved = land(body, file, *offset, total, o, record, slot);
  if (record) [[maybe_unused]] Status st = record->persist();
  if (!moved) return std::move(moved).take_error();
  GetResult r;
  r.path = to_string(client->body_path(engine_splices(o)));  // before the pool takes it
  if (o.pool && head->keep_alive && body.done()) o.pool->give(std::move(*client));
  r.bytes = *moved;
  r.size = *offset + *moved;
  r.resumed_from = *offset;
  r.seconds = seconds_since(start);
  return finish(url, o, file, *head, r);
}

// How one range went: `changed` when the server's file is no longer the
// one the record describes (If-Range failed: 200; 416; another size).
struct RangeOutcome {
  GetError error;  // kind kNone: the range landed
  bool changed = false;
  std::optional<ResponseHead> head;  // for Last-Modified and Repr-Digest
  BodyPath path = BodyPath::kSplice;
};

// Lands range `iv` from the body `head` announced on `client`, advancing
// the record and the shared count as bytes land.
RangeOutcome land_range(HttpClient& client, ResponseHead head, const GetOptions& o, int fd,
                        ByteInterval iv, ResumeRecord& record, std::atomic<uint64_t>& landed,
                        uint64_t base) {
  RangeOutcome out;
  out.path = client.body_path(engine_splices(o));
  auto engine = engine_for(o);
  BodyReader body = client.body(head);
  size_t slot = record.start(iv.first);
  uint64_t last = 0;
  Status landed_range = body.to_file(fd, iv.first, iv.size(), *engine, [&](uint64_t n) {
    record.advance(slot, n);
    uint64_t all = landed += n - last;
    last = n;
    if (o.progress) o.progress(base + all, record.size());
  });
  if (!landed_range) {
    GetFailure kind = body.write_failed() ? GetFailure::kWrite : network_failure(landed_range);
    out.error = fail(kind, std::move(landed_range));
  }
  out.head = std::move(head);
  return out;
}

// One range of a parallel download, on its own connection.
RangeOutcome fetch_range(const Url& url, const GetOptions& o, int fd, ByteInterval iv,
                         ResumeRecord& record, std::atomic<uint64_t>& landed, uint64_t base) {
  RangeOutcome out;
  GetOptions own = o;
  own.pool = nullptr;  // each range on its own connection
  auto client = connect_to(url, own);
  if (!client) {
    out.error = std::move(client).take_error();
    return out;
  }
  Headers h{{"Range", "bytes=" + std::to_string(iv.first) + "-" + std::to_string(iv.end - 1)}};
  if (!record.validator().empty()) h.emplace_back("If-Range", record.validator());
  want_digest(o, h);
  auto head = exchange(*client, "GET", url, h);
  if (!head) {
    out.error = std::move(head).take_error();
    return out;
  }
  uint64_t got_first = 0, size = 0;
  auto cr = head->header("Content-Range");
  bool parsed = cr && parse_content_range(*cr, got_first, size);
  if (head->status == 200 || head->status == 416 || (head->status == 206 && parsed && size != record.size())) {
    out.changed = true;
    out.error = fail(GetFailure::kProtocol,
                     Status(Code::kInvalid, "GET " + url.to_string(), "the server's copy changed"));
    return out;
  }
  if (head->status != 206) {
    out.error = http_error(url, *head, &*client);
    return out;
  }
  if (!parsed || got_first != iv.first || head->content_length != iv.size()) {
    out.error = fail(GetFailure::kProtocol,
                     Status(Code::kInvalid, "GET " + url.to_string(),
                            "range " + std::to_string(iv.first) + "+" + std::to_string(iv.size()) +
                                " answered with " + std::string(cr.value_or("no Content-Range"))));
    return out;
  }
  return land_range(*client, std::move(*head), o, fd, iv, record, landed, base);
}

// Cuts `missing` into at least `streams` pieces (halving the largest) so a
// resume runs as parallel as a fresh download; pieces stay >= 64 KiB (as
// streams_for: smaller is not worth a connection).
std::vector<ByteInterval> split_for_streams(std::vector<ByteInterval> missing, int streams) {
  constexpr uint64_t kMinPiece = 64 << 10;
  while (missing.size() < static_cast<size_t>(streams)) {
    auto big = std::max_element(missing.begin(), missing.end(),
                                [](auto& a, auto& b) { return a.size() < b.size(); });
    if (big == missing.end() || big->size() < 2 * kMinPiece) break;
    uint64_t mid = big->first + big->size() / 2;
    ByteInterval second{mid, big->end};
    big->end = mid;
    missing.insert(big + 1, second);
  }
  return missing;
}


// Fetches what `record` misses, `streams` connections at a time, each range
// spliced into its offset of DEST.part; the record advances as bytes land.
// changed: the server's file is not the one the record describes.
// `opened`, when given, carries the first piece (from byte 0) on the
// connection that opened the download; it is closed after that piece.
GetResultOr<GetResult> fetch_missing(const Url& url, const GetOptions& o, AtomicFile& file,
                                     ResumeRecord& record, int streams, bool* changed,
                                     std::optional<OpenedRange> opened = std::nullopt) {
  auto start = std::chrono::steady_clock::now();
  uint64_t base = record.kept();
  std::vector<ByteInterval> todo = split_for_streams(record.missing(), streams);
  std::mutex mu;
  size_t next = 0;
  std::atomic<uint64_t> landed{0};
  std::atomic<bool> stop{false};
  std::vector<RangeOutcome> outcomes;  // failures and the heads, under mu
  auto worker = [&] {
    for (;;) {
      ByteInterval iv;
      std::optional<OpenedRange> mine;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (stop || next == todo.size()) return;
        iv = todo[next++];
        if (opened && iv.first == 0) mine = std::exchange(opened, std::nullopt);
      }
      RangeOutcome r = mine ? land_range(mine->client, std::move(mine->head), o, file.fd(), iv,
                                         record, landed, base)
                            : fetch_range(url, o, file.fd(), iv, record, landed, base);
      mine.reset();  // the rest of its body is not wanted: close it
      std::lock_guard<std::mutex> lock(mu);
      if (r.error.kind != GetFailure::kNone) stop = true;
      outcomes.push_back(std::move(r));
    }
  };
  size_t n = std::min(todo.size(), static_cast<size_t>(streams));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < n; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  // A record that cannot be written is only a slower resume.
  [[maybe_unused]] Status saved = record.persist();
  const ResponseHead* head = nullptr;
  for (auto& r : outcomes) {
    if (r.error.kind != GetFailure::kNone) {
      *changed = r.changed;
      // Name the file that could not be written, as a single stream does.
      if (r.error.kind == GetFailure::kWrite) r.error.status.at(file.part_path());
      return std::move(r.error);
    }
    if (r.head) head = &*r.head;
  }
  GetResult r;
  if (!outcomes.empty()) r.path = to_string(outcomes.front().path);
  r.bytes = landed;
  r.size = record.size();
  r.resumed_from = base;
  r.streams = static_cast<int>(std::max<size_t>(n, 1));
  r.seconds = seconds_since(start);
  static const ResponseHead kNoHead;
  return finish(url, o, file, head ? *head : kNoHead, r);
}

// N ranges on N connections into a preallocated DEST.part.
GetResultOr<GetResult> parallel(const Url& url, const GetOptions& o, AtomicFile& file,
                                RecordHolder& holder, uint64_t size, OpenedRange first, int n) {
  if (Status s = file.preallocate(size); !s) return fail(GetFailure::kWrite, std::move(s));
  ResumeRecord* record =
      holder.set(std::make_unique<ResumeRecord>(file.fd(), size, validator_of(first.head), o.fsync));
  [[maybe_unused]] Status marked = record->persist();  // claims nothing yet: marks the .part ours
  bool changed = false;
  auto r = fetch_missing(url, o, file, *record, n, &changed, std::move(first));
  if (r) r->resumed_from = 0;
  return r;
}

// -c with a record: only the missing ranges, as many streams as a fresh
// download of this size would use. nullopt: the server's file changed.
std::optional<GetResultOr<GetResult>> resume_recorded(const Url& url, const GetOptions& o,
                                                      AtomicFile& file, RecordHolder& holder,
                                                      std::unique_ptr<ResumeRecord> loaded) {
  uint64_t size = loaded->size();
  if (Status s = file.preallocate(size); !s) {
    return GetResultOr<GetResult>(fail(GetFailure::kWrite, std::move(s)));
  }
  ResumeRecord* record = holder.set(std::move(loaded));
  bool changed = false;
  auto r = fetch_missing(url, o, file, *record, streams_for(o, size), &changed);
  if (!r && changed) return std::nullopt;
  return r;
}

// -c on a DEST that is already there and no .part: a HEAD tells whether it
// is the server's file (same size, same Last-Modified as its mtime).
std::optional<GetResultOr<GetResult>> already_complete(const Url& url, const GetOptions& o) {
  struct stat st {};
  if (o.dest == "-" || ::stat(o.dest.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  struct stat part {};
  if (::lstat(part_name_for(o.dest).c_str(), &part) == 0) return std::nullopt;  // resume that
  std::optional<HttpClient> client;
  auto head = request(client, "HEAD", url, {}, o);
  if (!head) return GetResultOr<GetResult>(std::move(head).take_error());
  if (head->status != 200) return GetResultOr<GetResult>(http_error(url, *head));
  if (head->keep_alive && o.pool) o.pool->give(std::move(*client));
  auto mtime = mtime_of(*head);
  if (head->content_length != static_cast<uint64_t>(st.st_size) ||
      (mtime && *mtime != static_cast<int64_t>(st.st_mtime))) {
    return std::nullopt;
  }
  GetResult r;
  r.dest = o.dest;
  r.size = static_cast<uint64_t>(st.st_size);
  r.already_complete = true;
  return GetResultOr<GetResult>(r);
}

// Arms the checkpoint for the life of one download.
class CheckpointGuard {
 public:
  CheckpointGuard(DownloadCheckpoint* cp, AtomicFile& file, RecordHolder& holder) : cp_(cp) {
    if (!cp_ || file.direct()) {
      cp_ = nullptr;
      return;
    }
    cp_->arm([&file, &holder] {
      auto kept = holder.save(file);
      if (kept.bytes == 0) file.discard();
      return kept;
    });
  }
  ~CheckpointGuard() {
    if (cp_) cp_->disarm();
  }
  CheckpointGuard(const CheckpointGuard&) = delete;
  CheckpointGuard& operator=(const CheckpointGuard&) = delete;

 private:
  DownloadCheckpoint* cp_;
};

GetResultOr<GetResult> download_into(const Url& url, const GetOptions& o, AtomicFile& file,
                                     RecordHolder& holder) {
  if (file.direct()) return single_stream(url, o, file, holder);
  if (o.resume) {
    if (auto loaded = ResumeRecord::load(file.fd(), o.fsync)) {
      if (auto r = resume_recorded(url, o, file, holder, std::move(loaded))) return std::move(*r);
      if (o.notice) o.notice("the server's copy changed: starting over");
      holder.set(nullptr);
      ResumeRecord::erase(file.fd());
      if (Status s = file.restart(); !s) return fail(GetFailure::kWrite, std::move(s));
      GetOptions fresh = o;
      fresh.resume = false;
      return download_into(url, fresh, file, holder);
    }
  }
  return single_stream(url, o, file, holder);
}

}  // namespace

std::optional<DownloadCheckpoint::Kept> DownloadCheckpoint::save() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!save_fn_) return std::nullopt;
  return save_fn_();
}

void DownloadCheckpoint::arm(std::function<Kept()> save_fn) {
  std::lock_guard<std::mutex> lock(mu_);
  save_fn_ = std::move(save_fn);
}

void DownloadCheckpoint::disarm() {
  std::lock_guard<std::mutex> lock(mu_);
  save_fn_ = nullptr;
}

ClientPool::ClientPool() = default;
ClientPool::~ClientPool() = default;

void ClientPool::give(HttpClient client) { idle_ = std::make_unique<HttpClient>(std::move(client)); }

std::optional<HttpClient> ClientPool::take(const Url& url) {
  if (!idle_ || idle_->url().authority() != url.authority() || idle_->url().tls != url.tls) {
    return std::nullopt;
  }
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

namespace {

GetResultOr<GetResult> download_once(const Url& url, const GetOptions& o);

// RFC 3986 5.2.4 on a path (and its query, left alone): "/a/b/../c" -> "/a/c".
std::string without_dot_segments(const std::string& target) {
  size_t q = target.find('?');
  std::string path = target.substr(0, q), rest = q == std::string::npos ? "" : target.substr(q);
  std::vector<std::string> out;
  size_t i = 1;
  bool trailing = false;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string seg = path.substr(i, j - i);
    trailing = j == path.size() && (seg == "." || seg == "..");
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
    } else if (seg != ".") {
      out.push_back(seg);
    }
    i = j + 1;
  }
  std::string result;
  for (auto& seg : out) result += "/" + seg;
  if (result.empty() || trailing) result += "/";
  return result + rest;
}

}  // namespace

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// Where a redirect's Location points, as curl -L resolves it: absolute,
// scheme-relative, absolute path, or relative to the current directory;
// only to the scheme it came from (never a downgrade from https; an
// upgrade would need trust options the user gave for another host).
Result<Url> follow_redirect(const Url& from, const std::string& location) {
  std::string text = location;
  std::string own = from.tls ? "https" : "http";
  if (text.rfind("//", 0) == 0) {
    text = own + ":" + text;
  } else if (text.find("://") == std::string::npos) {
    std::string path = from.target.substr(0, from.target.find('?'));
    if (text.front() != '/') path = path.substr(0, path.rfind('/') + 1) + text;
    else path = text;
    text = own + "://" + from.authority() + without_dot_segments(path);
  }
  auto scheme_end = text.find("://");
  std::string scheme = text.substr(0, scheme_end);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != own) {
    return Status::invalid("redirected to " + escape_peer_text(location, 200) +
                           ": not followed (only " + own + ":// is)");
  }
  return parse_url(own + text.substr(scheme_end));
}

GetResultOr<GetResult> download(const Url& url, const GetOptions& o) {
  Url current = url;
  for (int hops = 0;; ++hops) {
    auto r = download_once(current, o);
    if (r || r.error().kind != GetFailure::kRedirect) return r;
    if (hops == kMaxRedirects) {
      return fail(GetFailure::kHttp,
                  Status::invalid("more than " + std::to_string(kMaxRedirects) + " redirects"));
    }
    auto next = follow_redirect(current, r.error().status.subject());
    if (!next) return fail(GetFailure::kHttp, std::move(next).take_status());
    current = std::move(*next);
  }
}

namespace {

GetResultOr<GetResult> download_once(const Url& url, const GetOptions& o) {
  if (o.resume) {
    if (auto done = already_complete(url, o)) return std::move(*done);
  }
  auto file = AtomicFile::open(o.dest, {.resume = o.resume, .fsync = o.fsync});
  if (!file) return fail(GetFailure::kWrite, std::move(file).take_status());
  RecordHolder holder;
  GetResultOr<GetResult> r = [&] {
    CheckpointGuard guard(o.checkpoint, *file, holder);
    return download_into(url, o, *file, holder);
  }();
  // The record is saved for -c; a failure before any byte landed leaves no
  // empty .part behind.
  if (!r && !file->direct() && file->fd() >= 0 && holder.save(*file).bytes == 0) file->discard();
  return r;
}

}  // namespace

GetResultOr<GetResult> download_raw(const std::string& host_port, const GetOptions& o) {
  auto start = std::chrono::steady_clock::now();
  auto hp = parse_host_port(host_port);
  if (!hp) return fail(GetFailure::kUsage, std::move(hp).take_status());
  Url url;
  url.host = hp->host;
  url.port = hp->port;
  auto client = connect_to(url, o);
  if (!client) return std::move(client).take_error();
  auto file = AtomicFile::open(o.dest, {.resume = false, .fsync = o.fsync});
  if (!file) return fail(GetFailure::kWrite, std::move(file).take_status());
  BodyReader body(client->fd(), Framing::kUntilClose, 0, {});
  auto moved = land(body, *file, 0, 0, o);
  if (!moved) return std::move(moved).take_error();
  GetResult r;
  r.bytes = r.size = *moved;
  r.seconds = seconds_since(start);
  if (Status s = file->commit(std::nullopt); !s) return fail(GetFailure::kWrite, std::move(s));
  r.dest = file->dest();
  return r;
}

}  // namespace zcp
