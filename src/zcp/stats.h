// Summary statistics of a sample (run times, CPU seconds) for bench tables.
#pragma once

#include <cstddef>
#include <vector>

namespace zcp {

struct Summary {
  double median = 0, mean = 0, stdev = 0, min = 0, max = 0;  // stdev: sample (n-1)
  size_t n = 0;
};

Summary summarize(std::vector<double> values);

}  // namespace zcp
