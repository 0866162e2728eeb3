#include "zcp/base/byte_size.h"

#include <gtest/gtest.h>

namespace zcp {
namespace {

TEST(ByteSize, Parses) {
  EXPECT_EQ(*parse_byte_size("0"), 0U);
  EXPECT_EQ(*parse_byte_size("1500"), 1500U);
  EXPECT_EQ(*parse_byte_size("8K"), 8192U);
  EXPECT_EQ(*parse_byte_size("8k"), 8192U);
  EXPECT_EQ(*parse_byte_size("1M"), 1U << 20);
  EXPECT_EQ(*parse_byte_size("4G"), 4ULL << 30);
  EXPECT_EQ(*parse_byte_size("4GiB"), 4ULL << 30);
  EXPECT_EQ(*parse_byte_size("2T"), 2ULL << 40);
}

TEST(ByteSize, RejectsGarbage) {
  for (const char* bad : {"", "G", "-1", "4X", "4GG", "1.5G", "99999999999999999999",
                          "20000000000T"}) {
    EXPECT_FALSE(parse_byte_size(bad).is_ok()) << bad;
  }
}

TEST(ByteSize, HumanSizesAreIec) {
  EXPECT_EQ(human_byte_size(0), "0 B");
  EXPECT_EQ(human_byte_size(1023), "1023 B");
  EXPECT_EQ(human_byte_size(1536), "1.5 KiB");
  EXPECT_EQ(human_byte_size(1 << 20), "1.0 MiB");
  EXPECT_EQ(human_byte_size(1.1 * (1ULL << 30)), "1.1 GiB");
  EXPECT_EQ(human_byte_size(static_cast<double>(3ULL << 40)), "3.0 TiB");
}

TEST(ByteSize, Formats) {
  EXPECT_EQ(format_byte_size(0), "0B");
  EXPECT_EQ(format_byte_size(8192), "8K");
  EXPECT_EQ(format_byte_size(4ULL << 30), "4G");
  EXPECT_EQ(format_byte_size(1536), "1.5K");
  EXPECT_EQ(format_byte_size(1000), "1000B");
}

}  // namespace
}  // namespace zcp
