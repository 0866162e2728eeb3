// One server worker: a listening socket, an event loop (epoll, or io_uring:
// worker_uring.cc) and the connections it accepted. Runs on its own thread;
// everything it owns is touched only from that thread except `stop()`,
// which wakes it through an eventfd.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "zcp/base/event_loop.h"
#include "zcp/base/uring.h"
#include "zcp/server/connection.h"
#include "zcp/server/file_cache.h"

namespace zcp {

class Worker {
 public:
  struct Limits {
    int max_connections;
    std::chrono::milliseconds drain_timeout;
    // This worker's open-file cache: entries (= descriptors, counted in
    // the server's descriptor budget) and how long one is trusted; 0
    // entries: no cache (--no-file-cache).
    size_t file_cache_entries = 0;
    std::chrono::milliseconds file_cache_valid{100};
    // The io_uring loop instead of epoll (the server checked it works).
    bool io_uring = false;
  };
  static Result<std::unique_ptr<Worker>> create(UniqueFd listener, const ConnectionConfig& cfg,
                                                std::atomic<int>& connections, Limits limits);

  Status run();
  void stop() { stopping_ = true; waker_.wake(); }

 private:
  Worker(UniqueFd listener, EventLoop loop, Waker waker, const ConnectionConfig& cfg,
         std::atomic<int>& connections, Limits limits);
  void accept_new();
  void adopt(UniqueFd fd, const SocketAddress& peer);
  void handle_events(Connection& c, uint32_t events);
  void sync(uint64_t id, Connection& c) { ring_ ? sync_ring(id, c) : sync_interest(id, c); }
  void pause_accepting();
  void resume_accepting();
  void refuse(UniqueFd fd);
  void dispatch(uint64_t tag, uint32_t events);
  void sync_interest(uint64_t id, Connection& c);
  void tick();
  void begin_drain();
  void reap();

  // --- the io_uring loop (worker_uring.cc)
  Status run_uring();
  void on_completion(const io_uring_cqe& cqe);
  void on_accept(int res, bool more);
  void on_recv(Connection& c, const io_uring_cqe& cqe);
  void on_send(Connection& c, int res);
  void sync_ring(uint64_t id, Connection& c);
  void sync_recv(uint64_t id, Connection& c);
  void arm_accept();
  void arm_waker();
  void arm_send(uint64_t id, Connection& c);
  void arm_poll(uint64_t id, Connection& c, uint32_t events);
  void cancel(uint64_t user_data);
  void cancel_accept();
  bool linger(uint64_t id, Connection& c);
  void tick_lingering(Clock::time_point now);
  void shut_ring();

  UniqueFd listener_;
  EventLoop loop_;
  Waker waker_;
  // Out of descriptors, the level-triggered listener would wake us forever:
  // it leaves the epoll set until then (nginx does the same).
  Clock::time_point accept_paused_until_{};
  bool accept_paused_ = false;
  // The server's config with this worker's own file cache in it (the
  // cache is touched only from this thread, so it needs no lock).
  std::unique_ptr<FileCache> files_;
  ConnectionConfig cfg_;
  std::atomic<int>& connections_;
  Limits limits_;
  std::atomic<bool> stopping_{false};
  bool draining_ = false;
  Clock::time_point drain_deadline_;
  uint64_t next_id_ = 2;  // 0: listener, 1: waker
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> conns_;
  std::unordered_map<uint64_t, uint32_t> registered_;  // id -> epoll events
  // Connections that reached kClosed since the last reap (sync_interest
  // sees each one), so reaping does not walk every connection per wakeup.
  std::vector<uint64_t> closed_;
  // io_uring mode: the ring (made on this thread: one submitter), whether
  // the multishot accept is live, and SQEs whose last CQE is still owed
  // (the loop never frees what one of them names).
  std::unique_ptr<Uring> ring_;
  bool accept_armed_ = false;
  int64_t inflight_ = 0;
};

}  // namespace zcp
