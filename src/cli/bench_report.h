// Renders a BenchReport as the human table and as JSON (for bench/plot.py).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "zcp/bench/bench_runner.h"

namespace zcp::cli {

std::string format_bench_table(const BenchReport& report);
nlohmann::json bench_to_json(const BenchReport& report);

}  // namespace zcp::cli
