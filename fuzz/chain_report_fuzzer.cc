// A relay's JSON report (fanout/chain.h parse_report), as the sender and
// every relay before it read it from the next host: any bytes, any JSON.
// Must not throw or crash; what it accepts must be a report of exactly the
// asked number of sane entries, and must survive report_json and back
// unchanged (a relay passes what it got upstream).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "zcp/fanout/chain.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t count = 1 + data[0] % 4;  // hosts the report must cover
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto report = zcp::parse_report(body, count);
  if (!report) return 0;
  check(report->size() == count);
  for (const zcp::HopResult& r : *report) {
    check(r.status >= 0 && r.status <= 999);
    check(r.ok || !r.error.empty());
  }
  auto again = zcp::parse_report(zcp::report_json(*report), count);
  check(again.has_value());
  for (size_t i = 0; i < count; ++i) {
    const zcp::HopResult &a = (*report)[i], &b = (*again)[i];
    check(a.ok == b.ok && a.status == b.status && a.bytes == b.bytes && a.error == b.error);
    check(a.seconds == b.seconds || (std::isnan(a.seconds) && std::isnan(b.seconds)));
  }
  return 0;
}
