// `zcp serve`: N worker threads, each with its own epoll loop and its own
// listening socket on the same address (SO_REUSEPORT lets the kernel spread
// new connections across them). Workers share nothing but read-only config
// and one atomic connection count.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "zcp/engine_spec.h"
#include "zcp/fd.h"
#include "zcp/socket_address.h"
#include "zcp/status.h"
#include "zcp/tls_options.h"

namespace zcp {

struct ServerConfig {
  std::string root = ".";                // served directory
  std::string listen = "127.0.0.1:8080";  // "ADDR:PORT", "[v6]:PORT"; port 0 picks one
  // A listening TCP socket to serve on instead of binding `listen` (socket
  // activation: systemd passes it as fd 3). Borrowed: each worker gets a dup.
  int listen_fd = -1;
  int workers = 0;                       // 0: one per CPU
  EngineSpec engine{"sendfile", 0};
  std::string raw_file;                  // raw mode: this file to every connection
  bool dotfiles = false;
  int max_connections = 4096;            // beyond: 503 and close
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds send_timeout{60000};
  std::chrono::milliseconds drain_timeout{10000};
  std::function<void(std::string_view)> log;  // access and error lines; null: silent
  bool log_json = false;     // access lines as JSON objects instead of the combined log format
  bool upload = false;       // accept PUT
  std::string token;         // required as "Authorization: Bearer TOKEN" for PUT
  uint64_t max_upload = 0;   // bytes; 0: no limit
  bool relay = false;        // PUTs naming further hosts (Zcp-Forward) are passed on
  // How a relay trusts the https:// hosts it passes PUTs on to: the system
  // store unless relay_tls.cacert; relay_tls.pin ("sha256//A;sha256//B"):
  // any one of these keys is trusted. Built once in create() (a bad file
  // or pin: kInvalid naming --relay-cacert / --relay-pin).
  TlsOptions relay_tls;
  // Repr-Digest (sha-256). kLazy: hashed in the background once a file is
  // asked for, and at once for a request that sends Want-Repr-Digest (a
  // client that verifies gets its digest on the first try).
  enum class Digest { kOff, kLazy, kStartup } digest = Digest::kLazy;
  // Open-file cache, one per worker: descriptors, stat results and (up to
  // copy_below bytes) contents of recently served files, each trusted for
  // file_cache_valid after it was opened, then opened afresh. Its
  // descriptors come out of the budget --max-connections is checked
  // against (RLIMIT_NOFILE). false: every request opens its file.
  bool file_cache = true;
  size_t file_cache_entries = 256;  // per worker, at most
  std::chrono::milliseconds file_cache_valid{100};
  // Bodies up to this size go out with the head in one sendmsg (copied
  // from the page cache, or from the file cache); larger ones by the engine.
  uint64_t copy_below = 8 * 1024;
  // HTTPS: PEM certificate chain (leaf first) and key, or an ephemeral
  // self-signed credential made at start-up (its pin: Server::tls_pin()).
  // TLS 1.2/1.3, AEAD suites; the handshake is bounded by header_timeout.
  std::string tls_cert, tls_key;
  bool tls_self_signed = false;
  // The workers' event loop. io_uring: request heads by RECV, in-memory
  // replies by SEND, one io_uring_enter per loop iteration for all of them;
  // where io_uring is unavailable (or with TLS) the server uses epoll and
  // says why in event_loop_note().
  enum class EventLoop { kEpoll, kIoUring } event_loop = EventLoop::kEpoll;
};

// The core's private parts of a server.
class Worker;
class MimeTypes;
class DigestCache;
class RelayPool;
class TreePutPool;
class TlsContext;
struct ConnectionConfig;

class Server {
 public:
  // Opens the root, binds every worker's socket; errors name what failed.
  static Result<std::unique_ptr<Server>> create(ServerConfig config);
  ~Server();

  const SocketAddress& address() const { return address_; }
  // Whether the server speaks TLS; the served key's pin ("sha256//BASE64");
  // the body path its connections take here: "ktls", "userspace" (TLS
  // without kernel offload: pread + SSL_write), or "plain" (no TLS).
  bool tls() const { return tls_ != nullptr; }
  const std::string& tls_pin() const { return tls_pin_; }
  std::string body_path() const;
  // Why kTLS is off on this kernel ("" when it is available or no TLS).
  std::string ktls_missing() const;
  // The event loop the workers run ("epoll" or "io_uring"), and why it is
  // not the one asked for ("" when it is).
  const char* event_loop() const { return io_uring_ ? "io_uring" : "epoll"; }
  const std::string& event_loop_note() const { return event_loop_note_; }
  // Runs the workers until stop() and the drain that follows; blocks.
  Status run();
  // Stops accepting and starts draining. Safe from any thread.
  void stop();

 private:
  Server() = default;
  Status bind_workers(const SocketAddress& where);
  Status adopt_listener(int fd);
  Status add_worker(UniqueFd listener);
  int worker_count() const;
  void choose_event_loop();
  Status precompute_digests();

  ServerConfig config_;
  UniqueFd root_;
  std::unique_ptr<MimeTypes> mime_;
  std::unique_ptr<DigestCache> digests_;
  std::unique_ptr<TreePutPool> tree_puts_;  // --upload: PUT DIR/?format=tar; outlives the workers
  std::unique_ptr<RelayPool> relays_;  // --relay; outlives the workers that feed it
  std::unique_ptr<TlsContext> tls_;
  std::string tls_pin_;
  bool io_uring_ = false;
  std::string event_loop_note_;
  std::unique_ptr<ConnectionConfig> conn_config_;
  SocketAddress address_;
  std::atomic<int> connections_{0};
  std::atomic<uint64_t> stored_files_{0};  // PUTs stored: the file caches watch it
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace zcp
