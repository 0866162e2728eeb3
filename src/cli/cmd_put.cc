// zcp put FILE URL: upload with the body sent by sendfile.
#include <signal.h>
#include <unistd.h>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/progress.h"
#include "zcp/send_engine.h"
#include "zcp/uploader.h"

namespace zcp::cli {
namespace {

struct PutFlags {
  std::string file, url, token, engine = "sendfile";
  double timeout = 30;
  bool quiet = false, progress = false, json = false;
};

int run(const PutFlags& f) {
  ::signal(SIGPIPE, SIG_IGN);
  auto url = parse_url(f.url);
  if (!url) {
    fmt::print(stderr, "zcp put: {}\n", url.status().to_string());
    return kExitBadUrl;
  }
  if (url->target.back() == '/') *url = url->child(f.file.substr(f.file.rfind('/') + 1));
  auto engine = parse_engine_spec(f.engine);
  if (!engine || !make_send_engine(*engine)) {
    fmt::print(stderr, "zcp put: unknown send engine '{}'\n", f.engine);
    return kExitUsage;
  }
  bool draw = !f.quiet && !f.json && (f.progress || ::isatty(STDERR_FILENO));
  ProgressLine line(f.file, draw);
  PutOptions o;
  o.token = f.token;
  o.engine = *engine;
  o.timeout = std::chrono::milliseconds(static_cast<int64_t>(f.timeout * 1000));
  o.progress = [&line](uint64_t d, uint64_t t) { line.update(d, t); };
  GetFailure failure = GetFailure::kNone;
  auto r = upload_file(f.file, *url, o, &failure);
  line.finish();
  if (!r) {
    fmt::print(stderr, "zcp put: {} -> {}: {}\n", f.file, url->to_string(), r.status().to_string());
    return transfer_exit_code(failure);
  }
  double rate = r->seconds > 0 ? static_cast<double>(r->bytes) / r->seconds : 0;
  if (f.json) {
    fmt::print("{}\n", nlohmann::json{{"file", f.file}, {"url", url->to_string()}, {"status", r->status},
                                      {"bytes", r->bytes}, {"seconds", r->seconds}}
                           .dump());
  } else if (!f.quiet) {
    fmt::print(stderr, "zcp put: {} -> {}: {} ({}), {} bytes in {:.2f} s ({}/s)\n", f.file,
               url->to_string(), r->status, r->status == 201 ? "created" : "replaced", r->bytes,
               r->seconds, human_bytes(rate));
  }
  return kExitOk;
}

}  // namespace

Runner add_put_command(CLI::App& app) {
  auto f = std::make_shared<PutFlags>();
  CLI::App* cmd = app.add_subcommand(
      "put",
      "Upload FILE to URL with HTTP PUT; the body goes from the page cache to the socket\n"
      "with sendfile. The server (zcp serve --upload) stores it atomically: nothing\n"
      "appears under the target name until every byte arrived and was fsync'd.\n"
      "A URL ending in / receives the file under its own name.\n\n"
      "Example: zcp put big.iso http://10.0.0.2:8080/isos/ --token s3cret\n\n"
      "Exit codes: 0 ok, 2 bad command line, 3 bad URL, 7 connection failed or lost,\n"
      "8 nonsensical server reply, 22 HTTP error status (401, 403, 413, 507 ...).");
  cmd->add_option("FILE", f->file, "file to upload")->required()->check(CLI::ExistingFile);
  cmd->add_option("URL", f->url, "http://host:port/path")->required();
  cmd->add_option("--token", f->token, "send 'Authorization: Bearer TOKEN'");
  cmd->add_option("--engine", f->engine, "sendfile, splice, copy[:SIZE], mmap")->capture_default_str();
  cmd->add_option("--timeout", f->timeout, "seconds without progress before giving up")->capture_default_str();
  cmd->add_flag("-q,--quiet", f->quiet, "no progress, no summary");
  cmd->add_flag("--progress", f->progress, "draw the progress line even when stderr is not a terminal");
  cmd->add_flag("--json", f->json, "print the summary as JSON on stdout");
  return [f] { return run(*f); };
}

}  // namespace zcp::cli
