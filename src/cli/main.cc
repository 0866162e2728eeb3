// zcp: the command-line front of the zcp library. Parses argv with CLI11,
// runs one subcommand, turns its outcome into an exit code.
#include <signal.h>

#include <cstring>
#include <exception>

#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "zcp/base/escape.h"

namespace {

// Help and --version exit 0 as CLI11 prints them; a real error names the
// subcommand it belongs to ("zcp serve: DIR: Directory does not exist").
int report_parse_error(CLI::App& app, const CLI::ParseError& e) {
  if (e.get_exit_code() == 0) {
    app.exit(e);
    return zcp::cli::kExitOk;
  }
  std::string who = "zcp";
  for (CLI::App* sub : app.get_subcommands()) who += " " + sub->get_name();
  fmt::print(stderr, "{}: {}\nRun '{} --help' for more information.\n", who, e.what(), who);
  return zcp::cli::kExitUsage;
}

bool is_subcommand(CLI::App& app, const std::string& word) {
  for (const CLI::App* sub : app.get_subcommands({})) {
    if (sub->check_name(word)) return true;
  }
  return false;
}

// SIGINT and SIGTERM are blocked before main() and before any library's
// constructor: a supervisor's SIGTERM sent right after exec (systemd stop
// during start-up, a test) then waits, pending, for zcp serve's signal
// thread and becomes a clean shutdown (exit 0) instead of a kill (143).
// The mask is inherited by every thread; other subcommands unblock it in
// main() (or take the signals themselves, as zcp get does).
void block_stop_signals(int, char**, char**) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
}
// preinit_array runs in the executable only, ahead of every init_array.
[[gnu::section(".preinit_array"), gnu::used]] void (*kBlockStopSignals)(int, char**, char**) =
    block_stop_signals;

void unblock_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "zcp: zero-copy file transfer for Linux.\n"
      "Moves file bytes disk -> socket -> disk without copying them through user space\n"
      "(sendfile, splice). Try `zcp bench --size 1G --runs 3` to see why it matters.\n\n"
      "Exit codes: 0 ok, 1 the operation failed (the message says why), 2 bad command line.",
      "zcp"};
  app.set_version_flag("--version", "zcp 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();

  std::vector<std::pair<CLI::App*, zcp::cli::Runner>> commands;
  auto add = [&](zcp::cli::Runner (*adder)(CLI::App&)) {
    size_t before = app.get_subcommands({}).size();
    zcp::cli::Runner run = adder(app);
    commands.emplace_back(app.get_subcommands({}).at(before), std::move(run));
  };
  add(zcp::cli::add_serve_command);
  add(zcp::cli::add_get_command);
  add(zcp::cli::add_put_command);
  add(zcp::cli::add_bench_command);

  // CLI11 would answer an unknown word with "A subcommand is required".
  if (argc > 1 && argv[1][0] != '-' && !is_subcommand(app, argv[1])) {
    fmt::print(stderr, "zcp: unknown command '{}' (commands: serve, get, put, bench)\n"
               "Run 'zcp --help' for more information.\n", zcp::escape_peer_text(argv[1], 64));
    return zcp::cli::kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return report_parse_error(app, e);
  }
  for (auto& [sub, run] : commands) {
    if (!sub->parsed()) continue;
    if (sub->get_name() != "serve") unblock_stop_signals();  // serve takes them in its own thread
    // The core throws nothing; what a library (nlohmann-json, fmt, the
    // standard one) might throw is a message and exit 1, never abort().
    try {
      return run();
    } catch (const std::exception& e) {
      fmt::print(stderr, "zcp: internal error: {}\n", zcp::cli::shown(e.what()));
      return zcp::cli::kExitFailure;
    }
  }
  return zcp::cli::kExitUsage;
}
