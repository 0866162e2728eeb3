// zcp serve --relay: a PUT that names further hosts (Zcp-Forward, see
// chain.h) is stored here and, at the same time, forwarded to the next
// reachable host. Between plain sockets that is tee_pump: no byte enters
// user space on the way. When either side is TLS (from the host before:
// the server's own certificate; to the host after: checked against
// RelayConfig::tls) the records are decrypted and encrypted here, by
// stream_pump.
//
// A relay runs on a thread of its own with blocking sockets and timeouts
// rather than in a worker's event loop: it paces two sockets and a file
// against each other, which blocking splice does in a few lines, and
// relays are few (one per chain passing through this host).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "zcp/base/socket.h"
#include "zcp/fanout/chain.h"
#include "zcp/fd.h"
#include "zcp/server/put_handler.h"
#include "zcp/url.h"

namespace zcp {

class TlsContext;
class TlsSession;

// One PUT to store and pass on, taken over from its worker.
struct RelayJob {
  UniqueFd client;  // the upstream connection; its head is read
  std::unique_ptr<TlsSession> tls;  // over `client` when the upstream came by HTTPS
  SocketAddress peer;
  std::unique_ptr<Upload> upload;  // this host's copy
  std::string body_prefix;         // body bytes that came with the head
  std::vector<Url> forward;        // the hosts after this one, in order
  std::string authorization;       // passed on as is (each hop checks it)
  bool expect_continue = false;    // the upstream waits for 100 Continue
  std::string request_line;        // "PUT /a.img HTTP/1.1", raw, for the log
  std::string referer, user_agent; // raw, for the log
  std::chrono::system_clock::time_point arrived;
  std::chrono::steady_clock::time_point started;
};

struct RelayConfig {
  std::chrono::milliseconds timeout{60000};   // any wait without progress
  size_t max_relays = 64;                     // at once; more get 503
  std::function<void(std::string_view)> log;  // access lines; null: silent
  bool log_json = false;                      // access_log.h's JSON lines
  // How onward https:// hops are trusted (--relay-cacert, --relay-pin, or
  // the system store), built once at start-up; null: such hops fail.
  std::shared_ptr<const TlsContext> tls;
};

class RelayPool {
 public:
  explicit RelayPool(RelayConfig cfg) : cfg_(std::move(cfg)) {}
  ~RelayPool() { drain(std::chrono::steady_clock::now()); }
  RelayPool(const RelayPool&) = delete;
  RelayPool& operator=(const RelayPool&) = delete;

  // Starts relaying `job` on its own thread; false (job untouched) when
  // the pool is full or stopping.
  bool start(RelayJob& job);
  // Server shutdown: no new relays; running ones get until `deadline`,
  // then their sockets are shut down and the threads joined.
  void drain(std::chrono::steady_clock::time_point deadline);

 private:
  struct Slot {
    std::thread thread;
    std::vector<int> sockets;  // cut at the drain deadline
    bool done = false;
  };
  class Watch;
  void run(Slot* slot, std::unique_ptr<RelayJob> job);
  void relay(RelayJob& job, SocketWatch& watch);
  void log(const RelayJob& job, int status, uint64_t bytes, const std::string& note,
           bool userspace);
  void join_finished();

  RelayConfig cfg_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::list<Slot> slots_;
  bool stopping_ = false;
  bool cut_ = false;  // past the drain deadline
};

}  // namespace zcp
