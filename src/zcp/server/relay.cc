#include "zcp/server/relay.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include "zcp/base/stats.h"
#include "zcp/fanout/chain.h"
#include "zcp/fanout/tee_pump.h"
#include "zcp/http/http_response.h"
#include "zcp/send_engine.h"
#include "zcp/server/access_log.h"
#include "zcp/tls/tls_context.h"
#include "zcp/tls/tls_session.h"

namespace zcp {
namespace {

using Clock = std::chrono::steady_clock;

bool stored(int status) { return status == 201 || status == 204; }

// The text of a short error response ("507 Insufficient Storage: ...").
std::string response_text(const Response& r) {
  std::string text = r.body.empty() ? std::string() : r.body.front().data;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text.empty() ? fmt::format("HTTP {}", r.status) : text;
}

// This host's own copy: commit it, or say why it failed.
HopResult commit_local(RelayJob& job, const Status& file, uint64_t received) {
  HopResult self;
  Response r;
  if (file) {
    job.upload->mark_received(received);
    r = job.upload->finish();
  } else {
    r = job.upload->fail_with(file);
  }
  job.upload.reset();  // an uncommitted O_TMPFILE vanishes here
  self.status = r.status;
  self.ok = stored(r.status);
  self.bytes = self.ok ? received : 0;
  self.seconds = seconds_since(job.started);
  if (!self.ok) self.error = response_text(r);
  return self;
}

// The upstream's answer: this host's status, everyone's outcome as JSON.
Status answer(RelayJob& job, const std::vector<HopResult>& results) {
  // 204 may carry no body: "replaced" is 200 here, and 204 in the report.
  int status = results.front().status == 204 ? 200 : results.front().status;
  Response r = text_response(status, "application/json", report_json(results));
  r.set("Connection", "close");
  std::string text = build_head(r, false) + r.body.front().data;
  return job.tls ? job.tls->write(text) : send_all(job.client.get(), text);
}

std::string summary(const std::vector<HopResult>& results) {
  size_t ok = 0;
  for (const auto& r : results) ok += r.ok ? 1 : 0;
  return fmt::format("relay: {} of {} hosts stored", ok, results.size());
}

// The body's way through this host: what reached the next host and the
// file, what failed, and whether it went through user space.
struct Moved {
  TeeResult tee;
  uint64_t taken = 0;  // bytes that came with the head
  Status file, out;
  bool userspace = false;
};

// Bytes that came with the head go to the next host, then into the file;
// the rest flows through tee_pump between plain sockets, else stream_pump.
Moved move_body(RelayJob& job, ChainLink& link) {
  Moved m;
  ByteStream* out = link.client ? &link.client->stream() : nullptr;
  std::string prefix = std::move(job.body_prefix);
  if (out && !prefix.empty()) m.out = out->write(prefix);
  m.taken = prefix.size();
  if (job.upload->take_buffered(prefix) == Upload::Step::kFailed) m.file = job.upload->error();
  uint64_t rest = job.upload->length() - m.taken;
  int file = m.file ? job.upload->file_fd() : -1;
  if (!m.out) out = nullptr;
  // TLS records must be decrypted or encrypted here: no splice to or from
  // a TLS socket (kTLS would allow it; this kernel has none to test with).
  m.userspace = job.tls || (link.client && link.client->tls());
  if (m.userspace) {
    PlainStream plain_up(job.client.get());
    ByteStream& in = job.tls ? static_cast<ByteStream&>(*job.tls) : plain_up;
    m.tee = stream_pump(in, rest, file, m.taken, out);
  } else {
    m.tee = tee_pump(job.client.get(), rest, file, m.taken, out ? out->fd() : -1, kDefaultPipeSize);
  }
  if (m.file) m.file = m.tee.file;
  if (m.out) m.out = m.tee.out;
  return m;
}

}  // namespace

// The sockets of one relay, cut when the server's drain deadline passes.
class RelayPool::Watch final : public SocketWatch {
 public:
  Watch(RelayPool& pool, Slot& slot) : pool_(pool), slot_(slot) {}
  void add(int fd) override {
    std::lock_guard lock(pool_.mu_);
    slot_.sockets.push_back(fd);
    if (pool_.cut_) ::shutdown(fd, SHUT_RDWR);  // opened after the deadline
  }
  void remove(int fd) override {
    std::lock_guard lock(pool_.mu_);
    std::erase(slot_.sockets, fd);
  }

 private:
  RelayPool& pool_;
  Slot& slot_;
};

bool RelayPool::start(RelayJob& job) {
  join_finished();
  std::lock_guard lock(mu_);
  if (stopping_ || slots_.size() >= cfg_.max_relays) return false;
  auto it = slots_.emplace(slots_.end());
  it->sockets.push_back(job.client.get());
  auto owned = std::make_unique<RelayJob>(std::move(job));
  RelayJob* raw = owned.get();
  try {
    // The thread cannot touch the slot before we unlock.
    it->thread =
        std::thread([this, slot = &*it, raw] { run(slot, std::unique_ptr<RelayJob>(raw)); });
  } catch (const std::system_error&) {  // no thread to be had (EAGAIN): the caller answers 503
    job = std::move(*owned);
    slots_.erase(it);
    return false;
  }
  owned.release();  // the thread owns it now
  return true;
}

void RelayPool::join_finished() {
  std::list<Slot> finished;
  {
    std::lock_guard lock(mu_);
    for (auto it = slots_.begin(); it != slots_.end();) {
      auto next = std::next(it);
      if (it->done) finished.splice(finished.end(), slots_, it);
      it = next;
    }
  }
  for (Slot& s : finished) s.thread.join();
}

void RelayPool::drain(Clock::time_point deadline) {
  std::unique_lock lock(mu_);
  stopping_ = true;
  auto all_done = [this] {
    for (const Slot& s : slots_) {
      if (!s.done) return false;
    }
    return true;
  };
  if (!changed_.wait_until(lock, deadline, all_done)) {
    // Past the deadline: blocked splices and reads return at once, and a
    // socket opened from now on is cut as it is watched.
    cut_ = true;
    for (Slot& s : slots_) {
      for (int fd : s.sockets) ::shutdown(fd, SHUT_RDWR);
    }
    changed_.wait(lock, all_done);
  }
  lock.unlock();
  join_finished();
}

namespace {

// A link without its time limit could hang this relay for ever: if the
// limit cannot be set, cut the link, so the pump and finish_chain report it
// lost the way they report a host that died.
void limit_link(int fd, std::chrono::milliseconds limit) {
  if (!set_blocking_with_timeout(fd, limit)) ::shutdown(fd, SHUT_RDWR);
}

}  // namespace

void RelayPool::run(Slot* slot, std::unique_ptr<RelayJob> job) {
  Watch watch(*this, *slot);
  relay(*job, watch);
  job->upload.reset();
  if (job->tls) job->tls->shutdown();  // close_notify after the answer
  job->tls.reset();
  shutdown_and_drain(job->client.get(), 16);  // so no RST destroys the answer
  watch.remove(job->client.get());
  job->client.reset();
  std::lock_guard lock(mu_);
  slot->done = true;
  changed_.notify_all();
}

// The chain first, then 100 Continue: the upstream sends nothing while this
// host is still looking for its next one (and its wait allows for that).
void RelayPool::relay(RelayJob& job, SocketWatch& watch) {
  const int up = job.client.get();
  ChainPut put;
  put.tls = cfg_.tls;
  put.authorization = job.authorization;
  put.length = job.upload->length();
  put.timeout = kSetupPerHost;
  put.watch = &watch;
  std::vector<HopResult> results(1 + job.forward.size());
  std::vector<HopResult> rest(job.forward.size());
  ChainLink link = open_chain(job.forward, put, rest);
  int down = link.client ? link.client->fd() : -1;
  if (down >= 0) limit_link(down, stall_limit(job.forward.size() - link.index));
  Status setup = set_blocking_with_timeout(up, cfg_.timeout);
  if (setup && job.expect_continue) {
    setup = job.tls ? job.tls->write(kContinueHead) : send_all(up, kContinueHead);
  }
  Moved m;
  if (setup) m = move_body(job, link);
  // A TLS link that ends cleanly says so (close_notify); one dropped early
  // does not, so the next host sees a truncated body and discards it.
  auto drop_link = [&](bool clean) {
    if (clean && link.client && link.client->tls()) link.client->tls()->shutdown();
    if (down >= 0) watch.remove(down);
    link.client.reset();
  };
  if (!setup || !m.tee.in) {
    // The upstream is gone or stalled: nothing to commit, nobody to tell.
    // Dropping the link makes the next host see a short body and discard.
    drop_link(false);
    log(job, 499, m.tee.received, "relay: " + (setup ? m.tee.in : setup).to_string(), m.userspace);
    return;
  }
  results[0] = commit_local(job, m.file, m.taken + m.tee.received);
  results[0].path = m.userspace ? "userspace" : "splice";
  if (down >= 0) limit_link(down, cfg_.timeout);  // it may be fsyncing
  finish_chain(link, m.out, rest);
  drop_link(m.out.is_ok());
  std::move(rest.begin(), rest.end(), results.begin() + 1);
  Status told = answer(job, results);
  log(job, results[0].status, results[0].bytes,
      summary(results) + (told ? "" : "; answer lost: " + told.to_string()), m.userspace);
}

void RelayPool::log(const RelayJob& job, int status, uint64_t bytes, const std::string& note,
                    bool userspace) {
  if (!cfg_.log) return;
  AccessRecord rec;
  rec.peer = job.peer;
  rec.when = job.arrived;
  rec.request_line = job.request_line;
  rec.status = status;
  rec.bytes = bytes;
  rec.referer = job.referer;
  rec.user_agent = job.user_agent;
  rec.seconds = seconds_since(job.started);
  rec.note = note;  // holds the other hosts' words: format_access_line escapes it
  // tls= describes the logged connection, the one from the host before:
  // over TLS its body went through user space. A plain one whose next hop
  // is TLS went through user space too (stream_pump): the note says so,
  // since this connection itself was plain. Both plain: neither (splice).
  if (job.tls) {
    rec.tls = "userspace";
  } else if (userspace) {
    rec.note += "; body via userspace (TLS to the next host)";
  }
  cfg_.log(format_access_line(rec, cfg_.log_json));
}

}  // namespace zcp
