#include "cli/bench_report.h"

#include <fmt/format.h>

#include "zcp/base/byte_size.h"

namespace zcp::cli {
namespace {

std::string pair_name(const PairResult& p) { return p.sender + " -> " + p.receiver; }

// Per-run counters are the same every run but for scheduling; show the median run's.
const RunSample& typical_run(const PairResult& p) { return p.runs[p.runs.size() / 2]; }

std::string timing_table(const BenchReport& r) {
  std::string out = fmt::format("{:<28} {:>7} {:>7} {:>6} {:>7} {:>7} {:>6} {:>8} {:>8} {:>7}\n",
                                "sender -> receiver", "median", "mean", "stdev", "min", "max",
                                "GB/s", "send CPU", "recv CPU", "speedup");
  for (const auto& p : r.pairs) {
    out += fmt::format(
        "{:<28} {:>7.3f} {:>7.3f} {:>6.3f} {:>7.3f} {:>7.3f} {:>6.2f} {:>8.3f} {:>8.3f} {:>6.2f}x\n",
        pair_name(p), p.seconds.median, p.seconds.mean, p.seconds.stdev, p.seconds.min,
        p.seconds.max, p.gbps, p.send_cpu.median, p.recv_cpu.median, p.speedup);
  }
  return out;
}

// The two effects the experiment mixes up, side by side: how many calls it
// took, and how many bytes went through a user-space buffer.
std::string cost_table(const BenchReport& r) {
  std::string out = fmt::format("{:<28} {:>11} {:>11} {:>6} {:>11} {:>11} {:>6}\n",
                                "sender -> receiver", "send calls", "send via", "send",
                                "recv calls", "recv via", "recv");
  out += fmt::format("{:<28} {:>11} {:>11} {:>6} {:>11} {:>11} {:>6}\n", "", "", "user space",
                     "copies", "", "user space", "copies");
  for (const auto& p : r.pairs) {
    const RunSample& s = typical_run(p);
    out += fmt::format("{:<28} {:>11} {:>11} {:>6} {:>11} {:>11} {:>6}\n", pair_name(p),
                       s.send_stats.syscalls, format_byte_size(s.send_stats.user_bytes),
                       p.send_copies, s.recv_stats.syscalls,
                       format_byte_size(s.recv_stats.user_bytes), p.recv_copies);
  }
  return out;
}

nlohmann::json summary_json(const Summary& s) {
  return {{"median", s.median}, {"mean", s.mean}, {"stdev", s.stdev},
          {"min", s.min},       {"max", s.max},   {"n", s.n}};
}

nlohmann::json stats_json(const EngineStats& s) {
  return {{"syscalls", s.syscalls}, {"bytes", s.bytes}, {"user_bytes", s.user_bytes}};
}

}  // namespace

std::string format_bench_table(const BenchReport& r) {
  std::string out = fmt::format(
      "zcp bench: {} ({} bytes{}), {} timed runs per pair over loopback (server socket:\n"
      "TCP_NOTSENT_LOWAT {}); seconds are the client's wall time, CPU is user+sys of each\n"
      "process, speedup is against the first sender with the same receiver.\n\n",
      format_byte_size(r.size), r.size, r.created ? ", random" : ", " + r.file, r.runs,
      r.notsent_lowat > 0 ? format_byte_size(r.notsent_lowat) : std::string("off"));
  out += timing_table(r);
  out += "\nWhere the cost comes from (one run): data-path syscalls, bytes through a\n"
         "user-space buffer, and CPU copies of each byte on that side.\n\n";
  out += cost_table(r);
  return out;
}

nlohmann::json bench_to_json(const BenchReport& r) {
  nlohmann::json pairs = nlohmann::json::array();
  for (const auto& p : r.pairs) {
    nlohmann::json runs = nlohmann::json::array();
    for (const auto& s : p.runs) {
      runs.push_back({{"seconds", s.seconds},
                      {"send_cpu", s.send_cpu},
                      {"recv_cpu", s.recv_cpu},
                      {"bytes", s.bytes},
                      {"send", stats_json(s.send_stats)},
                      {"recv", stats_json(s.recv_stats)}});
    }
    pairs.push_back({{"sender", p.sender},
                     {"receiver", p.receiver},
                     {"send_copies", p.send_copies},
                     {"recv_copies", p.recv_copies},
                     {"seconds", summary_json(p.seconds)},
                     {"send_cpu", summary_json(p.send_cpu)},
                     {"recv_cpu", summary_json(p.recv_cpu)},
                     {"gbps", p.gbps},
                     {"speedup", p.speedup},
                     {"runs", runs}});
  }
  return {{"tool", "zcp bench"},
          {"size", r.size},
          {"file", r.created ? "" : r.file},
          {"runs", r.runs},
          {"notsent_lowat", r.notsent_lowat},
          {"pairs", pairs}};
}

}  // namespace zcp::cli
