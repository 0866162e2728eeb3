// The client's TLS flags, shared by zcp get and zcp put, spelled as curl's:
// --cacert FILE, --pin sha256//BASE64 (curl's --pinnedpubkey), -k/--insecure.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "zcp/tls_options.h"

namespace zcp::cli {

// curl's exit code for a --cacert it cannot read (CURLE_SSL_CACERT_BADFILE).
inline constexpr int kExitCacertBad = 77;

void add_tls_flags(CLI::App* cmd, TlsOptions& tls);

// Checks the flags before any connection (a bad --pin is a usage error,
// an unreadable --cacert curl's 77): prints why and returns the exit code,
// or kExitOk.
int check_tls_flags(const char* verb, const TlsOptions& tls);

}  // namespace zcp::cli
