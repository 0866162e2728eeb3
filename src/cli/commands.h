// The subcommands of the zcp binary. Each add_*_command registers its
// flags on `app` and returns the function that runs it once parsed.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "zcp/downloader.h"

namespace zcp::cli {

using Runner = std::function<int()>;

// Exit codes shared by every subcommand (documented in `zcp --help`).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the operation failed; the message says why
inline constexpr int kExitUsage = 2;    // bad command line
// zcp get / put add curl's codes where curl has one.
inline constexpr int kExitBadUrl = 3;
inline constexpr int kExitConnect = 7;   // cannot connect, connection lost, timeout
inline constexpr int kExitProtocol = 8;  // the server's reply makes no sense
inline constexpr int kExitHttp = 22;     // an HTTP status other than 200/206
inline constexpr int kExitWrite = 23;    // cannot write the destination (disk full ...)
inline constexpr int kExitPartial = 24;  // get -r: some files failed (each named), the rest came
inline constexpr int kExitVerify = 30;   // --verify: sha-256 differs from Repr-Digest
inline constexpr int kExitNoDigest = 31; // --verify: the server sends no digest (nothing fetched)
inline constexpr int kExitTlsHandshake = 35;  // https: the TLS handshake failed
inline constexpr int kExitTlsUntrusted = 60;  // https: the certificate is not trusted
inline constexpr int kExitTlsPin = 90;        // https: the server's key does not match --pin

// The exit code for why a transfer failed.
int transfer_exit_code(GetFailure failure);

Runner add_bench_command(CLI::App& app);
Runner add_serve_command(CLI::App& app);
Runner add_get_command(CLI::App& app);
Runner add_put_command(CLI::App& app);

}  // namespace zcp::cli
