// zcp serve: the HTTP/1.1 file server (and --raw, the experiment's server).
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "zcp/base/byte_size.h"
#include "zcp/server.h"
#include "zcp/server/server_tls.h"
#include "zcp/tls/pin.h"

namespace zcp::cli {
namespace {

struct ServeFlags {
  std::string root = ".";
  std::string listen = "127.0.0.1:8080";
  int workers = 0;
  std::string engine = "sendfile";
  std::string raw;
  bool dotfiles = false;
  bool quiet = false;
  int max_connections = 4096;
  double header_timeout = 10, idle_timeout = 60, send_timeout = 60, drain_timeout = 10;
  bool upload = false, relay = false;
  std::string token;
  std::string max_upload;
  std::string digest = "lazy";
  std::string log_format = "combined";
  bool no_file_cache = false;
  std::string copy_below = "8K";
  std::string tls_cert, tls_key;
  bool tls_self_signed = false;
  std::string relay_cacert;
  std::vector<std::string> relay_pins;
  // "": io_uring, or epoll without a word for TLS (OpenSSL drives the
  // socket itself) and, saying why, where io_uring is unavailable.
  std::string event_loop;
};

std::chrono::milliseconds ms(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

// One write(2) per line, so lines from several workers never interleave.
void log_line(std::string_view line) {
  std::string out(line);
  out += '\n';
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, out.data(), out.size());
}

// Socket activation (sd_listen_fds(3)'s protocol, without libsystemd):
// LISTEN_PID names this process and LISTEN_FDS counts the sockets passed
// from fd 3 on. -1 when nothing was passed; the variables are removed so
// children do not take the sockets for theirs.
Result<int> activation_fd() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  if (!pid || !fds) return -1;
  bool ours = std::to_string(::getpid()) == pid;
  std::string count = fds;
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  if (!ours) return -1;
  if (count != "1") {
    return Status::invalid("socket activation passed " + count +
                           " sockets (LISTEN_FDS); zcp serve takes exactly one");
  }
  constexpr int kFirst = 3;  // SD_LISTEN_FDS_START
  if (::fcntl(kFirst, F_SETFD, FD_CLOEXEC) != 0) return Status::from_errno("fcntl").at("LISTEN_FDS fd 3");
  return kFirst;
}

// --relay-cacert and --relay-pin: how this relay checks the https hosts it
// passes PUTs on to. The file itself is read (once) by Server::create.
Status relay_trust(const ServeFlags& f, TlsOptions& out) {
  if (!f.relay && (!f.relay_cacert.empty() || !f.relay_pins.empty())) {
    return Status::invalid("--relay-cacert and --relay-pin need --relay");
  }
  out.cacert = f.relay_cacert;
  for (const std::string& pin : f.relay_pins) {
    if (auto ok = parse_pins(pin); !ok)
      return Status::invalid("--relay-pin: " + ok.status().to_string());
    out.pin += (out.pin.empty() ? "" : ";") + pin;
  }
  return {};
}

Result<ServerConfig> to_config(const ServeFlags& f) {
  ServerConfig c;
  auto engine = parse_engine_spec(f.engine);
  if (!engine) return std::move(engine).take_status();
  c.engine = *engine;
  c.root = f.root;
  c.listen = f.listen;
  auto activated = activation_fd();
  if (!activated) return std::move(activated).take_status();
  c.listen_fd = *activated;
  c.workers = f.workers;
  c.raw_file = f.raw;
  c.dotfiles = f.dotfiles;
  c.max_connections = f.max_connections;
  c.header_timeout = ms(f.header_timeout);
  c.idle_timeout = ms(f.idle_timeout);
  c.send_timeout = ms(f.send_timeout);
  c.drain_timeout = ms(f.drain_timeout);
  if (!f.quiet) c.log = log_line;
  c.log_json = f.log_format == "json";
  c.upload = f.upload;
  c.relay = f.relay;
  if (f.digest == "off") c.digest = ServerConfig::Digest::kOff;
  if (f.digest == "lazy") c.digest = ServerConfig::Digest::kLazy;
  if (f.digest == "startup") c.digest = ServerConfig::Digest::kStartup;
  c.token = f.token;
  c.file_cache = !f.no_file_cache;
  auto copy_below = parse_byte_size(f.copy_below);
  if (!copy_below) return std::move(copy_below).take_status();
  // The file cache keeps this much of every entry in memory: cap it.
  if (*copy_below > (1u << 20)) return Status::invalid("--copy-below: at most 1M, got " + f.copy_below);
  c.copy_below = *copy_below;
  c.tls_cert = f.tls_cert;
  c.tls_key = f.tls_key;
  c.tls_self_signed = f.tls_self_signed;
  if (Status s = relay_trust(f, c.relay_tls); !s) return s;
  bool tls = !c.tls_cert.empty() || c.tls_self_signed;
  bool uring = f.event_loop == "io_uring" || (f.event_loop.empty() && !tls);
  c.event_loop = uring ? ServerConfig::EventLoop::kIoUring : ServerConfig::EventLoop::kEpoll;
  if (!f.max_upload.empty()) {
    auto max = parse_byte_size(f.max_upload);
    if (!max) return std::move(max).take_status();
    c.max_upload = *max;
  }
  return c;
}

// SIGINT/SIGTERM are blocked in every thread and taken here, synchronously:
// stop() is then an ordinary call, not a signal handler.
std::thread start_signal_thread(Server& server, std::atomic<bool>& done, bool quiet) {
  return std::thread([&server, &done, quiet] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    const timespec tick{0, 200 * 1000 * 1000};
    while (!done) {
      int sig = ::sigtimedwait(&set, nullptr, &tick);
      if (sig == SIGINT || sig == SIGTERM) {
        if (!quiet) log_line("zcp serve: shutting down, finishing transfers in flight");
        server.stop();
      }
    }
  });
}

int run(const ServeFlags& flags) {
  auto config = to_config(flags);
  if (!config) {
    fmt::print(stderr, "zcp serve: {}\n", shown(config.status()));
    return kExitUsage;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before any thread starts
  ::signal(SIGPIPE, SIG_IGN);
  auto server = Server::create(*config);
  if (!server) {
    fmt::print(stderr, "zcp serve: {}\n", shown(server.status()));
    return server.status().code() == Code::kInvalid ? kExitUsage : kExitFailure;
  }
  std::string what = flags.raw.empty()
                         ? std::filesystem::absolute(flags.root).lexically_normal().string()
                         : "raw " + flags.raw;
  const Server& srv = **server;
  std::string url = flags.raw.empty()
                        ? fmt::format("{}://{}/", srv.tls() ? "https" : "http", srv.address().to_string())
                        : srv.address().to_string();
  // Over TLS the body path replaces the engine's zero copy: say which.
  std::string tls;
  if (srv.tls()) {
    tls = fmt::format(", tls={}", srv.body_path());
    if (!srv.tls_pin().empty()) tls += ", pin " + srv.tls_pin();
    if (!srv.ktls_missing().empty()) tls += ", no kTLS: " + srv.ktls_missing();
  }
  if (!srv.event_loop_note().empty()) log_line("zcp serve: " + srv.event_loop_note());
  log_line(fmt::format("zcp serve: serving {} at {} (engine {}, event loop {}{}{})", what, url,
                       config->engine.to_string(), srv.event_loop(), tls,
                       config->listen_fd >= 0 ? ", socket activation" : ""));
  std::string addr = srv.address().to_string();
  if (std::string w = plaintext_risk_warning(addr, srv.tls(), !flags.token.empty(), flags.upload);
      !w.empty()) {
    log_line("zcp serve: " + w);
  }
  bool local = addr.rfind("127.", 0) == 0 || addr.rfind("[::1]", 0) == 0;
  if (flags.relay && flags.token.empty() && !local) {
    log_line(fmt::format("zcp serve: warning: --relay without --token: anyone who can reach {} can make "
                         "this host connect to URLs of their choosing",
                         addr));
  }
  std::atomic<bool> done{false};
  std::thread signals = start_signal_thread(**server, done, flags.quiet);
  Status s = (*server)->run();
  done = true;
  signals.join();
  if (!s) {
    fmt::print(stderr, "zcp serve: {}\n", shown(s));
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

Runner add_serve_command(CLI::App& app) {
  auto f = std::make_shared<ServeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Serve DIR over HTTP/1.1 (GET, HEAD, Range, ETag/304, directory listings as HTML,\n"
      "JSON (?format=json) or one tar stream (?format=tar)). File bodies go from the page\n"
      "cache to the socket with sendfile: no byte is copied through user space.\n"
      "curl, wget, aria2 and browsers are its clients.\n\n"
      "Examples: zcp serve --tls-self-signed ~/public     (https://127.0.0.1:8080/, pin printed)\n"
      "          zcp serve --tls-cert fullchain.pem --tls-key key.pem --listen 0.0.0.0:443 /srv\n"
      "          zcp serve ~/public                      (http://127.0.0.1:8080/)\n"
      "          zcp serve --listen [::1]:9000 --workers 4 .\n"
      "          curl -s http://127.0.0.1:8080/dir/?format=tar | tar x\n"
      "          zcp serve --raw big.bin --listen 127.0.0.1:9000   then: nc 127.0.0.1 9000 > copy\n"
      "          zcp serve --upload --relay --token s3cret --listen 0.0.0.0:8080 /srv  (fan-out)");
  cmd->add_option("DIR", f->root, "directory to serve")->capture_default_str()->check(CLI::ExistingDirectory);
  cmd->add_option("-l,--listen", f->listen, "ADDR:PORT to listen on ([v6]:PORT for IPv6; 0.0.0.0 only if you mean it)")
      ->capture_default_str();
  cmd->add_option("-w,--workers", f->workers, "worker threads, each with its own epoll loop (0: one per CPU)")
      ->capture_default_str()
      ->check(CLI::Range(0, 256));
  cmd->add_option("--engine", f->engine, "how file bodies are sent: sendfile, splice, copy[:SIZE], mmap")
      ->capture_default_str();
  cmd->add_option("--raw", f->raw, "no HTTP: send FILE whole to every connection, then close")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--dotfiles", f->dotfiles,
                "serve and list names starting with '.', and store them from uploads\n"
                "(without it a tree PUT carrying .env or .git is refused with 403)");
  cmd->add_option("--max-connections", f->max_connections, "beyond this, new clients get 503 and a close")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--header-timeout", f->header_timeout, "seconds for a client to send a request head")
      ->capture_default_str();
  cmd->add_option("--idle-timeout", f->idle_timeout, "seconds a keep-alive connection may idle")
      ->capture_default_str();
  cmd->add_option("--send-timeout", f->send_timeout, "seconds a response, or an upload's body (then 408), may make no progress")
      ->capture_default_str();
  cmd->add_option("--drain-timeout", f->drain_timeout, "on SIGINT/SIGTERM, seconds to let transfers finish")
      ->capture_default_str();
  cmd->add_flag("--upload", f->upload,
                "accept PUT: stored via a temporary file, fsync'd, renamed over the target");
  cmd->add_flag("--relay", f->relay,
                "with --upload: a PUT that names further hosts (zcp put FILE URL1 URL2 ...)\n"
                "is stored here and passed on to the next host at the same time (splice+tee)");
  cmd->add_option("--relay-cacert", f->relay_cacert,
                  "with --relay: check https hosts after this one against the CA certificates\n"
                  "in this PEM file instead of the system store (host name checked too)");
  cmd->add_option("--relay-pin", f->relay_pins,
                  "with --relay: an https host after this one must have this public key,\n"
                  "sha256//BASE64 (repeatable: any one listed will do); a match is trusted\n"
                  "without a CA (a self-signed host), a mismatch fails that hop")
      ->allow_extra_args(false)
      ->take_all();
  cmd->add_option("--token", f->token, "require 'Authorization: Bearer TOKEN' for PUT (each relay\n"
                                       "checks it and passes it on)");
  cmd->add_option("--max-upload", f->max_upload, "largest PUT body (e.g. 10G); larger gets 413");
  cmd->add_option("--digest", f->digest,
                  "send Repr-Digest (sha-256): off, lazy (hashed in the background on first\n"
                  "request and sent once known; at once for a request with Want-Repr-Digest,\n"
                  "as zcp get --verify asks), startup (hash everything before serving)")
      ->capture_default_str()
      ->check(CLI::IsMember({"off", "lazy", "startup"}));
  cmd->add_option("--log-format", f->log_format,
                  "access log on stderr: combined (Apache/nginx combined log format, then\n"
                  "seconds and client port) or json (one object a line)")
      ->capture_default_str()
      ->check(CLI::IsMember({"combined", "json"}));
  cmd->add_flag("--no-file-cache", f->no_file_cache,
                "open, stat and close the file for every request; by default each worker\n"
                "keeps up to 256 recently served files open (and those up to --copy-below\n"
                "in memory), each trusted for 100 ms, then opened again, so a changed,\n"
                "replaced or deleted file is seen at most 100 ms later");
  cmd->add_option("--copy-below", f->copy_below,
                  "bodies up to this size (at most 1M) are copied and sent with the head in\n"
                  "one call; larger ones by the engine (0: always the engine)")
      ->capture_default_str();
  cmd->add_option("--tls-cert", f->tls_cert,
                  "serve HTTPS with this PEM certificate (leaf first, then intermediates);\n"
                  "TLS 1.2/1.3, AES-GCM and ChaCha20-Poly1305 only")
      ->check(CLI::ExistingFile);
  cmd->add_option("--tls-key", f->tls_key, "the PEM private key of --tls-cert")->check(CLI::ExistingFile);
  cmd->add_flag("--tls-self-signed", f->tls_self_signed,
                "serve HTTPS with a key and certificate made at start-up (valid 30 days for\n"
                "localhost, 127.0.0.1, ::1 and the --listen host); the startup line prints its\n"
                "pin for curl --pinnedpubkey / zcp get --pin");
  cmd->add_option("--event-loop", f->event_loop,
                  "io_uring (the default; epoll with TLS): request heads by multishot RECV and\n"
                  "small replies by SEND, queued for all connections and submitted with one\n"
                  "io_uring_enter per loop turn; falls back to epoll (saying why) where io_uring\n"
                  "is unavailable. Or epoll.")
      ->envname("ZCP_EVENT_LOOP")
      ->check(CLI::IsMember({"epoll", "io_uring"}));
  cmd->add_flag("-q,--quiet", f->quiet, "no access log on stderr");
  return [f] { return run(*f); };
}

}  // namespace zcp::cli
