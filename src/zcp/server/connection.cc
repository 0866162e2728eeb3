#include "zcp/server/connection.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cassert>

#include <fmt/format.h>

#include "zcp/base/stats.h"
#include "zcp/fanout/chain.h"
#include "zcp/http/http_text.h"
#include "zcp/server/access_log.h"
#include "zcp/tls/tls_session.h"

namespace zcp {
namespace {

constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kMaxReadPerWakeup = 64 * 1024;
// Head plus in-memory body segments per sendmsg: a chunked listing or a tar
// stream's headers go out in one call instead of one each.
constexpr int kMaxIov = 16;

using State = Connection::State;

// The moves the header's diagram allows; anything else is a bug.
[[maybe_unused]] bool allowed(State from, State to) {
  switch (from) {
    case State::kHandshake: return to == State::kReadingHead || to == State::kClosed;
    case State::kReadingHead:
      return to == State::kReadingBody || to == State::kWriting || to == State::kClosed;
    case State::kReadingBody: return to == State::kWriting || to == State::kClosed;
    case State::kWriting: return to == State::kReadingHead || to == State::kClosed;
    case State::kClosed: return false;
  }
  return false;
}

}  // namespace

// Past --drain-timeout the worker drops what is left: a transfer still
// running gets its access-log line here, with the bytes it sent.
Connection::~Connection() {
  if (draining_) log_access("cut at --drain-timeout");
}

Connection::Connection(UniqueFd fd, SocketAddress peer, const ConnectionConfig& cfg)
    : fd_(std::move(fd)), peer_(peer), cfg_(cfg), parser_(cfg.limits) {
  if (cfg_.io_uring && !cfg_.tls) ring_ = std::make_unique<RingIo>();
  if (!cfg_.raw_file.empty()) {
    start_raw();
  } else if (cfg_.tls) {
    start_tls_wait();
  } else {
    begin_head();
  }
}

uint32_t Connection::interest() const {
  switch (state_) {
    case State::kHandshake: return tls_want_write_ ? EPOLLOUT : EPOLLIN;
    case State::kReadingHead: return EPOLLIN;
    case State::kReadingBody: return EPOLLIN;
    case State::kWriting: return EPOLLOUT;
    case State::kClosed: return 0;
  }
  return 0;
}

// The one place state_ changes, and with it the deadline the new state
// runs against (on_tick enforces it).
void Connection::enter(State next) {
  assert(allowed(state_, next));
  state_ = next;
  auto now = Clock::now();
  switch (next) {
    case State::kReadingHead:
      head_started_ = false;
      deadline_ = now + (answered_ ? cfg_.idle_timeout : cfg_.header_timeout);
      break;
    case State::kReadingBody:
    case State::kWriting: deadline_ = now + cfg_.send_timeout; break;
    case State::kHandshake:
    case State::kClosed: break;
  }
}

// kReadingHead: wait for a request. The constructor starts here without a
// transition (the connection is born reading).
void Connection::begin_head() {
  if (state_ != State::kReadingHead) return enter(State::kReadingHead);
  head_started_ = false;
  deadline_ = Clock::now() + (answered_ ? cfg_.idle_timeout : cfg_.header_timeout);
}

// --- the socket --------------------------------------------------------------

Connection::Io Connection::read_some(char* buf, size_t len) {
  if (tls_) return tls_read(buf, len);
  if (ring_) return ring_read(buf, len);
  for (;;) {
    ssize_t n = ::recv(fd_.get(), buf, len, 0);
    if (n > 0) return {Io::Kind::kDone, static_cast<size_t>(n)};
    if (n == 0) return {Io::Kind::kEof};
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return {Io::Kind::kWouldBlock};
    return {Io::Kind::kError};
  }
}

// sendmsg rather than writev for its flags: MSG_MORE tells TCP that body
// bytes (a sendfile) follow, so head and body share packets.
Connection::Io Connection::write_iov(const iovec* iov, int count, bool more) {
  if (tls_) return tls_write(iov, count);
  if (ring_) {
    if (ring_->send_busy()) return {Io::Kind::kWouldBlock};  // one SEND at a time, in order
    // A file range that follows goes by a synchronous sendfile: its head
    // must be in the socket first, so only bytes ending a write go by SEND.
    if (!more) return ring_write(iov, count);
  }
  msghdr msg{};
  msg.msg_iov = const_cast<iovec*>(iov);
  msg.msg_iovlen = static_cast<size_t>(count);
  for (;;) {
    ssize_t n = ::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
    if (n >= 0) return {Io::Kind::kDone, static_cast<size_t>(n)};
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return {Io::Kind::kWouldBlock};
    return {Io::Kind::kError};
  }
}

Progress Connection::send_file_range(int file_fd, uint64_t offset, uint64_t count) {
  if (tls_) return tls_send_file(file_fd, offset, count);
  if (ring_ && ring_->send_busy()) return {0, Status(Code::kWouldBlock, "sendfile")};  // after the SEND
  if (!engine_) engine_ = std::move(*make_send_engine(cfg_.engine));  // validated at startup
  return engine_->send(file_fd, offset, count, fd_.get());
}

// --- reading requests --------------------------------------------------------

void Connection::on_readable() {
  if (state_ == State::kHandshake) return on_handshake();
  if (state_ == State::kReadingBody) {
    upload_step(tls_ ? upload_->receive_from(*tls_) : upload_->receive(fd_.get()));
    if (state_ == State::kWriting) on_writable();
    return;
  }
  if (state_ != State::kReadingHead) return;
  char buf[kReadChunk];
  for (size_t total = 0; total < kMaxReadPerWakeup;) {
    Io r = read_some(buf, sizeof(buf));
    if (r.kind == Io::Kind::kWouldBlock) break;
    if (r.kind == Io::Kind::kEof) {  // the client finished sending; answer what it sent, then close
      peer_done_ = true;
      break;
    }
    if (r.kind == Io::Kind::kError) {  // reset: the client is gone
      close();
      return;
    }
    in_.append(buf, r.bytes);
    total += r.bytes;
    // Drained: skip the EAGAIN call (OpenSSL returns one record at a time,
    // so a short TLS read says nothing unless it holds no more).
    if (r.bytes < sizeof(buf) && (!tls_ || !tls_has_pending())) break;
  }
  handle_input();
  if (state_ == State::kReadingHead && peer_done_ && !input_held()) {
    close();  // EOF with no complete request: nothing to answer
    return;
  }
  if (state_ == State::kWriting) on_writable();  // most responses fit at once
}

// Parses what has arrived; a complete head becomes a response.
void Connection::handle_input() {
  if (in_.empty() || state_ != State::kReadingHead || input_held()) return;
  if (!head_started_) {
    head_started_ = true;
    deadline_ = Clock::now() + cfg_.header_timeout;  // not extended per byte: slowloris
  }
  size_t consumed = 0;
  auto state = parser_.feed(in_, consumed);
  in_.erase(0, consumed);
  if (state == HttpRequestParser::State::kNeedMore) return;
  if (state == HttpRequestParser::State::kError) {
    Response r = error_response(parser_.error().status, parser_.error().reason);
    r.close = true;  // the framing of what follows is unknown
    log_ = LogRecord{};
    log_.pending = true;
    log_.arrived = std::chrono::system_clock::now();
    start_response(std::move(r));
    return;
  }
  const HttpRequest& req = parser_.request();
  note_request(req);
  if (auto bad = host_error(req)) {
    Response r = error_response(bad->status, bad->reason);
    r.close = true;  // a body, if any, was not read
    return start_response(std::move(r));
  }
  if (cfg_.tree_put && is_tree_put(req)) return start_tree_put(req);
  if (req.method == "PUT") return start_upload(req);
  start_response(handle_request(req, cfg_.handler));
}

// What the access log (or a relay, which logs for itself) keeps of a
// parsed request. Without either nothing is copied: no allocation per
// request for a line nobody writes.
void Connection::note_request(const HttpRequest& req) {
  bool is_put = req.method == "PUT";
  if (!cfg_.access_log && !is_put) return;
  log_ = LogRecord{};
  log_.pending = true;
  log_.request_line = fmt::format("{} {} HTTP/{}.{}", req.method, req.target, req.version_major,
                                  req.version_minor);
  log_.referer = std::string(req.header("Referer").value_or(""));
  log_.user_agent = std::string(req.header("User-Agent").value_or(""));
  log_.arrived = std::chrono::system_clock::now();
  if (is_put) log_.upload_bytes = 0;  // until the body comes: a refused PUT received none
}

// kReadingHead -> kReadingBody: the body goes to a temporary file; bytes
// that came with the head are taken first.
void Connection::start_upload(const HttpRequest& req) {
  auto begun = Upload::begin(req, cfg_.upload);
  if (auto* refused = std::get_if<Response>(&begun)) return start_response(std::move(*refused));
  upload_ = std::move(std::get<std::unique_ptr<Upload>>(begun));
  if (auto forward = req.header(kForwardHeader); forward && !trim_ows(*forward).empty()) {
    return start_relay(req, *forward);
  }
  reply_.started = Clock::now();  // the access log times the whole request, body included
  enter(State::kReadingBody);
  if (req.expects_continue()) {
    // Nothing else is in the socket buffer yet, so all of it goes or the
    // client is in trouble; a fragment would break the framing.
    iovec iov{const_cast<char*>(kContinueHead.data()), kContinueHead.size()};
    Io w = write_iov(&iov, 1, false);
    if (w.kind != Io::Kind::kDone || w.bytes != kContinueHead.size()) {
      fail(w.kind == Io::Kind::kError ? "client closed" : "cannot send 100 Continue");
      return;
    }
  }
  upload_step(upload_->take_buffered(in_));
}

// kReadingHead -> kClosed: a relay thread takes the socket (and the
// upload) and answers for itself.
void Connection::start_relay(const HttpRequest& req, std::string_view forward) {
  auto refuse = [this](int status, std::string why) {
    upload_.reset();
    Response r = error_response(status, why);
    r.close = true;  // the body was not read
    if (status == 503) r.set("Retry-After", "1");
    start_response(std::move(r));
  };
  if (!cfg_.relay) return refuse(403, "relaying is off (zcp serve --relay)");
  // One header, its hosts by spaces: a second one (which header() would
  // drop) or a comma list (the usual HTTP form) would lose or mangle hosts.
  if (req.header_count(kForwardHeader) > 1) {
    return refuse(400, "bad Zcp-Forward: more than one header; name all hosts in one, by spaces");
  }
  auto hops = parse_forward(forward);
  if (!hops) return refuse(400, "bad Zcp-Forward: " + hops.status().to_string());
  RelayJob job;
  job.peer = peer_;
  job.forward = std::move(*hops);
  if (auto auth = req.header("Authorization")) job.authorization = std::string(*auth);
  job.expect_continue = req.expects_continue();
  job.request_line = log_.request_line;
  job.referer = log_.referer;
  job.user_agent = log_.user_agent;
  job.arrived = log_.arrived;
  job.started = Clock::now();
  job.body_prefix = in_.substr(0, static_cast<size_t>(std::min<uint64_t>(in_.size(), upload_->length())));
  job.upload = std::move(upload_);
  int fd = fd_.get();
  job.client = std::move(fd_);
  job.tls = std::move(tls_);  // the relay reads the body through it
  if (on_handoff) on_handoff(fd);
  if (!cfg_.relay->start(job)) {  // full or stopping: the job and its socket are still ours
    fd_ = std::move(job.client);
    tls_ = std::move(job.tls);
    upload_ = std::move(job.upload);
    return refuse(503, "too many relays at once");
  }
  in_.clear();  // anything after the body is dropped: the relay closes the connection
  log_.pending = false;  // the relay logs the request
  enter(State::kClosed);
}

// kReadingHead -> kClosed: a tree PUT's thread (tree_put.h) takes the
// socket, reads the tar stream and answers for itself.
void Connection::start_tree_put(const HttpRequest& req) {
  TreePutJob job = make_tree_put_job(req, std::move(in_));
  in_.clear();
  job.peer = peer_;
  int fd = fd_.get();
  job.client = std::move(fd_);
  job.tls = std::move(tls_);  // the thread reads the tar stream through it
  if (on_handoff) on_handoff(fd);
  if (!cfg_.tree_put->start(job)) {  // full or stopping: the socket is still ours
    fd_ = std::move(job.client);
    tls_ = std::move(job.tls);
    Response r = error_response(503, "too many tree uploads at once");
    r.close = true;
    r.set("Retry-After", "1");
    return start_response(std::move(r));
  }
  log_.pending = false;  // the tree PUT's thread logs the request
  enter(State::kClosed);
}

// kReadingBody -> kWriting once the body is stored or has failed.
void Connection::upload_step(Upload::Step step) {
  if (step == Upload::Step::kNeedMore) {
    deadline_ = Clock::now() + cfg_.send_timeout;
    return;
  }
  Response r = step == Upload::Step::kComplete ? upload_->finish() : upload_->failure_response();
  bool gone = upload_->peer_closed();
  log_.upload_bytes = upload_->received();
  upload_.reset();  // an unfinished O_TMPFILE vanishes here
  if (gone) {
    reply_.response.status = 499;  // nginx's "client closed request": nothing was answered
    fail("client closed mid-upload");
    return;
  }
  answer_upload(std::move(r));
}

// The answer to an upload: the access log times the whole request, from
// the head's arrival through the body, not from the answer.
void Connection::answer_upload(Response r) {
  Clock::time_point upload_started = reply_.started;
  start_response(std::move(r));
  reply_.started = upload_started;
}

// kReadingBody past --send-timeout: the client stopped sending. The upload
// is dropped (its temporary file vanishes) and the client is told so with
// a 408, as nginx's client_body_timeout does, then the connection closes.
void Connection::stalled_upload() {
  if (upload_) log_.upload_bytes = upload_->received();
  upload_.reset();
  Response r = text_response(408, "text/plain; charset=utf-8",
                             "408 Request Timeout: the body stopped arriving (--send-timeout)\n");
  r.close = true;
  answer_upload(std::move(r));
}

// -> kWriting: the head is built into head_ (its buffer reused), the body
// waits in reply_.response.
void Connection::start_response(Response r) {
  const HttpRequest& req = parser_.request();
  bool http10 = req.version_major == 1 && req.version_minor == 0;
  bool keep_alive = req.keep_alive && !r.close && !draining_;
  // A client that half-closed may still have pipelined requests in in_:
  // keep going while they last (finish_response closes when none is left).
  if (!keep_alive) {
    r.set("Connection", "close");
  } else if (http10) {
    r.set("Connection", "keep-alive");
  }
  head_.clear();
  append_head(head_, r, http10);
  reply_ = Reply{std::move(r), 0, 0, 0, keep_alive, Clock::now()};
  answered_ = true;
  enter(State::kWriting);
}

// Raw mode (the experiment's server): the whole file, then close.
void Connection::start_raw() {
  log_.pending = true;
  log_.request_line = "RAW";
  log_.arrived = std::chrono::system_clock::now();
  reply_ = Reply{};
  reply_.started = Clock::now();
  auto file = open_file(cfg_.raw_file, O_RDONLY);
  struct stat st {};
  if (!file || ::fstat(file->get(), &st) != 0) {
    fail("cannot open " + cfg_.raw_file);
    return;
  }
  auto size = static_cast<uint64_t>(st.st_size);
  if (size > 0) {
    reply_.response.body.push_back(Segment::file_range(
        std::make_shared<UniqueFd>(std::move(*file)), 0, size, cfg_.raw_file));
  }
  head_.clear();  // no HTTP: no head
  enter(State::kWriting);
}

// --- writing responses -------------------------------------------------------

// kWriting: head, then body segments, at most max_bytes_per_wakeup of body
// from files (in-memory segments are small and go with the head).
void Connection::on_writable() {
  if (state_ == State::kHandshake) return on_handshake();
  uint64_t budget = cfg_.max_bytes_per_wakeup;
  while (state_ == State::kWriting) {
    auto& body = reply_.response.body;
    if (reply_.head_sent < head_.size() || (!body.empty() && !body.front().is_file())) {
      if (!write_bytes()) return;
      continue;
    }
    if (body.empty()) {
      if (!refill()) return;
      if (body.empty()) finish_response();
      continue;  // the source may have added bytes (chunk headers) or files
    }
    if (budget == 0) return;  // level-triggered epoll calls us again
    Segment& seg = body.front();
    if (!write_file(seg, budget)) return;
    if (seg.count == 0) body.pop_front();
  }
}

// The rest of the head and the in-memory segments after it, in one
// sendmsg: a small file's head and body leave in one syscall. False when
// the socket is full or the connection died.
bool Connection::write_bytes() {
  auto& body = reply_.response.body;
  iovec iov[kMaxIov];
  int n = 0;
  if (reply_.head_sent < head_.size()) {
    iov[n++] = {head_.data() + reply_.head_sent, head_.size() - reply_.head_sent};
  }
  size_t i = 0;
  for (; i < body.size() && n < kMaxIov && !body[i].is_file(); ++i) {
    std::string_view v = body[i].bytes_view();
    if (i == 0) v.remove_prefix(reply_.seg_sent);
    if (!v.empty()) iov[n++] = {const_cast<char*>(v.data()), v.size()};
  }
  size_t written = 0;
  if (n > 0) {
    // MSG_MORE only when a file range follows at once (the head before a
    // sendfile body). Bytes that end what a streamed source has so far (a
    // tar's last member, a manifest's end line) must leave now: corked, TCP
    // would hold them for 200 ms waiting for more.
    Io w = write_iov(iov, n, i < body.size());
    if (w.kind == Io::Kind::kWouldBlock) return false;
    if (w.kind == Io::Kind::kError) {
      fail("client closed");
      return false;
    }
    written = w.bytes;
    deadline_ = Clock::now() + cfg_.send_timeout;
  }
  // Account for what went: the head first, then whole segments.
  size_t h = std::min(written, head_.size() - reply_.head_sent);
  reply_.head_sent += h;
  written -= h;
  while (!body.empty() && !body.front().is_file()) {
    size_t left = body.front().size() - reply_.seg_sent;
    if (written < left) {
      reply_.seg_sent += written;
      reply_.body_sent += written;
      break;
    }
    written -= left;
    reply_.body_sent += left;
    reply_.seg_sent = 0;
    body.pop_front();
  }
  return true;
}

bool Connection::write_file(Segment& seg, uint64_t& budget) {
  uint64_t want = std::min(seg.count, budget);
  Progress p = send_file_range(seg.file->get(), seg.offset, want);
  seg.offset += p.moved;
  seg.count -= p.moved;
  reply_.body_sent += p.moved;
  budget -= p.moved;
  if (p.moved > 0) deadline_ = Clock::now() + cfg_.send_timeout;
  if (p.status.is_ok() || p.status.would_block()) return p.status.is_ok();
  if (p.status.code() == Code::kShortFile) {
    fail("file shrank while being sent: " + seg.label);  // the client sees a short body
  } else {
    fail("client closed");
  }
  return false;
}

// Asks the body source for more; false if the connection was closed.
bool Connection::refill() {
  if (!reply_.response.source) return true;
  auto more = reply_.response.source->next(reply_.response.body);
  if (!more) {
    fail(more.status().to_string());
    return false;
  }
  if (!*more) reply_.response.source.reset();
  return true;
}

// kWriting -> kReadingHead (keep-alive) or kClosed.
void Connection::finish_response() {
  log_access("");
  bool keep_alive = reply_.keep_alive;
  reply_ = Reply{};  // closes the files it held
  if (!keep_alive || draining_) {
    close();
    return;
  }
  parser_.reset();
  begin_head();
  handle_input();  // a pipelined request may be waiting already
  if (state_ == State::kReadingHead && peer_done_ && !input_held()) close();
}

void Connection::on_tick(Clock::time_point now) {
  if (state_ == State::kClosed || now < deadline_) return;
  if (state_ == State::kWriting) {
    fail("send timeout");
  } else if (state_ == State::kReadingBody) {
    stalled_upload();
  } else {
    close();  // idle keep-alive or a head too slow to arrive (slowloris)
  }
}

void Connection::start_draining() {
  draining_ = true;
  if ((state_ == State::kReadingHead && !head_started_) || state_ == State::kHandshake) {
    close();  // idle between requests, or not even a request yet
  }
}

void Connection::fail(std::string_view note) {
  log_access(note);
  close();
}

// -> kClosed. Half-close first and drop unread input (shutdown_and_drain
// says why).
void Connection::close() {
  if (state_ == State::kClosed) return;
  enter(State::kClosed);
  if (tls_) tls_close();  // close_notify, then the session goes before its socket
  // io_uring: a reply still in the out buffer leaves first, and no SQE may
  // name a descriptor number that was reused; the worker calls
  // release_socket() once the last completion is in.
  if (!ring_ || !ring_->outstanding()) release_socket();
  reply_ = Reply{};
  engine_.reset();
  upload_.reset();
}

void Connection::log_access(std::string_view note) {
  if (!cfg_.access_log || !log_.pending) return;
  log_.pending = false;
  AccessRecord rec;
  rec.peer = peer_;
  rec.when = log_.arrived;
  rec.request_line = log_.request_line;
  rec.status = reply_.response.status;
  rec.bytes = log_.upload_bytes.value_or(reply_.body_sent);
  rec.referer = log_.referer;
  rec.user_agent = log_.user_agent;
  rec.seconds = seconds_since(reply_.started);
  rec.note = std::string(note);
  if (tls_up_) rec.tls = tls_path_;
  cfg_.access_log(format_access_line(rec, cfg_.log_json));
}

}  // namespace zcp
