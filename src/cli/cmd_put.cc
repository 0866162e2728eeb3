// zcp put FILE URL...: upload with the body sent by sendfile; several URLs
// make a relay chain (chain.h).
#include <fmt/core.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "zcp/client/tree_upload.h"
#include "cli/tls_flags.h"
#include "zcp/fanout/chain.h"
#include "zcp/send_engine.h"
#include "zcp/uploader.h"

namespace zcp::cli {
namespace {

struct PutFlags {
  std::string file, token, engine = "sendfile";
  std::vector<std::string> urls;
  double timeout = 30;
  int streams = 0;  // -r: PUT streams of a first copy (0: one per CPU, at most 4)
  bool quiet = false, progress = false, json = false;
  bool recursive = false, checksum = false, delete_extra = false, dry_run = false, fsync = false;
  bool no_dotfiles = false;
  TlsOptions tls;  // --cacert, --pin, -k
};

// A failed host's exit code: unreachable or lost 7, refused with a status 22.
int hop_exit_code(const HopResult& r) {
  if (r.failure == "tls-handshake") return kExitTlsHandshake;
  if (r.failure == "tls-untrusted") return kExitTlsUntrusted;
  if (r.failure == "tls-pin") return kExitTlsPin;
  if (r.status == 0) return kExitConnect;
  return r.status >= 300 ? kExitHttp : kExitProtocol;
}

std::string status_label(int status) {
  if (status == 201) return "201 created";
  if (status == 204) return "204 replaced";
  return std::to_string(status);
}

// A word for a shell: as is when it is plain, else in single quotes.
std::string shell_word(const std::string& s) {
  bool plain = !s.empty() && s.find_first_not_of(
                                 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "0123456789/._-:@%+=,") == std::string::npos;
  if (plain) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The command line that sends FILE to just the hosts that failed.
std::string retry_command(const PutFlags& f, const ChainReport& report) {
  std::string cmd = "zcp put";
  if (!f.token.empty()) cmd += " --token ...";
  // The same trust, or the retry cannot reach a self-signed or private host.
  if (!f.tls.cacert.empty()) cmd += " --cacert " + shell_word(f.tls.cacert);
  if (!f.tls.pin.empty()) cmd += " --pin " + shell_word(f.tls.pin);
  if (f.tls.insecure) cmd += " -k";
  cmd += " " + shell_word(f.file);
  for (const HopResult& r : report.hosts) {
    if (!r.ok) cmd += " " + shell_word(r.url);
  }
  return cmd;
}

int print_chain(const PutFlags& f, const ChainReport& report) {
  int code = kExitOk;
  size_t stored = 0;
  nlohmann::json hosts = nlohmann::json::array();
  for (const HopResult& r : report.hosts) {
    if (r.ok) {
      ++stored;
    } else if (code == kExitOk) {
      code = hop_exit_code(r);
    }
    hosts.push_back({{"url", r.url},
                     {"ok", r.ok},
                     {"status", r.status},
                     {"bytes", r.bytes},
                     {"seconds", r.seconds},
                     {"error", r.error}});
    if (!r.path.empty()) hosts.back()["path"] = r.path;  // a relay: splice or userspace
    if (!r.failure.empty()) hosts.back()["failure"] = r.failure;
    if (f.json || f.quiet) continue;
    if (r.ok) {
      fmt::print(stderr, "zcp put: {} -> {}: stored ({}), {} in {:.2f} s\n", shown(f.file),
                 shown(r.url), status_label(r.status), human_bytes(static_cast<double>(r.bytes)),
                 r.seconds);
    } else {
      // The error is a relay's own words (its report) or a host's body.
      fmt::print(stderr, "zcp put: {} -> {}: FAILED: {}\n", shown(f.file), shown(r.url),
                 shown(r.error));
    }
  }
  if (f.json) {
    nlohmann::json out{{"file", f.file},
                       {"bytes", report.bytes},
                       {"seconds", report.seconds},
                       {"hosts", std::move(hosts)}};
    fmt::print("{}\n", json_line(out));
  } else if (!f.quiet || code != kExitOk) {
    fmt::print(stderr, "zcp put: {} of {} hosts stored {} ({}) in {:.2f} s\n", stored,
               report.hosts.size(), shown(f.file), human_bytes(static_cast<double>(report.bytes)),
               report.seconds);
    if (code != kExitOk)
      fmt::print(stderr, "zcp put: to retry the others: {}\n", shown(retry_command(f, report)));
  }
  return code;
}

int run_chain(const PutFlags& f, const std::vector<Url>& urls, PutOptions o) {
  bool draw = !f.quiet && !f.json && (f.progress || ::isatty(STDERR_FILENO));
  ProgressLine line(f.file, draw);
  o.progress = [&line](uint64_t d, uint64_t t) { line.update(d, t); };
  auto report = put_chain(f.file, urls, o);
  line.finish();
  if (!report) {
    fmt::print(stderr, "zcp put: {}\n", shown(report.status()));
    return kExitUsage;
  }
  return print_chain(f, *report);
}

int run_single(const PutFlags& f, const Url& url, PutOptions o) {
  bool draw = !f.quiet && !f.json && (f.progress || ::isatty(STDERR_FILENO));
  ProgressLine line(f.file, draw);
  o.progress = [&line](uint64_t d, uint64_t t) { line.update(d, t); };
  auto r = upload_file(f.file, url, o);
  line.finish();
  if (!r) {
    fmt::print(stderr, "zcp put: {} -> {}: {}\n", shown(f.file), shown(url.to_string()),
               shown(r.error().status));
    return transfer_exit_code(r.error().kind);
  }
  double rate = r->seconds > 0 ? static_cast<double>(r->bytes) / r->seconds : 0;
  if (f.json) {
    fmt::print("{}\n", json_line({{"file", f.file},
                                  {"url", url.to_string()},
                                  {"status", r->status},
                                  {"files", 1},
                                  {"bytes", r->bytes},
                                  {"seconds", r->seconds},
                                  {"bytes_per_second", rate},
                                  {"path", r->path}}));
  } else if (!f.quiet) {
    fmt::print(stderr, "zcp put: {} -> {}: {} ({}), {} in {:.2f} s ({}/s)\n", shown(f.file),
               shown(url.to_string()), r->status, r->status == 201 ? "created" : "replaced",
               human_bytes(static_cast<double>(r->bytes)), r->seconds, human_bytes(rate));
  }
  return kExitOk;
}

// put -r DIR URL: the tree as tar of what differs (tree_upload.h): one stream,
// or -j N of them for a first copy.
// A URL ending in '/' receives DIR under its own name, as a file would.
int run_tree(const PutFlags& f) {
  if (f.urls.size() != 1) {
    fmt::print(stderr, "zcp put: -r takes one DIR and one URL\n");
    return kExitUsage;
  }
  auto url = parse_url(f.urls[0]);
  if (!url) {
    fmt::print(stderr, "zcp put: {}\n", shown(url.status()));
    return kExitBadUrl;
  }
  if (url->tls) {
    if (int rc = check_tls_flags("put", f.tls); rc != kExitOk) return rc;
  }
  std::string dir = f.file;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (url->target.back() == '/') {
    std::string base = dir.substr(dir.rfind('/') + 1);
    if (base != "." && base != ".." && !base.empty()) *url = url->child(base);
  }
  TreeGetOptions o;
  o.tls = f.tls;
  o.timeout = std::chrono::milliseconds(static_cast<int64_t>(f.timeout * 1000));
  o.checksum = f.checksum;
  o.delete_extra = f.delete_extra;
  o.dotfiles = !f.no_dotfiles;
  o.dry_run = f.dry_run;
  o.fsync = f.fsync;
  o.token = f.token;
  o.streams = f.streams;
  if (f.dry_run) {
    o.listed = [&f](char what, const std::string& path) {
      if (!f.json) fmt::print("{} {}\n", what == '-' ? "delete" : "put", shown(path));
    };
  }
  bool draw = !f.quiet && !f.json && (f.progress || ::isatty(STDERR_FILENO));
  ProgressLine line(shown(dir), draw);
  o.progress = [&line](const TreeProgress& p) {
    line.update_files(p.files_done, p.files_total, p.bytes_done, p.bytes_total);
  };
  auto r = upload_tree(dir, *url, o);
  line.finish();
  if (!r) {
    fmt::print(stderr, "zcp put: {} -> {}: {}\n", shown(dir), shown(url->to_string()),
               shown(r.error().status));
    return transfer_exit_code(r.error().kind);
  }
  double rate = r->seconds > 0 ? static_cast<double>(r->bytes) / r->seconds : 0;
  if (f.json) {
    fmt::print("{}\n", json_line({{"dir", dir}, {"url", url->to_string()}, {"files", r->files},
                                  {"symlinks", r->symlinks}, {"skipped", r->skipped},
                                  {"deleted", r->deleted}, {"bytes", r->bytes},
                                  {"streams", r->streams}, {"dry_run", f.dry_run}, {"seconds", r->seconds},
                                  {"bytes_per_second", rate}}));
  } else if (!f.quiet) {
    fmt::print(stderr, "zcp put: {} -> {}/: {}{} {} sent, {} skipped, {} deleted, {} in {:.2f} s ({}/s)\n",
               shown(dir), shown(url->to_string()), f.dry_run ? "dry run: would be " : "",
               r->files + r->symlinks, r->files + r->symlinks == 1 ? "file" : "files", r->skipped,
               r->deleted, human_bytes(static_cast<double>(r->bytes)), r->seconds, human_bytes(rate));
  }
  return kExitOk;
}

int run(const PutFlags& f) {
  ::signal(SIGPIPE, SIG_IGN);
  if (f.recursive) return run_tree(f);
  if (std::error_code ec; std::filesystem::is_directory(f.file, ec)) {
    fmt::print(stderr, "zcp put: {} is a directory (put -r sends a tree)\n", shown(f.file));
    return kExitUsage;
  }
  if (f.urls.size() > kMaxChainHosts) {
    fmt::print(stderr, "zcp put: at most {} URLs in one chain\n", kMaxChainHosts);
    return kExitUsage;
  }
  std::vector<Url> urls;
  for (const std::string& text : f.urls) {
    auto url = parse_url(text);
    if (!url) {
      fmt::print(stderr, "zcp put: {}\n", shown(url.status()));
      return kExitBadUrl;
    }
    if (url->target.back() == '/') *url = url->child(f.file.substr(f.file.rfind('/') + 1));
    urls.push_back(std::move(*url));
  }
  auto engine = parse_engine_spec(f.engine);
  if (!engine || !make_send_engine(*engine)) {
    fmt::print(stderr, "zcp put: unknown send engine '{}'\n", f.engine);
    return kExitUsage;
  }
  // The trust flags check any https host this client connects to (in a
  // chain: the first, or a later one when those before it fail).
  bool any_tls = false;
  for (const Url& u : urls) any_tls = any_tls || u.tls;
  if (any_tls) {
    if (int rc = check_tls_flags("put", f.tls); rc != kExitOk) return rc;
  }
  PutOptions o;
  o.tls = f.tls;
  o.token = f.token;
  o.engine = *engine;
  o.timeout = std::chrono::milliseconds(static_cast<int64_t>(f.timeout * 1000));
  return urls.size() == 1 ? run_single(f, urls[0], o) : run_chain(f, urls, o);
}

}  // namespace

Runner add_put_command(CLI::App& app) {
  auto f = std::make_shared<PutFlags>();
  CLI::App* cmd = app.add_subcommand(
      "put",
      "Upload FILE to URL with HTTP PUT; the body goes from the page cache to the socket\n"
      "with sendfile. The server (zcp serve --upload) stores it atomically: nothing\n"
      "appears under the target name until every byte arrived and was fsync'd.\n"
      "A URL ending in / receives the file under its own name. Over https:// the body\n"
      "goes pread + SSL_write, or SSL_sendfile when the kernel has TLS.\n\n"
      "Several URLs make a fan-out chain: the file is sent once, to the first host;\n"
      "each host (zcp serve --upload --relay) stores it while passing it on to the next\n"
      "with splice and tee, so N hosts take about as long as one. A host that cannot be\n"
      "reached (or, over https, not trusted) is skipped; one line per host says what\n"
      "became of it. Links may mix http and https: --cacert/--pin/-k check the https\n"
      "hosts this client connects to; each relay checks the one after it.\n\n"
      "Examples: zcp put big.iso http://10.0.0.2:8080/isos/ --token s3cret\n"
      "          zcp put model.bin http://h1:8080/m/ http://h2:8080/m/ http://h3:8080/m/\n"
      "          zcp put --cacert ca.pem model.bin https://h1/m/ https://h2/m/ http://h3:8080/m/\n"
      "          zcp put -r photos http://10.0.0.2:8080/backup/   (-> /backup/photos/, again: only changes)\n\n"
      "Exit codes: 0 ok (every host), 2 bad command line, 3 bad URL, 7 connection failed\n"
      "or lost, 8 nonsensical server reply, 22 HTTP error status (401, 403, 413, 507 ...);\n"
      "with several hosts, the code of the first that failed; https: 35 handshake failed,\n"
      "60 certificate not trusted, 77 --cacert unreadable, 90 --pin mismatch.");
  cmd->add_option("FILE", f->file, "file to upload (with -r: a directory)")->required()->check(CLI::ExistingPath);
  cmd->add_option("URL", f->urls,
                  "http[s]://host:port/path; several: a relay chain, in this order (each link\n"
                  "http or https; a relay checks the https host after it with its own\n"
                  "--relay-cacert/--relay-pin)")
      ->required();
  cmd->add_option("--token", f->token, "send 'Authorization: Bearer TOKEN'");
  cmd->add_flag("-r,--recursive", f->recursive,
                "FILE is a directory: send it as tar (-j streams for a first copy), only the files whose size\n"
                "or mtime differ from the server's copy (rsync's quick check); mtimes,\n"
                "permissions and symlinks inside the tree are kept; dotfiles (.git, .env)\n"
                "go too, and a server without --dotfiles refuses the whole PUT (exit 22)");
  cmd->add_flag("--checksum", f->checksum, "-r: compare by sha-256 instead of size and mtime");
  cmd->add_flag("--delete", f->delete_extra,
                "-r: remove what DIR no longer has from the server's copy, links there\n"
                "that point out of the tree included (the link, never its target)");
  cmd->add_flag("--no-dotfiles", f->no_dotfiles,
                "-r: leave names starting with '.' out (and the server's alone with --delete)");
  cmd->add_flag("-n,--dry-run", f->dry_run, "-r: list what would be sent or deleted, change nothing");
  cmd->add_flag("--fsync", f->fsync, "-r: the server flushes each file before its rename");
  cmd->add_option("-j,--parallel", f->streams,
                  "-r: a first copy (the server has nothing there yet) as N PUT streams, each a part\n"
                  "of the tree (0: one per CPU, at most 4)")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  cmd->add_option("--engine", f->engine, "sendfile, splice, copy[:SIZE], mmap")
      ->capture_default_str();
  cmd->add_option("--timeout", f->timeout, "seconds without progress before giving up")
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", f->quiet, "no progress, no summary");
  cmd->add_flag("--progress", f->progress,
                "draw the progress line even when stderr is not a terminal");
  cmd->add_flag("--json", f->json,
                "print the summary as JSON on stdout (with several URLs: a\n"
                "\"hosts\" array, one entry per URL)");
  add_tls_flags(cmd, f->tls);
  return [f] { return run(*f); };
}

}  // namespace zcp::cli
