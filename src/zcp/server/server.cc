#include "zcp/server.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "zcp/base/socket.h"
#include "zcp/base/uring.h"
#include "zcp/http/digest.h"
#include "zcp/server/connection.h"
#include "zcp/server/mime.h"
#include "zcp/server/relay.h"
#include "zcp/server/tree_put.h"
#include "zcp/server/server_tls.h"
#include "zcp/server/worker.h"

namespace zcp {

Server::~Server() = default;

// The lazy digests' queue holds a descriptor per waiting file: a sixteenth
// of the descriptor limit at most, so `ulimit -n 64` leaves room to serve.
static size_t digest_queue_for_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) {
    return DigestCache::kMaxQueued;
  }
  return std::clamp<size_t>(static_cast<size_t>(rl.rlim_cur / 16), 1, DigestCache::kMaxQueued);
}

Result<std::unique_ptr<Server>> Server::create(ServerConfig config) {
  std::unique_ptr<Server> s(new Server());
  // Refuse a bad engine or TLS flags before binding anything.
  if (Status st = check_tls_config(config); !st) return st;
  if (auto engine = make_send_engine(config.engine); !engine) return std::move(engine).take_status();
  if (config.raw_file.empty()) {
    auto root = open_file(config.root, O_PATH | O_DIRECTORY);
    if (!root) return std::move(root).take_status();
    s->root_ = std::move(*root);
  } else {
    auto file = open_file(config.raw_file, O_RDONLY);
    if (!file) return std::move(file).take_status();
    struct stat st {};
    if (::fstat(file->get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return Status::invalid("not a regular file: " + config.raw_file);
    }
  }
  s->mime_ = std::make_unique<MimeTypes>(MimeTypes::load());
  if (tls_configured(config)) {
    auto hp = parse_host_port(config.listen);
    auto tls = make_server_tls(config, hp ? hp->host : std::string());
    if (!tls) return std::move(tls).take_status();
    s->tls_ = std::move(tls->context);
    s->tls_pin_ = std::move(tls->pin);
  }
  s->config_ = std::move(config);
  s->choose_event_loop();
  if (s->config_.digest != ServerConfig::Digest::kOff) {
    s->digests_ = std::make_unique<DigestCache>(digest_queue_for_limit());
    if (s->config_.digest == ServerConfig::Digest::kStartup) {
      if (Status st = s->precompute_digests(); !st) return st;
    }
  }
  s->conn_config_ = std::make_unique<ConnectionConfig>();
  ConnectionConfig& cc = *s->conn_config_;
  cc.handler = {s->root_.get(), s->mime_.get(), s->config_.dotfiles, s->digests_.get(),
                s->config_.upload, !s->config_.token.empty(), nullptr, s->config_.copy_below};
  cc.engine = s->config_.engine;
  cc.header_timeout = s->config_.header_timeout;
  cc.idle_timeout = s->config_.idle_timeout;
  cc.send_timeout = s->config_.send_timeout;
  cc.access_log = s->config_.log;
  cc.log_json = s->config_.log_json;
  cc.raw_file = s->config_.raw_file;
  cc.tls = s->tls_.get();
  cc.io_uring = s->io_uring_;
  cc.upload = {s->config_.upload, s->config_.token, s->config_.max_upload, s->config_.dotfiles,
               s->root_.get(), &s->stored_files_};
  if (s->config_.upload) {
    TreePutConfig tc;
    tc.upload = cc.upload;
    tc.timeout = s->config_.send_timeout;
    tc.log = s->config_.log;
    tc.log_json = s->config_.log_json;
    s->tree_puts_ = std::make_unique<TreePutPool>(std::move(tc));
    cc.tree_put = s->tree_puts_.get();
  }
  if (s->config_.relay) {
    if (!s->config_.upload) return Status::invalid("--relay needs --upload (relays store a copy too)");
    RelayConfig rc;
    rc.timeout = s->config_.send_timeout;
    rc.log = s->config_.log;
    rc.log_json = s->config_.log_json;
    auto onward = TlsContext::for_client(s->config_.relay_tls, "relay-");
    if (!onward) return std::move(onward).take_status();
    rc.tls = std::make_shared<const TlsContext>(std::move(*onward));
    s->relays_ = std::make_unique<RelayPool>(std::move(rc));
    cc.relay = s->relays_.get();
  }

  if (s->config_.listen_fd >= 0) {
    if (Status st = s->adopt_listener(s->config_.listen_fd); !st) return st;
    return s;
  }
  auto hp = parse_host_port(s->config_.listen);
  if (!hp) return std::move(hp).take_status();
  auto where = resolve(*hp);
  if (!where) return std::move(where).take_status();
  if (Status st = s->bind_workers(*where); !st) return st;
  return s;
}

// The descriptors beyond the connections: 32 for the process itself, 12
// for each possible relay (two sockets, directory, file, two pipes,
// /dev/null and the upload's own pipe), the lazy digests' queue, and the
// file caches' entries.
struct FdBudget {
  int connections;     // the cap for --max-connections
  size_t cache_per_worker;
};

// Each connection holds its socket and an open file (and a pipe with the
// splice engine): cap the connection count so accepting never runs the
// process out of descriptors; beyond the cap clients get a clean 503. The
// file caches take at most a quarter of the limit, so with a low ulimit
// they shrink before the connection cap does.
static FdBudget fd_budget(int wanted, const EngineSpec& engine, bool upload, size_t relays,
                          size_t digest_fds, size_t cache_wanted, int workers) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) {
    return {wanted, cache_wanted};
  }
  // An upload holds socket, directory, temporary file and a splice pipe.
  int per_conn = upload ? 5 : engine.name == "splice" ? 4 : 2;
  auto limit = static_cast<int64_t>(rl.rlim_cur);
  int64_t reserved = 32 + static_cast<int64_t>(relays) * 12 + static_cast<int64_t>(digest_fds);
  auto cache_total = std::min<int64_t>(static_cast<int64_t>(cache_wanted) * workers,
                                       std::max<int64_t>(0, limit - reserved) / 4);
  auto per_worker = static_cast<size_t>(cache_total / std::max(1, workers));
  reserved += static_cast<int64_t>(per_worker) * workers;
  auto cap = static_cast<int>(std::max<int64_t>(0, limit - reserved) / per_conn);
  return {std::max(1, std::min(wanted, cap)), per_worker};
}

// Every worker gets its own socket on one address; with port 0 the first
// bind picks the port and the others follow it.
Status Server::bind_workers(const SocketAddress& where) {
  int n = worker_count();
  SocketAddress addr = where;
  if (where.port() != 0) {
    // SO_REUSEPORT would let this server silently join another process's
    // port (same user): probe with a plain bind first so that is an error.
    auto probe = listen_tcp(where, {.backlog = 1});
    if (!probe) return std::move(probe).take_status();
  }
  for (int i = 0; i < n; ++i) {
    auto fd = listen_tcp(addr, {.backlog = 1024, .reuse_port = true, .nonblocking = true});
    if (!fd) return std::move(fd).take_status();
    if (i == 0) {
      auto bound = local_address(fd->get());
      if (!bound) return std::move(bound).take_status();
      addr = address_ = *bound;
    }
    if (Status st = add_worker(std::move(*fd)); !st) return st;
  }
  return {};
}

// Socket activation: every worker watches its own dup of the one listening
// socket (the kernel wakes them all; the ones that lose the race to accept
// get EAGAIN), as SO_REUSEPORT siblings cannot be made from a passed socket.
Status Server::adopt_listener(int fd) {
  int listening = 0;
  socklen_t len = sizeof listening;
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 && errno != ENOTSOCK) {
    return Status::from_errno("getsockopt SO_ACCEPTCONN").at("fd " + std::to_string(fd));
  }
  if (!listening) return Status::invalid("fd " + std::to_string(fd) + " is not a listening socket");
  auto bound = local_address(fd);
  if (!bound) return std::move(bound).take_status();
  address_ = *bound;
  int n = worker_count();
  for (int i = 0; i < n; ++i) {
    int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (copy < 0) return Status::from_errno("dup").at("fd " + std::to_string(fd));
    UniqueFd listener(copy);
    if (Status st = set_nonblocking(listener.get()); !st) return st;
    if (Status st = add_worker(std::move(listener)); !st) return st;
  }
  return {};
}

Status Server::add_worker(UniqueFd listener) {
  size_t relays = (relays_ ? RelayConfig{}.max_relays : 0) + (tree_puts_ ? TreePutConfig{}.max_jobs : 0);
  size_t cache = config_.file_cache && config_.raw_file.empty() ? config_.file_cache_entries : 0;
  size_t digest_fds = digests_ ? digests_->descriptors() : 0;
  FdBudget budget = fd_budget(config_.max_connections, config_.engine, config_.upload, relays,
                              digest_fds, cache, worker_count());
  Worker::Limits limits{budget.connections, config_.drain_timeout, budget.cache_per_worker,
                        config_.file_cache_valid, io_uring_};
  auto w = Worker::create(std::move(listener), *conn_config_, connections_, limits);
  if (!w) return std::move(w).take_status();
  workers_.push_back(std::move(*w));
  return {};
}

// io_uring when asked for and it works here; otherwise epoll, and a note
// saying why (the CLI prints it). TLS stays on epoll: OpenSSL reads and
// writes the socket itself.
void Server::choose_event_loop() {
  if (config_.event_loop != ServerConfig::EventLoop::kIoUring) return;
  if (tls_) {
    event_loop_note_ = "io_uring is not used with TLS yet: using epoll";
    return;
  }
  if (Status st = Uring::probe(); !st) {
    event_loop_note_ = "io_uring unavailable (" + st.to_string() + "): using epoll";
    return;
  }
  io_uring_ = true;
}

int Server::worker_count() const {
  return config_.workers > 0 ? config_.workers
                             : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// --digest startup: hash every regular file under the root before serving,
// so the first response for each already carries Repr-Digest.
Status Server::precompute_digests() {
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(config_.root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    auto fd = open_file(it->path().string(), O_RDONLY);
    struct stat st {};
    if (!fd || ::fstat(fd->get(), &st) != 0) continue;
    if (Status s = digests_->compute_now(fd->get(), st); !s) return s;
  }
  return {};
}

std::string Server::body_path() const {
  return tls_ ? to_string(expected_tls_path(kernel_tls())) : "plain";
}

std::string Server::ktls_missing() const {
  return tls_ && !kernel_tls().available ? kernel_tls().why_not : std::string();
}

Status Server::run() {
  std::vector<Status> results(workers_.size());
  std::vector<std::thread> threads;
  for (size_t i = 1; i < workers_.size(); ++i) {
    threads.emplace_back([this, i, &results] { results[i] = workers_[i]->run(); });
  }
  results[0] = workers_[0]->run();
  for (auto& t : threads) t.join();
  if (relays_) relays_->drain(Clock::now() + config_.drain_timeout);
  if (tree_puts_) tree_puts_->drain(Clock::now() + config_.drain_timeout);
  for (auto& r : results) {
    if (!r) return r;
  }
  return {};
}

void Server::stop() {
  for (auto& w : workers_) w->stop();
}

}  // namespace zcp
