#include "zcp/base/stats.h"

#include <gtest/gtest.h>

namespace zcp {
namespace {

TEST(Summarize, OddAndEvenCounts) {
  Summary s = summarize({3, 1, 2});
  EXPECT_DOUBLE_EQ(s.median, 2);
  EXPECT_DOUBLE_EQ(s.mean, 2);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 3);
  EXPECT_DOUBLE_EQ(s.stdev, 1);  // sample stdev of 1,2,3
  Summary e = summarize({4, 1, 3, 2});
  EXPECT_DOUBLE_EQ(e.median, 2.5);
  EXPECT_EQ(e.n, 4U);
}

TEST(Summarize, EmptyAndSingle) {
  EXPECT_EQ(summarize({}).n, 0U);
  Summary one = summarize({5});
  EXPECT_DOUBLE_EQ(one.median, 5);
  EXPECT_DOUBLE_EQ(one.stdev, 0);
}

}  // namespace
}  // namespace zcp
