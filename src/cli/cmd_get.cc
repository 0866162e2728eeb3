// zcp get: download URLs with the body spliced from the socket to the file.
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <thread>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/tls_flags.h"
#include "cli/progress.h"
#include "zcp/base/stats.h"
#include "zcp/client/atomic_file.h"
#include "zcp/client/tree_download.h"
#include "zcp/downloader.h"
#include "zcp/recv_engine.h"

namespace zcp::cli {
namespace {

struct GetFlags {
  std::vector<std::string> args;  // URL... [DEST]
  std::string output;
  bool resume = false, fsync = false, verify = false, recursive = false;
  bool quiet = false, progress = false, json = false;
  bool preserve = false, no_preserve = false;  // -r: tar's -p / --no-same-permissions
  bool checksum = false, delete_extra = false, dry_run = false;  // -r: rsync's -c, --delete, -n
  int streams = 0;
  std::string engine = "splice";
  std::string raw;
  double timeout = 30;
  TlsOptions tls;  // --cacert, --pin, -k
};

// DEST: "-" is stdout; an existing directory, or a name ending in '/'
// (created), receives the file inside it; by default the URL's last path
// segment in the current directory.
Result<std::string> dest_for(const Url& url, const std::string& given) {
  std::string name = url.file_name();
  if (name.empty() || name == "." || name == "..") name = "index.html";
  if (given.empty()) return name;
  if (given == "-") return given;
  std::error_code ec;
  if (given.back() == '/' && !std::filesystem::is_directory(given, ec)) {
    std::filesystem::create_directories(given, ec);
    if (ec) return Status(Code::kSystem, "mkdir", ec.message(), ec.value()).at(given);
  }
  if (std::filesystem::is_directory(given, ec)) {
    return given.back() == '/' ? given + name : given + "/" + name;
  }
  return given;
}

// A word for a shell: quoted unless it is plainly safe.
std::string shell_word(const std::string& s) {
  bool plain = !s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                 "0123456789@%+=:,./-_") == std::string::npos;
  if (plain) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Ctrl-C and SIGTERM: a watcher thread (the signals are blocked in every
// other thread) saves the running download's resume record, clears the
// progress line, says what is kept where and how to resume, and exits
// 130 (SIGINT) or 143 (SIGTERM), as a shell reports a process killed so.
struct Interruptible {
  std::mutex mu;
  ProgressLine* line = nullptr;
  DownloadCheckpoint checkpoint;
  std::string url, dest;
  std::string trust;  // the TLS flags, so the resume command trusts the same server
};

Interruptible& current() {
  static Interruptible c;
  return c;
}

void watch_signals(sigset_t set) {
  int sig = 0;
  if (::sigwait(&set, &sig) != 0) return;
  Interruptible& c = current();
  std::string msg;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.line) c.line->finish();
    auto kept = c.checkpoint.save();
    if (kept && kept->bytes > 0) {
      msg = fmt::format("zcp get: interrupted: {} bytes ({}) kept in {}; resume with: zcp get -c {}{} -o {}\n",
                        kept->bytes, human_bytes(static_cast<double>(kept->bytes)),
                        shell_word(kept->part_path), c.trust, shell_word(c.url), shell_word(c.dest));
    } else if (kept) {
      msg = "zcp get: interrupted: nothing downloaded, nothing kept\n";
    } else {
      msg = "zcp get: interrupted\n";  // -r or --raw: no resume record to report
    }
  }
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, msg.data(), msg.size());
  ::_exit(128 + sig);
}

// The TLS flags as words for the resume command ("--pin 'sha256//...' "):
// without them it would not trust a self-signed or private-CA server.
std::string trust_words(const TlsOptions& tls) {
  std::string out;
  if (!tls.cacert.empty()) out += "--cacert " + shell_word(tls.cacert) + " ";
  if (!tls.pin.empty()) out += "--pin " + shell_word(tls.pin) + " ";
  if (tls.insecure) out += "-k ";
  return out;
}

void start_signal_watcher(const TlsOptions& tls) {
  {
    Interruptible& c = current();
    std::lock_guard<std::mutex> lock(c.mu);
    c.trust = trust_words(tls);
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);  // inherited by every thread started later
  std::thread(watch_signals, set).detach();
}

// Points the watcher at the download in progress (and away when it ends).
class Watched {
 public:
  Watched(ProgressLine& line, const std::string& url, const std::string& dest) {
    Interruptible& c = current();
    std::lock_guard<std::mutex> lock(c.mu);
    c.line = &line;
    c.url = url;
    c.dest = dest;
  }
  ~Watched() {
    Interruptible& c = current();
    std::lock_guard<std::mutex> lock(c.mu);
    c.line = nullptr;
  }
  Watched(const Watched&) = delete;
  Watched& operator=(const Watched&) = delete;
};

void print_summary(const GetFlags& f, const std::string& what, const GetResult& r) {
  double rate = r.seconds > 0 ? static_cast<double>(r.bytes) / r.seconds : 0;
  if (f.json) {
    nlohmann::json j = {{"dest", r.dest},       {"bytes", r.bytes},     {"size", r.size},
                        {"seconds", r.seconds}, {"bytes_per_second", rate},
                        {"resumed_from", r.resumed_from},            {"streams", r.streams},
                        {"verified", r.verified}, {"url", what},
                        {"already_complete", r.already_complete}, {"path", r.path}};
    fmt::print("{}\n", json_line(j));
  } else if (r.already_complete) {
    if (!f.quiet) fmt::print(stderr, "zcp get: {} -> {}: already complete ({})\n", shown(what),
                             shown(r.dest), human_bytes(static_cast<double>(r.size)));
  } else if (!f.quiet) {
    fmt::print(stderr, "zcp get: {} -> {}: {} in {:.2f} s ({}/s){}{}{}\n", shown(what), shown(r.dest),
               human_bytes(static_cast<double>(r.bytes)), r.seconds, human_bytes(rate),
               r.resumed_from > 0 ? fmt::format(", resumed with {} kept",
                                                human_bytes(static_cast<double>(r.resumed_from)))
                                  : "",
               r.streams > 1 ? fmt::format(", {} streams", r.streams) : "",
               r.verified ? ", sha-256 verified" : "");
  }
}

// -r's summary: files, bytes, seconds, rate; the same numbers in --json.
void print_tree_summary(const GetFlags& f, const std::string& url, const TreeGetResult& r) {
  double rate = r.seconds > 0 ? static_cast<double>(r.bytes) / r.seconds : 0;
  if (f.json) {
    nlohmann::json j = {{"url", url},         {"dest", r.dest},       {"files", r.files},
                        {"directories", r.directories},               {"bytes", r.bytes},
                        {"symlinks", r.symlinks}, {"skipped", r.skipped}, {"deleted", r.deleted},
                        {"failed", r.failed},
                        {"incremental", r.incremental}, {"dry_run", f.dry_run},
                        {"seconds", r.seconds}, {"bytes_per_second", rate}};
    fmt::print("{}\n", json_line(j));
  } else if (!f.quiet) {
    fmt::print(stderr, "zcp get: {} -> {}: {}{} {} sent, {} skipped, {}{} deleted, {} {}, {} in {:.2f} s ({}/s)\n",
               shown(url), shown(r.dest), f.dry_run ? "dry run: would be " : "",
               r.files + r.symlinks, r.files + r.symlinks == 1 ? "file" : "files", r.skipped,
               r.failed > 0 ? fmt::format("{} FAILED (named above), ", r.failed) : "",
               r.deleted, r.directories, r.directories == 1 ? "directory" : "directories",
               human_bytes(static_cast<double>(r.bytes)), r.seconds, human_bytes(rate));
  }
}

GetOptions base_options(const GetFlags& f, ProgressLine& line) {
  GetOptions o;
  o.resume = f.resume;
  o.fsync = f.fsync;
  o.verify = f.verify;
  o.streams = f.streams;
  o.engine = *parse_engine_spec(f.engine);
  o.timeout = std::chrono::milliseconds(static_cast<int64_t>(f.timeout * 1000));
  o.tls = f.tls;
  o.progress = [&line](uint64_t done, uint64_t total) { line.update(done, total); };
  o.notice = [&f, &line](const std::string& msg) {
    line.finish();
    if (!f.quiet) fmt::print(stderr, "zcp get: {}\n", shown(msg));
  };
  return o;
}

int fail(ProgressLine& line, const std::string& what, const Status& s, GetFailure f) {
  line.finish();
  fmt::print(stderr, "zcp get: {}: {}\n", shown(what), shown(s));
  return transfer_exit_code(f);
}

int get_one(const GetFlags& f, const std::string& url_text, const std::string& dest_arg,
            ClientPool& pool) {
  auto url = parse_url(url_text);
  if (!url) {
    fmt::print(stderr, "zcp get: {}\n", shown(url.status()));
    return kExitBadUrl;
  }
  bool draw = !f.quiet && !f.json && (f.progress || ::isatty(STDERR_FILENO));
  // The name is decoded from the URL: %1b would be a raw ESC on the terminal.
  ProgressLine line(shown(url->file_name().empty() ? url->to_string() : url->file_name()), draw);
  GetOptions o = base_options(f, line);
  auto dest = dest_for(*url, dest_arg);
  if (!dest) return fail(line, url->to_string(), dest.status(), GetFailure::kWrite);
  o.dest = *dest;
  o.pool = &pool;
  o.checkpoint = &current().checkpoint;
  Watched watched(line, url->to_string(), o.dest);
  auto r = download(*url, o);
  if (!r) return fail(line, url->to_string(), r.error().status, r.error().kind);
  line.finish();
  print_summary(f, url->to_string(), *r);
  return kExitOk;
}

int get_raw(const GetFlags& f, const std::string& dest) {
  bool draw = !f.quiet && !f.json && (f.progress || ::isatty(STDERR_FILENO));
  ProgressLine line(f.raw, draw);
  GetOptions o = base_options(f, line);
  o.dest = dest;
  auto r = download_raw(f.raw, o);
  if (!r) return fail(line, f.raw, r.error().status, r.error().kind);
  line.finish();
  print_summary(f, f.raw, *r);
  return kExitOk;
}

// GNU tar's defaults: the superuser keeps the archive's permissions, an
// ordinary user gets them through the umask without setuid/setgid/sticky.
ExtractOptions extract_options(const GetFlags& f) {
  ExtractOptions o;
  o.preserve_permissions = !f.no_preserve && (f.preserve || ::geteuid() == 0);
  const mode_t mask = ::umask(0);  // the only way to read it; still one thread here
  ::umask(mask);
  o.umask = mask;
  return o;
}

// -r: the whole tree (client/tree_download.h); the CLI keeps the flags,
// the progress line and the messages.
int get_tree(const GetFlags& f, const std::vector<std::string>& urls, const std::string& dest_arg) {
  if (urls.size() != 1) {
    fmt::print(stderr, "zcp get: -r takes one directory URL\n");
    return kExitUsage;
  }
  auto url = parse_url(urls[0]);
  if (!url) {
    fmt::print(stderr, "zcp get: {}\n", shown(url.status()));
    return kExitBadUrl;
  }
  TreeGetOptions o;
  o.tls = f.tls;
  o.dest = dest_arg;
  o.engine = *parse_engine_spec(f.engine);
  o.timeout = std::chrono::milliseconds(static_cast<int64_t>(f.timeout * 1000));
  o.extract = extract_options(f);
  o.checksum = f.checksum;
  o.delete_extra = f.delete_extra;
  o.dry_run = f.dry_run;
  o.fsync = f.fsync;
  if (f.dry_run) {
    o.listed = [&f](char what, const std::string& path) {
      if (!f.json) fmt::print("{} {}\n", what == '-' ? "delete" : "get", shown(path));
    };
  }
  // Crawl mode's notices (the server is not zcp serve, links skipped); the
  // text holds the server's names: escaped.
  o.notice = [&f](const std::string& text) {
    if (!f.quiet) fmt::print(stderr, "zcp get: {}\n", shown(text));
  };
  const std::string name = tree_name(*url);
  bool draw = !f.quiet && !f.json && (f.progress || ::isatty(STDERR_FILENO));
  // The tree's name, not the ?format=tar URL; the name is the server's text.
  ProgressLine line(shown(name.empty() ? (dest_arg.empty() ? "." : dest_arg) : name), draw);
  o.progress = [&line](const TreeProgress& p) {
    line.update_files(p.files_done, p.files_total, p.bytes_done, p.bytes_total);
  };
  auto r = download_tree(*url, o);
  if (!r) return fail(line, url->to_string(), r.error().status, r.error().kind);
  line.finish();
  print_tree_summary(f, url->to_string(), *r);
  return r->failed > 0 ? kExitPartial : kExitOk;
}

int run(GetFlags& f) {
  ::signal(SIGPIPE, SIG_IGN);
  start_signal_watcher(f.tls);
  if (auto e = parse_engine_spec(f.engine); !e || !make_recv_engine(*e)) {
    fmt::print(stderr, "zcp get: unknown receive engine '{}' (splice, copy[:SIZE])\n", f.engine);
    return kExitUsage;
  }
  if (!f.raw.empty()) {
    std::string dest = !f.output.empty() ? f.output : (f.args.empty() ? "" : f.args[0]);
    if (dest.empty() || f.args.size() > 1) {
      fmt::print(stderr, "zcp get: --raw HOST:PORT needs exactly one DEST\n");
      return kExitUsage;
    }
    return get_raw(f, dest);
  }
  // TLS flags that cannot work fail before any connection is tried.
  bool any_tls = !f.tls.cacert.empty() || !f.tls.pin.empty();
  for (const auto& a : f.args) any_tls = any_tls || a.rfind("https://", 0) == 0;
  if (any_tls) {
    if (int rc = check_tls_flags("get", f.tls); rc != kExitOk) return rc;
  }
  if (f.args.empty()) {
    fmt::print(stderr, "zcp get: no URL given (try zcp get --help)\n");
    return kExitUsage;
  }
  // One URL and a second argument that is not a URL: that is DEST.
  std::string dest = f.output;
  std::vector<std::string> urls = f.args;
  if (dest.empty() && urls.size() == 2 && urls[1].rfind("http://", 0) != 0 &&
      urls[1].rfind("https://", 0) != 0) {
    dest = urls[1];
    urls.pop_back();
  }
  if (f.recursive) return get_tree(f, urls, dest);
  int worst = kExitOk;
  ClientPool pool;  // several URLs on one server share a keep-alive connection
  for (const auto& u : urls) {
    int rc = get_one(f, u, dest, pool);
    if (worst == kExitOk) worst = rc;  // the first failure's code
  }
  return worst;
}

}  // namespace

int transfer_exit_code(GetFailure f) {
  switch (f) {
    case GetFailure::kNone: return kExitOk;
    case GetFailure::kUsage: return kExitUsage;
    case GetFailure::kConnect: return kExitConnect;
    case GetFailure::kHttp: return kExitHttp;
    case GetFailure::kProtocol: return kExitProtocol;
    case GetFailure::kWrite: return kExitWrite;
    case GetFailure::kVerify: return kExitVerify;
    case GetFailure::kNoDigest: return kExitNoDigest;
    case GetFailure::kRedirect: return kExitHttp;
    case GetFailure::kTlsHandshake: return kExitTlsHandshake;
    case GetFailure::kTlsUntrusted: return kExitTlsUntrusted;
    case GetFailure::kTlsPin: return kExitTlsPin;
  }
  return kExitFailure;
}

Runner add_get_command(CLI::App& app) {
  auto f = std::make_shared<GetFlags>();
  CLI::App* cmd = app.add_subcommand(
      "get",
      "Download URL(s). The body goes socket -> pipe -> file with splice(2): it never\n"
      "passes through user space. Bytes land in DEST.part, renamed to DEST only when\n"
      "every byte arrived; a failed transfer keeps DEST.part for -c.\n\n"
      "Examples: zcp get http://127.0.0.1:8080/big.iso\n"
      "          zcp get -c http://127.0.0.1:8080/big.iso /data/     (resume into /data/big.iso)\n"
      "          zcp get -j 4 --verify http://host:8080/big.iso\n"
      "          zcp get -r http://127.0.0.1:8080/photos/ ./photos     (again: only what changed)\n"
      "          zcp get -r --delete --checksum http://host:8080/photos/ ./photos\n"
      "          zcp get -r https://mirror.example.org/debian/pool/ ./pool  (nginx autoindex)\n"
      "          zcp get --raw 127.0.0.1:9000 copy.bin                (pairs with zcp serve --raw)\n\n"
      "Exit codes: 0 ok, 2 bad command line, 3 bad URL, 7 connection failed or lost\n"
      "(also timeouts), 8 nonsensical server reply, 22 HTTP status other than 200/206\n(404, 500, more than 10 redirects ...), 23 cannot write\n"
      "DEST (disk full, permissions), 24 -r: partial, some files or listings failed (each\n"
      "named with its URL; the rest arrived, --delete not applied), 30 --verify found a sha-256 mismatch, 31 --verify\n"
      "but the server sends no digest (nothing was fetched); https: 35 TLS handshake failed,\n"
      "60 certificate not trusted (expired, wrong host name, unknown issuer, self-signed),\n"
      "77 --cacert unreadable, 90 --pin mismatch. Redirects are followed (at most 10, never\n"
      "to another scheme).");
  cmd->add_option("ARGS", f->args, "URL... [DEST]: DEST is a file, a directory, or - for stdout");
  cmd->add_option("-o,--output", f->output, "DEST (a file, a directory, or - for stdout)");
  cmd->add_flag("-c,--continue", f->resume, "resume from DEST.part (Range + If-Range)");
  cmd->add_option("-j,--parallel", f->streams,
                  "split one file into N ranges on N connections (0: one per CPU, 2 to 4, for files >= 256 MiB)")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  cmd->add_flag("-r,--recursive", f->recursive,
                "fetch a whole directory from zcp serve: the first copy as one tar stream,\n"
                "later runs only the files whose size or mtime differ (rsync's quick check);\n"
                "mtimes, permissions and symlinks inside the tree are kept. From any other\n"
                "server with directory listings (nginx autoindex HTML or JSON, lighttpd,\n"
                "Apache, python -m http.server): its listings are crawled (relative links\n"
                "beneath the URL only; at most 64 levels, 8 MiB per listing arriving within\n"
                "4x --timeout, 1,000,000 entries), each file fetched (one refused: named,\n"
                "the rest still fetched, exit 24), mtime from Last-Modified; later runs ask\n"
                "If-Modified-Since and skip what answers 304");
  cmd->add_flag("-p,--preserve-permissions", f->preserve,
                "-r: keep the archive's permission bits (setuid, setgid, sticky too) and\n"
                "ignore the umask, as tar -p; the default for root, as with tar");
  cmd->add_flag("--no-preserve-permissions", f->no_preserve,
                "-r: apply the umask and drop setuid/setgid/sticky even as root\n"
                "(tar's --no-same-permissions)");
  cmd->add_flag("--checksum", f->checksum,
                "-r: compare files by sha-256 (the server's digests) instead of size and mtime\n"
                "(zcp serve only)");
  cmd->add_flag("--delete", f->delete_extra,
                "-r: remove files in DEST the server no longer has (never outside DEST;\n"
                "DEST's dotfiles are kept)");
  cmd->add_flag("-n,--dry-run", f->dry_run, "-r: list what would be fetched or deleted, change nothing");
  cmd->add_flag("--verify", f->verify, "check sha-256 against the server's Repr-Digest");
  cmd->add_flag("--fsync", f->fsync, "flush to disk before the final rename");
  cmd->add_option("--engine", f->engine, "receive engine: splice or copy[:SIZE]")->capture_default_str();
  cmd->add_option("--raw", f->raw, "HOST:PORT: no HTTP, read until EOF (zcp serve --raw)");
  cmd->add_option("--timeout", f->timeout, "seconds without progress before giving up")
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", f->quiet, "no progress, no summary");
  cmd->add_flag("--progress", f->progress, "draw the progress line even when stderr is not a terminal");
  cmd->add_flag("--json", f->json, "print the summary as JSON on stdout (\"path\": how the body\n"
                "landed: splice, ktls, userspace or copy)");
  add_tls_flags(cmd, f->tls);
  return [f] { return run(*f); };
}

}  // namespace zcp::cli
