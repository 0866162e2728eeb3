#include "zcp/server/range.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace zcp {
namespace {

using Kind = RangeResult::Kind;
using Pairs = std::vector<std::pair<uint64_t, uint64_t>>;

Pairs pairs(const RangeResult& r) {
  Pairs out;
  for (const ByteRange& b : r.ranges) out.emplace_back(b.first, b.last);
  return out;
}

Kind kind(std::string_view header, uint64_t size) { return parse_range(header, size).kind; }

TEST(Range, SingleForms) {
  RangeResult r = parse_range("bytes=0-99", 1000);
  ASSERT_EQ(r.kind, Kind::kSatisfiable);
  EXPECT_EQ(pairs(r), (Pairs{{0, 99}}));
  EXPECT_EQ(r.ranges[0].length(), 100U);
  EXPECT_EQ(pairs(parse_range("bytes=500-", 1000)), (Pairs{{500, 999}}));
  EXPECT_EQ(pairs(parse_range("bytes=-100", 1000)), (Pairs{{900, 999}}));
  EXPECT_EQ(pairs(parse_range("bytes=5-5", 1000)), (Pairs{{5, 5}}));
  EXPECT_EQ(pairs(parse_range("BYTES=1-2", 1000)), (Pairs{{1, 2}}));
}

TEST(Range, ClampsToSize) {
  EXPECT_EQ(pairs(parse_range("bytes=900-5000", 1000)), (Pairs{{900, 999}}));
  EXPECT_EQ(pairs(parse_range("bytes=0-18446744073709551615", 10)), (Pairs{{0, 9}}));
  EXPECT_EQ(pairs(parse_range("bytes=-5000", 1000)), (Pairs{{0, 999}}));
}

TEST(Range, Multiple) {
  RangeResult r = parse_range("bytes=0-9, 20-29 ,\t-5", 100);
  ASSERT_EQ(r.kind, Kind::kSatisfiable);
  EXPECT_EQ(pairs(r), (Pairs{{0, 9}, {20, 29}, {95, 99}}));
  // Request order is kept; adjacent is not overlapping.
  EXPECT_EQ(pairs(parse_range("bytes=50-59,0-49", 100)), (Pairs{{50, 59}, {0, 49}}));
  // Empty list elements are ignored.
  EXPECT_EQ(pairs(parse_range("bytes=,0-1,,2-3,", 100)), (Pairs{{0, 1}, {2, 3}}));
  // Unsatisfiable members are dropped when others remain.
  EXPECT_EQ(pairs(parse_range("bytes=0-1,500-600", 100)), (Pairs{{0, 1}}));
}

TEST(Range, OverlapIsNone) {
  EXPECT_EQ(kind("bytes=0-10,5-20", 100), Kind::kNone);
  EXPECT_EQ(kind("bytes=0-,0-", 100), Kind::kNone);
  EXPECT_EQ(kind("bytes=-10,95-", 100), Kind::kNone);
}

TEST(Range, TooManyIsNone) {
  std::string header = "bytes=0-0";
  for (int i = 1; i < 16; ++i) header += "," + std::to_string(i * 2) + "-" + std::to_string(i * 2);
  EXPECT_EQ(kind(header, 100), Kind::kSatisfiable);
  EXPECT_EQ(kind(header + ",90-91", 100), Kind::kNone);
  EXPECT_EQ(parse_range("bytes=0-0,2-2", 100, 1).kind, Kind::kNone);
}

TEST(Range, MalformedIsNone) {
  for (const char* bad :
       {"", "bytes", "bytes=", "bytes=,", "items=0-1", "bytes 0-1", "bytes=abc", "bytes=1",
        "bytes=--1", "bytes=1-2-3", "bytes=-", "bytes=+1-2", "bytes=1-+2", "bytes=0x1-2",
        "bytes=0 - 1", "bytes=0-1;x", "bytes=10-5", "bytes=-1-2"}) {
    EXPECT_EQ(kind(bad, 100), Kind::kNone) << bad;
  }
}

TEST(Range, ReversedIsNone) {
  EXPECT_EQ(kind("bytes=10-5", 100), Kind::kNone);
  EXPECT_EQ(kind("bytes=0-1,10-5", 100), Kind::kNone);
}

TEST(Range, OverflowIsNone) {
  EXPECT_EQ(kind("bytes=0-99999999999999999999999", 100), Kind::kNone);
  EXPECT_EQ(kind("bytes=99999999999999999999999-", 100), Kind::kNone);
  EXPECT_EQ(kind("bytes=-99999999999999999999999", 100), Kind::kNone);
  EXPECT_EQ(kind("bytes=18446744073709551616-", 100), Kind::kNone);
}

TEST(Range, Unsatisfiable) {
  EXPECT_EQ(kind("bytes=100-", 100), Kind::kUnsatisfiable);
  EXPECT_EQ(kind("bytes=100-200", 100), Kind::kUnsatisfiable);
  EXPECT_EQ(kind("bytes=-0", 100), Kind::kUnsatisfiable);
  EXPECT_EQ(kind("bytes=5-", 0), Kind::kUnsatisfiable);
  EXPECT_EQ(kind("bytes=0-0", 0), Kind::kUnsatisfiable);
  EXPECT_EQ(kind("bytes=-0", 0), Kind::kUnsatisfiable);
  EXPECT_EQ(kind("bytes=200-300,100-", 100), Kind::kUnsatisfiable);
  EXPECT_TRUE(parse_range("bytes=100-", 100).ranges.empty());
}

TEST(Range, SuffixOnEmptyFileSendsWholeFile) { EXPECT_EQ(kind("bytes=-5", 0), Kind::kNone); }

TEST(Range, LastByte) {
  EXPECT_EQ(pairs(parse_range("bytes=99-", 100)), (Pairs{{99, 99}}));
  EXPECT_EQ(pairs(parse_range("bytes=-1", 100)), (Pairs{{99, 99}}));
  EXPECT_EQ(pairs(parse_range("bytes=0-0", 1)), (Pairs{{0, 0}}));
}

}  // namespace
}  // namespace zcp
