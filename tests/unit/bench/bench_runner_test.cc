// The experiment's runner, small: real processes, real loopback, 4 MiB.
#include "zcp/bench/bench_runner.h"

#include <filesystem>

#include "support/test_support.h"

namespace zcp {
namespace {

class BenchRunnerTest : public test::FdLeakCheck {};

TEST_F(BenchRunnerTest, RunsEveryPairAndCountsBytes) {
  test::TempDir dir;
  BenchOptions o;
  o.size = 4 << 20;
  o.dir = dir.path();
  o.runs = 2;
  o.warmup = 0;
  o.senders = *parse_engine_list("copy:8K,sendfile,splice,mmap");
  o.receivers = *parse_engine_list("discard:8K,discard-splice,splice");
  int calls = 0;
  auto report = run_bench(o, [&](const PairResult&, int, bool, const RunSample&) { ++calls; });
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(calls, 4 * 3 * 2);
  ASSERT_EQ(report->pairs.size(), 12U);
  EXPECT_EQ(report->pairs[0].sender, "copy:8K");
  EXPECT_EQ(report->pairs[0].receiver, "discard:8K");
  EXPECT_DOUBLE_EQ(report->pairs[0].speedup, 1.0);
  for (const auto& p : report->pairs) {
    ASSERT_EQ(p.runs.size(), 2U);
    for (const auto& r : p.runs) {
      EXPECT_EQ(r.bytes, o.size);
      EXPECT_EQ(r.send_stats.bytes, o.size);
      EXPECT_GT(r.seconds, 0);
    }
    EXPECT_GT(p.gbps, 0);
  }
  // The copy sender pushes every byte through user space, sendfile none.
  EXPECT_EQ(report->pairs[0].runs[0].send_stats.user_bytes, o.size);
  EXPECT_EQ(report->pairs[3].runs[0].send_stats.user_bytes, 0U);
  // 8 KiB chunks: at least one read and one send per 8 KiB.
  EXPECT_GE(report->pairs[0].runs[0].send_stats.syscalls, 2 * (o.size / 8192));
  EXPECT_LT(report->pairs[3].runs[0].send_stats.syscalls, 10U);
  // The created file is removed afterwards.
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST_F(BenchRunnerTest, BadEngineFailsBeforeAnyRun) {
  BenchOptions o;
  o.size = 1 << 20;
  o.senders = *parse_engine_list("nope");
  o.receivers = *parse_engine_list("discard");
  auto report = run_bench(o);
  ASSERT_FALSE(report.is_ok());
  EXPECT_EQ(report.status().code(), Code::kInvalid);
}

TEST_F(BenchRunnerTest, MissingFileIsNamed) {
  BenchOptions o;
  o.file = "/nonexistent/file.bin";
  o.senders = *parse_engine_list("sendfile");
  o.receivers = *parse_engine_list("discard");
  auto report = run_bench(o);
  ASSERT_FALSE(report.is_ok());
  EXPECT_NE(report.status().to_string().find("/nonexistent/file.bin"), std::string::npos);
}

}  // namespace
}  // namespace zcp
