// The sendfile experiment, reproduced: a server process sends a whole file
// to one connection on loopback and closes; a client process receives until
// EOF. Each (send engine x receive engine) pair runs `runs` times, pairs
// interleaved so that drift (page cache, CPU frequency) hits all alike.
// This is measurement code for `zcp bench`; it forks, so call it from a
// single-threaded program.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "zcp/base/stats.h"
#include "zcp/engine_spec.h"
#include "zcp/send_engine.h"
#include "zcp/status.h"

namespace zcp {

struct BenchOptions {
  std::string file;      // send this file; empty: create a random one
  uint64_t size = 4ULL << 30;  // size of the created file
  std::string dir;       // where to create it (empty: $TMPDIR or /tmp)
  int runs = 5;
  int warmup = 1;        // untimed runs of each pair before the timed ones
  std::vector<EngineSpec> senders;
  std::vector<EngineSpec> receivers;
  bool ipv6 = false;     // [::1] instead of 127.0.0.1
  bool pin = false;           // server on CPU 0, client on CPU 1 (sched_setaffinity)
  int timeout_seconds = 600;  // a run taking longer is killed and reported
  // TCP_NOTSENT_LOWAT on the server's socket, every engine alike (0: the
  // kernel's default, no limit). Why: serve_once in bench_runner.cc.
  uint64_t notsent_lowat = 32 * 1024;
};

// One timed run, as seen by the two processes.
struct RunSample {
  double seconds = 0;      // client wall time: connect to EOF
  double send_cpu = 0;     // server process user + sys seconds
  double recv_cpu = 0;     // client process user + sys seconds
  uint64_t bytes = 0;      // bytes the client received
  EngineStats send_stats;  // syscalls and bytes of the send engine
  EngineStats recv_stats;
};

struct PairResult {
  std::string sender, receiver;  // canonical names, "copy:8K"
  int send_copies = 0, recv_copies = 0;
  std::vector<RunSample> runs;
  Summary seconds, send_cpu, recv_cpu;
  double gbps = 0;     // size / median seconds, in 10^9 bytes per second
  double speedup = 0;  // baseline median / this median (baseline: first sender)
};

struct BenchReport {
  std::string file;
  uint64_t size = 0;
  bool created = false;
  int runs = 0;
  uint64_t notsent_lowat = 0;
  std::vector<PairResult> pairs;
};

using RunCallback = std::function<void(const PairResult& pair, int run, bool warmup,
                                       const RunSample& sample)>;

Result<BenchReport> run_bench(const BenchOptions& opts, const RunCallback& on_run = {});

}  // namespace zcp
