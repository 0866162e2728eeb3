#include "zcp/engine_spec.h"

#include <gtest/gtest.h>

namespace zcp {
namespace {

TEST(EngineSpec, ParsesNameAndSize) {
  auto s = parse_engine_spec("copy:1M");
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(s->name, "copy");
  EXPECT_EQ(s->size, 1U << 20);
  EXPECT_EQ(s->to_string(), "copy:1M");
  auto t = parse_engine_spec(" sendfile ");
  ASSERT_TRUE(t.is_ok());
  EXPECT_EQ(t->name, "sendfile");
  EXPECT_EQ(t->size, 0U);
}

TEST(EngineSpec, ParsesLists) {
  auto l = parse_engine_list("copy:8K, copy:1M,sendfile");
  ASSERT_TRUE(l.is_ok());
  ASSERT_EQ(l->size(), 3U);
  EXPECT_EQ((*l)[1].size, 1U << 20);
  EXPECT_EQ((*l)[2].name, "sendfile");
}

TEST(EngineSpec, RejectsBadSpecs) {
  for (const char* bad : {"", ":8K", "copy:", "copy:0", "copy:8Q", ",", "copy,,sendfile"}) {
    EXPECT_FALSE(parse_engine_list(bad).is_ok()) << bad;
  }
}

}  // namespace
}  // namespace zcp
