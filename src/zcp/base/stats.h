// Summary statistics of a sample (run times, CPU seconds) for bench tables,
// and the elapsed-time measure every report uses.
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

namespace zcp {

struct Summary {
  double median = 0, mean = 0, stdev = 0, min = 0, max = 0;  // stdev: sample (n-1)
  size_t n = 0;
};

Summary summarize(std::vector<double> values);

// Seconds from `start` until now, on the monotonic clock.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace zcp
