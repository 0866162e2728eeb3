// Micro-benchmark: one send engine moving 256 MiB of a page-cached file over
// a loopback TCP connection to a 1 MiB discarding reader thread. For quick
// engine A/B checks while working on an engine; the experiment proper (two
// processes, the 8 KiB client, medians over runs) is `zcp bench`.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>
#include <vector>

#include "zcp/base/socket.h"
#include "zcp/bench/random_file.h"
#include "zcp/send_engine.h"

namespace {

constexpr uint64_t kSize = 256ULL << 20;

std::string bench_file() {
  static std::string path = [] {
    std::string p = "/tmp/zcp-engine-bench.bin";
    if (!zcp::write_random_file(p, kSize)) std::abort();
    return p;
  }();
  return path;
}

void BM_Send(benchmark::State& state, const char* spec_text) {
  auto file = zcp::open_file(bench_file(), O_RDONLY);
  auto engine = zcp::make_send_engine(*zcp::parse_engine_spec(spec_text));
  if (!file || !engine) {
    state.SkipWithError("setup failed");
    return;
  }
  for (auto _ : state) {
    auto listener = zcp::listen_tcp(zcp::SocketAddress::loopback_v4(0));
    auto client = zcp::connect_tcp(*zcp::local_address(listener->get()));
    auto server = zcp::accept_connection(listener->get());
    std::thread reader([fd = client->get()] {
      std::vector<char> buf(1 << 20);
      while (::recv(fd, buf.data(), buf.size(), 0) > 0) {
      }
    });
    zcp::Progress p = (*engine)->send(file->get(), 0, kSize, server->get());
    server->reset();
    reader.join();
    if (!p.status) state.SkipWithError(p.status.to_string().c_str());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kSize));
}

BENCHMARK_CAPTURE(BM_Send, copy_8K, "copy:8K")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Send, copy_1M, "copy:1M")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Send, sendfile, "sendfile")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Send, splice, "splice")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Send, mmap, "mmap")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
