#include "zcp/relay.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include "zcp/chain.h"
#include "zcp/http_response.h"
#include "zcp/send_engine.h"
#include "zcp/tee_pump.h"

namespace zcp {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

bool stored(int status) { return status == 201 || status == 204; }

// How long the next host may take no bytes before it is dropped (and this
// host goes on storing). A host that hangs instead of dying blocks every
// hop before it at once, so the limit shrinks towards the end of the chain:
// the hop nearest the hang gives up first and the others never time out.
// The sender's --timeout (30 s) covers chains of up to 10 hosts.
constexpr std::chrono::milliseconds kStallPerHost{3000};
std::chrono::milliseconds stall_limit(size_t hosts_after) {
  return kStallPerHost * static_cast<int64_t>(hosts_after);
}

// The text of a short error response ("507 Insufficient Storage: ...").
std::string response_text(const Response& r) {
  std::string text = r.body.empty() ? std::string() : r.body.front().data;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text.empty() ? fmt::format("HTTP {}", r.status) : text;
}

// This host's own copy: commit it, or say why it failed.
HopResult commit_local(RelayJob& job, const Status& file, uint64_t received) {
  HopResult self;
  Response r = file ? (job.upload->mark_received(received), job.upload->finish())
                    : job.upload->fail_with(file);
  job.upload.reset();  // an uncommitted O_TMPFILE vanishes here
  self.status = r.status;
  self.ok = stored(r.status);
  self.bytes = self.ok ? received : 0;
  self.seconds = since(job.started);
  if (!self.ok) self.error = response_text(r);
  return self;
}

// The upstream's answer: this host's status, everyone's outcome as JSON.
Status answer(int fd, const std::vector<HopResult>& results) {
  Response r;
  // 204 may carry no body: "replaced" is 200 here, and 204 in the report.
  r.status = results.front().status == 204 ? 200 : results.front().status;
  std::string body = report_json(results);
  r.set("Content-Type", "application/json");
  r.set("Content-Length", std::to_string(body.size()));
  r.set("Connection", "close");
  return send_all(fd, build_head(r, false) + body);
}

// Half-close, then drop unread input: closing with unread bytes sends an
// RST that can destroy the answer before the upstream reads it.
void close_gently(int fd) {
  ::shutdown(fd, SHUT_WR);
  char sink[4096];
  for (int i = 0; i < 16 && ::recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; ++i) {
  }
}

std::string summary(const std::vector<HopResult>& results) {
  size_t ok = 0;
  for (const auto& r : results) ok += r.ok ? 1 : 0;
  return fmt::format("relay: {} of {} hosts stored", ok, results.size());
}

}  // namespace

bool RelayPool::start(RelayJob& job) {
  join_finished();
  std::lock_guard lock(mu_);
  if (stopping_ || slots_.size() >= cfg_.max_relays) return false;
  Slot& slot = slots_.emplace_back();
  slot.sockets.push_back(job.client.get());
  // The thread cannot touch the slot before we unlock.
  slot.thread = std::thread(&RelayPool::run, this, &slot, std::move(job));
  return true;
}

void RelayPool::watch(Slot* slot, int fd) {
  std::lock_guard lock(mu_);
  slot->sockets.push_back(fd);
}

void RelayPool::unwatch(Slot* slot, int fd) {
  std::lock_guard lock(mu_);
  std::erase(slot->sockets, fd);
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
    // Past the deadline: blocked splices and reads return at once.
    for (Slot& s : slots_) {
      for (int fd : s.sockets) ::shutdown(fd, SHUT_RDWR);
    }
    changed_.wait(lock, all_done);
  }
  lock.unlock();
  join_finished();
}

void RelayPool::run(Slot* slot, RelayJob job) {
  const int up = job.client.get();
  const uint64_t length = job.upload->length();
  std::vector<HopResult> results(1 + job.forward.size());
  // The chain first, then 100 Continue: the upstream sends nothing while
  // this host is still looking for its next one (and its wait allows for it).
  ChainPut put;
  put.authorization = job.authorization;
  put.length = length;
  put.timeout = kSetupPerHost;
  std::vector<HopResult> rest(job.forward.size());
  ChainLink link = open_chain(job.forward, put, rest);
  int down = link.client ? link.client->fd() : -1;
  if (down >= 0) {
    watch(slot, down);
    set_blocking_with_timeout(down, stall_limit(job.forward.size() - link.index));
  }
  Status setup = set_blocking_with_timeout(up, cfg_.timeout);
  if (setup && job.expect_continue) setup = send_all(up, "HTTP/1.1 100 Continue\r\n\r\n");

  // Bytes that came with the head: to the next host, then into the file.
  Status out_error, file_error;
  std::string prefix = std::move(job.body_prefix);
  if (down >= 0 && !prefix.empty()) out_error = send_all(down, prefix);
  uint64_t taken = prefix.size();
  if (job.upload->take_buffered(prefix) == Upload::Step::kFailed) file_error = job.upload->error();
  TeeResult t;
  if (setup) {
    t = tee_pump(up, length - taken, file_error ? job.upload->file_fd() : -1, taken,
                 out_error ? down : -1, kDefaultPipeSize);
  }
  if (file_error) file_error = t.file;
  if (out_error) out_error = t.out;

  if (!setup || !t.in) {
    // The upstream is gone or stalled: nothing to commit, nobody to tell.
    // Dropping the link makes the next host see a short body and discard.
    if (down >= 0) unwatch(slot, down);
    link.client.reset();
    if (cfg_.log) {
      cfg_.log(fmt::format("{} \"{}\" 499 {} {:.3f}s relay: {}", job.peer.to_string(),
                           job.request_line, t.received, since(job.started),
                           (setup ? t.in : setup).to_string()));
    }
  } else {
    results[0] = commit_local(job, file_error, taken + t.received);
    if (down >= 0) set_blocking_with_timeout(down, cfg_.timeout);  // it may be fsyncing
    finish_chain(link, out_error, rest);
    if (down >= 0) unwatch(slot, down);
    link.client.reset();
    std::move(rest.begin(), rest.end(), results.begin() + 1);
    Status told = answer(up, results);
    if (cfg_.log) {
      cfg_.log(fmt::format("{} \"{}\" {} {} {:.3f}s {}{}", job.peer.to_string(), job.request_line,
                           results[0].status, results[0].bytes, since(job.started),
                           summary(results), told ? "" : "; answer lost: " + told.to_string()));
    }
  }
  job.upload.reset();
  close_gently(up);
  unwatch(slot, up);
  job.client.reset();
  std::lock_guard lock(mu_);
  slot->done = true;
  changed_.notify_all();
}

}  // namespace zcp
