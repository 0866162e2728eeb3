// zcp serve --upload: PUT DIR/?format=tar, a whole tree in one tar stream
// (zcp put -r). The stream is extracted beneath DIR with tar_extract's
// safety (openat2 RESOLVE_BENEATH, no links out, no special files, modes
// as tar applies them); each file lands under a temporary name and is
// renamed (fsync'd first with &fsync=1), so a broken stream leaves every
// completed file and no partial one. &part=K/N: one of several PUTs of a
// first copy at once (files unnamed until complete, O_TMPFILE; directory
// metadata left to the client's last PUT). &delete=1 honours ZCP.delete members
// (the push's --delete). The reply says what was stored: 200 with
// Zcp-Files, Zcp-Bytes, Zcp-Deleted; on a broken stream the error and the
// same counts.
//
// Like a relay, it runs on a thread of its own with a blocking socket:
// the extractor reads the body the way the client's does, through a
// ByteStream (the connection's TLS session over https, the plain socket
// otherwise; without kTLS receive the bodies pass through user space).
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

#include "zcp/fd.h"
#include "zcp/http/http_request.h"
#include "zcp/server/put_handler.h"
#include "zcp/socket_address.h"

namespace zcp {

class TlsSession;

// Whether `req` is a tree upload: PUT with ?format=tar.
bool is_tree_put(const HttpRequest& req);

struct TreePutJob {
  UniqueFd client;
  std::unique_ptr<TlsSession> tls;  // over `client` when the request came by HTTPS
  SocketAddress peer;
  std::string target, authorization;
  bool chunked = false, expect_continue = false;
  uint64_t length = 0;             // Content-Length when not chunked
  std::string body_prefix;         // body bytes that came with the head
  std::string request_line, referer, user_agent;  // raw, for the log
  std::chrono::system_clock::time_point arrived;
  std::chrono::steady_clock::time_point started;
};

// The job for `req`, whose head is parsed and whose socket the caller hands over.
TreePutJob make_tree_put_job(const HttpRequest& req, std::string body_prefix);

struct TreePutConfig {
  UploadConfig upload;                        // enabled, token, dotfiles, root
  std::chrono::milliseconds timeout{60000};   // any wait without progress
  size_t max_jobs = 16;                       // at once; more get 503
  std::function<void(std::string_view)> log;  // access lines; null: silent
  bool log_json = false;
};

class TreePutPool {
 public:
  explicit TreePutPool(TreePutConfig cfg) : cfg_(std::move(cfg)) {}
  ~TreePutPool() { drain(std::chrono::steady_clock::now()); }
  TreePutPool(const TreePutPool&) = delete;
  TreePutPool& operator=(const TreePutPool&) = delete;

  // Runs `job` on its own thread; false (job untouched) when full or stopping.
  bool start(TreePutJob& job);
  // Server shutdown: running jobs get until `deadline`, then their sockets are cut.
  void drain(std::chrono::steady_clock::time_point deadline);

 private:
  struct Slot {
    std::thread thread;
    int socket = -1;
    bool done = false;
  };
  void run(Slot* slot, std::unique_ptr<TreePutJob> job);
  void join_finished();

  TreePutConfig cfg_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::list<Slot> slots_;
  bool stopping_ = false;
};

}  // namespace zcp
