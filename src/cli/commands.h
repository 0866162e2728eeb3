// The subcommands of the zcp binary. Each add_*_command registers its
// flags on `app` and returns the function that runs it once parsed.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace zcp::cli {

using Runner = std::function<int()>;

// Exit codes shared by every subcommand (documented in `zcp --help`).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the operation failed; the message says why
inline constexpr int kExitUsage = 2;    // bad command line

Runner add_bench_command(CLI::App& app);
Runner add_serve_command(CLI::App& app);
Runner add_get_command(CLI::App& app);
Runner add_put_command(CLI::App& app);

}  // namespace zcp::cli
