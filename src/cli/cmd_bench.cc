// zcp bench: the sendfile experiment, engine by engine (see bench_runner.h).
#include <unistd.h>

#include <fmt/core.h>

#include "cli/bench_report.h"
#include "cli/commands.h"
#include "zcp/base/byte_size.h"
#include "zcp/bench/bench_runner.h"

namespace zcp::cli {
namespace {

// Defaults come from BenchOptions, so the library and --help agree.
const BenchOptions kDefaults;

struct BenchFlags {
  std::string size = format_byte_size(kDefaults.size);
  std::string file;
  std::string dir;
  int runs = kDefaults.runs;
  int warmup = kDefaults.warmup;
  std::string senders = "copy:8K,copy:1M,sendfile,splice,mmap";
  std::string receivers = "discard:8K";
  bool json = false;
  bool ipv6 = false;
  bool quiet = false;
  bool pin = false;
  int timeout = kDefaults.timeout_seconds;
  std::string notsent_lowat = format_byte_size(kDefaults.notsent_lowat);
};

Result<BenchOptions> to_options(const BenchFlags& f) {
  BenchOptions o;
  auto size = parse_byte_size(f.size);
  if (!size) return std::move(size).take_status();
  if (*size == 0) return Status::invalid("--size must be more than 0");
  auto senders = parse_engine_list(f.senders);
  if (!senders) return std::move(senders).take_status();
  auto receivers = parse_engine_list(f.receivers);
  if (!receivers) return std::move(receivers).take_status();
  o.size = *size;
  o.file = f.file;
  o.dir = f.dir;
  o.runs = f.runs;
  o.warmup = f.warmup;
  o.senders = std::move(*senders);
  o.receivers = std::move(*receivers);
  o.ipv6 = f.ipv6;
  o.pin = f.pin;
  o.timeout_seconds = f.timeout;
  auto lowat = parse_byte_size(f.notsent_lowat);
  if (!lowat) return Status::invalid("--notsent-lowat: " + lowat.status().to_string());
  o.notsent_lowat = *lowat;
  return o;
}

int run(const BenchFlags& flags) {
  auto opts = to_options(flags);
  if (!opts) {
    fmt::print(stderr, "zcp bench: {}\n", opts.status().to_string());
    return kExitUsage;
  }
  if (!flags.quiet && opts->file.empty()) {
    fmt::print(stderr, "zcp bench: creating a {} random file...\n", format_byte_size(opts->size));
  }
  auto progress = [&](const PairResult& p, int run, bool warmup, const RunSample& s) {
    if (flags.quiet) return;
    fmt::print(stderr, "  {} {:>2}/{}  {:<10} -> {:<14} {:7.3f} s\n", warmup ? "warm-up" : "run    ",
               warmup ? run + opts->warmup + 1 : run + 1, warmup ? opts->warmup : opts->runs,
               p.sender, p.receiver, s.seconds);
  };
  auto report = run_bench(*opts, progress);
  if (!report) {
    fmt::print(stderr, "zcp bench: {}\n", report.status().to_string());
    return report.status().code() == Code::kInvalid ? kExitUsage : kExitFailure;
  }
  if (flags.json) {
    fmt::print("{}\n", bench_to_json(*report).dump(2));
  } else {
    fmt::print("{}", format_bench_table(*report));
  }
  return kExitOk;
}

}  // namespace

Runner add_bench_command(CLI::App& app) {
  auto flags = std::make_shared<BenchFlags>();
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Reproduce the sendfile experiment: a server process sends a whole file over\n"
      "loopback to a client process that reads until EOF, for each send x receive\n"
      "engine, several runs each (interleaved), and print the timing table.\n\n"
      "Send engines:    copy[:SIZE] (read+send, 8K default), sendfile, splice[:PIPE], mmap[:WINDOW]\n"
      "Receive engines: discard[:SIZE] (recv and drop, 8K default: the experiment's client),\n"
      "                 discard-splice (socket->pipe->/dev/null), copy[:SIZE], splice[:PIPE]\n"
      "                 (copy and splice write nowhere here: no file is given to them)\n\n"
      "Example: zcp bench --size 1G --runs 3\n"
      "         zcp bench --send copy:8K,sendfile --recv discard:8K,discard-splice --json > b.json");
  cmd->add_option("--size", flags->size, "size of the random file to create (K/M/G suffixes)")
      ->capture_default_str();
  cmd->add_option("--file", flags->file, "send this existing file instead of creating one")
      ->check(CLI::ExistingFile);
  cmd->add_option("--dir", flags->dir, "directory for the created file (default: $TMPDIR or /tmp)")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--runs", flags->runs, "timed runs per engine pair")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--warmup", flags->warmup, "untimed runs per pair before the timed ones")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--send", flags->senders, "comma-separated send engines")
      ->capture_default_str();
  cmd->add_option("--recv", flags->receivers, "comma-separated receive engines")
      ->capture_default_str();
  cmd->add_flag("--json", flags->json, "print the results as JSON (per-run samples included)");
  cmd->add_flag("-6,--ipv6", flags->ipv6, "use [::1] instead of 127.0.0.1");
  cmd->add_option("--timeout", flags->timeout, "seconds before one run counts as stalled")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  cmd->add_option("--notsent-lowat", flags->notsent_lowat,
                  "TCP_NOTSENT_LOWAT on the server's socket, for every engine: at most this much\n"
                  "queued but unsent, so the sender, not the receiver's ACKs, transmits its data\n"
                  "(0: the kernel's default, no limit)")
      ->capture_default_str();
  cmd->add_flag("--pin", flags->pin,
                "pin the server to one CPU and the client to another (less run-to-run spread)");
  cmd->add_flag("-q,--quiet", flags->quiet, "no per-run progress on stderr");
  return [flags] { return run(*flags); };
}

}  // namespace zcp::cli
