#include "zcp/server/connection.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include "zcp/base/stats.h"
#include "zcp/fanout/chain.h"
#include "zcp/http/http_text.h"
#include "zcp/server/access_log.h"

namespace zcp {
namespace {

constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kMaxReadPerWakeup = 64 * 1024;

}  // namespace

Connection::Connection(UniqueFd fd, SocketAddress peer, const ConnectionConfig& cfg)
    : fd_(std::move(fd)), peer_(peer), cfg_(cfg), parser_(cfg.limits) {
  if (!cfg_.raw_file.empty()) {
    start_raw();
  } else {
    begin_head();
  }
}

uint32_t Connection::interest() const {
  switch (state_) {
    case State::kReadingHead: return EPOLLIN;
    case State::kReadingBody: return EPOLLIN;
    case State::kWriting: return EPOLLOUT;
    case State::kClosed: return 0;
  }
  return 0;
}

// kReadingHead: wait for a request; the first needs its head within
// header_timeout, a keep-alive one may idle for idle_timeout first.
void Connection::begin_head() {
  state_ = State::kReadingHead;
  head_started_ = false;
  bool first = started_ == Clock::time_point{};
  deadline_ = Clock::now() + (first ? cfg_.header_timeout : cfg_.idle_timeout);
}

void Connection::on_readable() {
  if (state_ == State::kReadingBody) {
    upload_step(upload_->receive(fd_.get()));
    if (state_ == State::kWriting) on_writable();
    return;
  }
  if (state_ != State::kReadingHead) return;
  char buf[kReadChunk];
  for (size_t total = 0; total < kMaxReadPerWakeup;) {
    ssize_t n = ::recv(fd_.get(), buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n == 0) {  // the client finished sending; answer what it sent, then close
      peer_done_ = true;
      break;
    }
    if (n < 0) {  // reset: the client is gone
      close();
      return;
    }
    in_.append(buf, static_cast<size_t>(n));
    total += static_cast<size_t>(n);
    if (static_cast<size_t>(n) < sizeof(buf)) break;  // drained: skip the EAGAIN call
  }
  handle_input();
  if (state_ == State::kReadingHead && peer_done_) {
    close();  // EOF with no complete request: nothing to answer
    return;
  }
  if (state_ == State::kWriting) on_writable();  // most responses fit at once
}

// Parses what has arrived; a complete head becomes a response.
void Connection::handle_input() {
  if (in_.empty() || state_ != State::kReadingHead) return;
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
    log_pending_ = true;
    request_line_.clear();
    referer_.clear();
    user_agent_.clear();
    arrived_ = std::chrono::system_clock::now();
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

// What the access log keeps of a parsed request.
void Connection::note_request(const HttpRequest& req) {
  log_pending_ = true;
  request_line_ = fmt::format("{} {} HTTP/{}.{}", req.method, req.target, req.version_major,
                              req.version_minor);
  referer_ = std::string(req.header("Referer").value_or(""));
  user_agent_ = std::string(req.header("User-Agent").value_or(""));
  arrived_ = std::chrono::system_clock::now();
  upload_bytes_.reset();
  if (req.method == "PUT") upload_bytes_ = 0;  // until the body comes: a refused PUT received none
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
  started_ = Clock::now();
  deadline_ = started_ + cfg_.send_timeout;
  state_ = State::kReadingBody;
  if (req.expects_continue()) {
    const std::string cont(kContinueHead);
    size_t sent = 0;
    if (!send_bytes(cont, sent, false)) {
      if (state_ != State::kClosed) fail("cannot send 100 Continue");  // a fragment would break framing
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
  auto hops = parse_forward(forward);
  if (!hops) return refuse(400, "bad Zcp-Forward: " + hops.status().to_string());
  RelayJob job;
  job.peer = peer_;
  job.forward = std::move(*hops);
  if (auto auth = req.header("Authorization")) job.authorization = std::string(*auth);
  job.expect_continue = req.expects_continue();
  job.request_line = request_line_;
  job.referer = referer_;
  job.user_agent = user_agent_;
  job.arrived = arrived_;
  job.started = Clock::now();
  job.body_prefix = in_.substr(0, static_cast<size_t>(std::min<uint64_t>(in_.size(), upload_->length())));
  job.upload = std::move(upload_);
  int fd = fd_.get();
  job.client = std::move(fd_);
  if (on_handoff) on_handoff(fd);
  if (!cfg_.relay->start(job)) {  // full or stopping: the job and its socket are still ours
    fd_ = std::move(job.client);
    upload_ = std::move(job.upload);
    return refuse(503, "too many relays at once");
  }
  in_.clear();  // anything after the body is dropped: the relay closes the connection
  log_pending_ = false;  // the relay logs the request
  state_ = State::kClosed;
}

// kReadingHead -> kClosed: a tree PUT's thread (tree_put.h) takes the
// socket, reads the tar stream and answers for itself.
void Connection::start_tree_put(const HttpRequest& req) {
  TreePutJob job = make_tree_put_job(req, std::move(in_));
  in_.clear();
  job.peer = peer_;
  int fd = fd_.get();
  job.client = std::move(fd_);
  if (on_handoff) on_handoff(fd);
  if (!cfg_.tree_put->start(job)) {  // full or stopping: the socket is still ours
    fd_ = std::move(job.client);
    Response r = error_response(503, "too many tree uploads at once");
    r.close = true;
    r.set("Retry-After", "1");
    return start_response(std::move(r));
  }
  log_pending_ = false;  // the tree PUT's thread logs the request
  state_ = State::kClosed;
}

// kReadingBody -> kWriting once the body is stored or has failed.
void Connection::upload_step(Upload::Step step) {
  if (step == Upload::Step::kNeedMore) {
    deadline_ = Clock::now() + cfg_.send_timeout;
    return;
  }
  Response r = step == Upload::Step::kComplete ? upload_->finish() : upload_->failure_response();
  bool gone = upload_->peer_closed();
  upload_bytes_ = upload_->received();
  upload_.reset();  // an unfinished O_TMPFILE vanishes here
  if (gone) {
    response_.status = 499;  // nginx's "client closed request": nothing was answered
    fail("client closed mid-upload");
    return;
  }
  state_ = State::kReadingHead;  // start_response reads the request's version
  Clock::time_point upload_started = started_;
  start_response(std::move(r));
  started_ = upload_started;  // the access log times the whole request, body included
}

void Connection::start_response(Response r) {
  const HttpRequest& req = parser_.request();
  http10_ = req.version_major == 1 && req.version_minor == 0;
  keep_alive_ = req.keep_alive && !r.close && !draining_;
  // A client that half-closed may still have pipelined requests in in_:
  // keep going while they last (finish_response closes when none is left).
  if (!keep_alive_) {
    r.set("Connection", "close");
  } else if (http10_) {
    r.set("Connection", "keep-alive");
  }
  head_ = build_head(r, http10_);
  head_sent_ = 0;
  bytes_sent_ = 0;
  body_sent_ = 0;
  response_ = std::move(r);
  started_ = Clock::now();
  deadline_ = started_ + cfg_.send_timeout;
  state_ = State::kWriting;
}

// Raw mode (the experiment's server): the whole file, then close.
void Connection::start_raw() {
  log_pending_ = true;
  request_line_ = "RAW";
  arrived_ = std::chrono::system_clock::now();
  started_ = Clock::now();
  auto file = open_file(cfg_.raw_file, O_RDONLY);
  struct stat st {};
  if (!file || ::fstat(file->get(), &st) != 0) {
    fail("cannot open " + cfg_.raw_file);
    return;
  }
  response_ = Response{};
  auto size = static_cast<uint64_t>(st.st_size);
  if (size > 0) {
    response_.body.push_back(Segment::file_range(std::make_shared<UniqueFd>(std::move(*file)), 0,
                                                 size, cfg_.raw_file));
  }
  keep_alive_ = false;
  deadline_ = started_ + cfg_.send_timeout;
  state_ = State::kWriting;
}

// kWriting: head, then body segments, at most max_bytes_per_wakeup of body.
void Connection::on_writable() {
  uint64_t budget = cfg_.max_bytes_per_wakeup;
  while (state_ == State::kWriting) {
    if (head_sent_ < head_.size()) {
      bool more = !response_.body.empty() || response_.source != nullptr;
      if (!send_bytes(head_, head_sent_, more)) return;
      continue;
    }
    if (response_.body.empty() && !refill()) return;
    if (response_.body.empty()) {
      finish_response();
      continue;
    }
    if (budget == 0) return;  // level-triggered epoll calls us again
    Segment& seg = response_.body.front();
    if (seg.is_file()) {
      if (!write_file(seg, budget)) return;
      if (seg.count > 0) continue;
    } else {
      size_t before = bytes_sent_;
      bool ok = send_bytes(seg.data, bytes_sent_, response_.body.size() > 1);
      body_sent_ += bytes_sent_ - before;
      if (!ok) return;
      bytes_sent_ = 0;
    }
    response_.body.pop_front();
  }
}

// Sends data[sent..]; false when the socket is full or the connection died.
bool Connection::send_bytes(const std::string& data, size_t& sent, bool more) {
  while (sent < data.size()) {
    ssize_t n = ::send(fd_.get(), data.data() + sent, data.size() - sent,
                       MSG_NOSIGNAL | (more ? MSG_MORE : 0));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return false;
    if (n < 0) {
      fail("client closed");
      return false;
    }
    sent += static_cast<size_t>(n);
    deadline_ = Clock::now() + cfg_.send_timeout;
  }
  return true;
}

bool Connection::write_file(Segment& seg, uint64_t& budget) {
  if (!engine_) engine_ = std::move(*make_send_engine(cfg_.engine));  // validated at startup
  uint64_t want = std::min(seg.count, budget);
  Progress p = engine_->send(seg.file->get(), seg.offset, want, fd_.get());
  seg.offset += p.moved;
  seg.count -= p.moved;
  body_sent_ += p.moved;
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
  if (!response_.source) return true;
  auto more = response_.source->next(response_.body);
  if (!more) {
    fail(more.status().to_string());
    return false;
  }
  if (!*more) response_.source.reset();
  return true;
}

void Connection::finish_response() {
  log_access("");
  response_ = Response{};  // closes the files it held
  if (!keep_alive_ || draining_) {
    close();
    return;
  }
  parser_.reset();
  begin_head();
  handle_input();  // a pipelined request may be waiting already
  if (state_ == State::kReadingHead && peer_done_) close();
}

void Connection::on_tick(Clock::time_point now) {
  if (state_ == State::kClosed || now < deadline_) return;
  if (state_ == State::kWriting) {
    fail("send timeout");
  } else if (state_ == State::kReadingBody) {
    fail("upload stalled");
  } else {
    close();  // idle keep-alive or a head too slow to arrive (slowloris)
  }
}

void Connection::start_draining() {
  draining_ = true;
  if (state_ == State::kReadingHead && !head_started_) close();  // idle between requests
}

void Connection::fail(std::string_view note) {
  log_access(note);
  close();
}

// Half-close first and drop unread input (shutdown_and_drain says why).
void Connection::close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  shutdown_and_drain(fd_.get(), 16);
  fd_.reset();
  response_ = Response{};
  engine_.reset();
  upload_.reset();
}

void Connection::log_access(std::string_view note) {
  if (!cfg_.access_log || !log_pending_) return;
  log_pending_ = false;
  AccessRecord rec;
  rec.peer = peer_;
  rec.when = arrived_;
  rec.request_line = request_line_;
  rec.status = response_.status;
  rec.bytes = upload_bytes_.value_or(body_sent_);
  rec.referer = referer_;
  rec.user_agent = user_agent_;
  rec.seconds = seconds_since(started_);
  rec.note = std::string(note);
  cfg_.access_log(format_access_line(rec, cfg_.log_json));
}

}  // namespace zcp
