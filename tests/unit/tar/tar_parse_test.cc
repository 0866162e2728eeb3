// The tar reading functions on crafted header blocks and pax records:
// octal and base-256 numbers at their limits, both checksum conventions,
// well- and ill-formed pax records and times, and the member names that
// must never leave DEST. tar_extract_test drives the same code end to end.
#include "zcp/tar/tar_parse.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <limits>
#include <optional>
#include <utility>

#include "zcp/tar/tar_header.h"

namespace zcp {
namespace {

using Parts = std::vector<std::string>;

// Field bytes from a list of byte values: base-256 fields are binary.
std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out += static_cast<char>(v);
  return out;
}

// A 12-byte base-256 field: the marker byte, then `tail` right-aligned in
// the 11 bytes after it, padded with `fill` (0x00 positive, 0xff negative).
std::string base256(int marker, const std::string& tail, char fill) {
  return static_cast<char>(marker) + std::string(11 - tail.size(), fill) + tail;
}

std::optional<int64_t> number(std::string_view field) {
  int64_t out = 0;
  if (!parse_tar_number(field, out)) return std::nullopt;
  return out;
}

// The sum of a block's bytes, its checksum field counted as spaces.
int64_t header_sum(const std::string& block, bool signed_chars) {
  int64_t sum = 0;
  for (size_t i = 0; i < block.size(); ++i) {
    if (i >= 148 && i < 156) {
      sum += ' ';
    } else {
      sum +=
          signed_chars ? static_cast<signed char>(block[i]) : static_cast<unsigned char>(block[i]);
    }
  }
  return sum;
}

// Stores `sum` in the checksum field as GNU tar does: six octal digits,
// a NUL and a space.
std::string with_checksum(std::string block, int64_t sum) {
  char field[9];
  std::snprintf(field, sizeof(field), "%06llo", static_cast<unsigned long long>(sum));
  block.replace(148, 8, std::string(field, 6) + std::string("\0 ", 2));
  return block;
}

// A header block as zcp serve writes it, checksum included.
std::string served_block(const std::string& name, uint64_t size = 0) {
  return encode_tar_header({name, '0', 0644, size, 1'600'000'000});
}

TEST(TarParse, OctalNumbers) {
  EXPECT_EQ(number(std::string("0000644\0", 8)), 0644);
  EXPECT_EQ(number(std::string("   644 \0", 8)), 0644);  // old tars pad with spaces
  EXPECT_EQ(number(std::string(8, '\0')), 0);            // an empty field
  EXPECT_EQ(number("777777777777"), 0777777777777);      // full width, no terminator
  EXPECT_EQ(number(std::string(21, '7')), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(number(std::string(22, '7')), std::nullopt);         // over 64 bits
  EXPECT_EQ(number("1" + std::string(21, '0')), std::nullopt);   // 2^63
  EXPECT_EQ(number(std::string("0000648\0", 8)), std::nullopt);  // not octal
  EXPECT_EQ(number(std::string("644x\0\0\0\0", 8)), std::nullopt);
  EXPECT_EQ(number(std::string("-644\0\0\0\0", 8)), std::nullopt);
}

TEST(TarParse, Base256Numbers) {
  EXPECT_EQ(number(base256(0x80, bytes({0x02, 0, 0, 0, 0}), '\0')), int64_t{8} << 30);
  EXPECT_EQ(number(base256(0x80, "", '\0')), 0);
  // Negative (mtimes before the epoch): two's complement, sign bit 0x40.
  EXPECT_EQ(number(std::string(12, '\xff')), -1);
  EXPECT_EQ(number(base256(0xff, bytes({0xfe}), '\xff')), -2);
  EXPECT_EQ(number(base256(0xff, bytes({0x80, 0, 0, 0, 0, 0, 0, 0}), '\xff')),
            std::numeric_limits<int64_t>::min());
  EXPECT_EQ(number(base256(0x80, bytes({0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), '\0')),
            std::numeric_limits<int64_t>::max());
  // One past either end of int64_t, and far past.
  EXPECT_EQ(number(base256(0x80, bytes({0x80, 0, 0, 0, 0, 0, 0, 0}), '\0')), std::nullopt);
  EXPECT_EQ(number(base256(0xff, bytes({0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), '\xff')),
            std::nullopt);
  EXPECT_EQ(number(base256(0x80, bytes({0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0}), '\0')), std::nullopt);
  // An 8-byte field (mode, uid) holds at most 63 bits: always fits.
  EXPECT_EQ(number(bytes({0x80, 0, 0, 0, 0, 0, 0x01, 0xa4})), 0644);
}

TEST(TarParse, ChecksumEitherSignedness) {
  std::string block = served_block("x");
  EXPECT_TRUE(tar_checksum_ok(block));  // the writer's own
  // Bytes >= 0x80 make the two sums differ: 100 of them in the name.
  block.replace(0, 100, std::string(100, '\xe9'));
  const int64_t unsigned_sum = header_sum(block, false);
  const int64_t signed_sum = header_sum(block, true);
  ASSERT_NE(unsigned_sum, signed_sum);
  EXPECT_TRUE(tar_checksum_ok(with_checksum(block, unsigned_sum)));
  EXPECT_TRUE(tar_checksum_ok(with_checksum(block, signed_sum)));
  EXPECT_FALSE(tar_checksum_ok(with_checksum(block, unsigned_sum + 1)));
  EXPECT_FALSE(tar_checksum_ok(with_checksum(block, signed_sum - 1)));
  block.replace(148, 8, "garbage!");
  EXPECT_FALSE(tar_checksum_ok(block));
  // A zero block sums to 256 (the field as spaces), not the stored 0.
  EXPECT_FALSE(tar_checksum_ok(std::string(kTarBlock, '\0')));
}

TEST(TarParse, ZeroBlock) {
  std::string block(kTarBlock, '\0');
  EXPECT_TRUE(is_zero_block(block));
  block[511] = 1;
  EXPECT_FALSE(is_zero_block(block));
}

TEST(TarParse, HeaderFields) {
  std::string block = encode_tar_header({"dir/file.txt", '0', 0640, 1234, 1'600'000'000});
  ASSERT_EQ(block.size(), kTarBlock);
  auto m = parse_tar_header(block);
  ASSERT_TRUE(m) << m.status().to_string();
  EXPECT_EQ(m->name, "dir/file.txt");
  EXPECT_EQ(m->type, '0');
  EXPECT_EQ(m->mode, 0640U);
  EXPECT_EQ(m->size, 1234U);
  EXPECT_EQ(m->mtime.tv_sec, 1'600'000'000);
  EXPECT_EQ(m->mtime.tv_nsec, 0);

  block.replace(100, 8, std::string("0104755\0", 8));  // S_IFREG | 04755
  EXPECT_EQ(parse_tar_header(block)->mode, 04755U);    // permission bits only
}

TEST(TarParse, HeaderPrefixOnlyWithPosixMagic) {
  std::string block = served_block("name");
  block.replace(345, 3, "pre");
  EXPECT_EQ(parse_tar_header(block)->name, "pre/name");
  // GNU's "ustar  \0" keeps other things where the prefix would be.
  block.replace(257, 8, std::string("ustar  \0", 8));
  EXPECT_EQ(parse_tar_header(block)->name, "name");
}

TEST(TarParse, HeaderNumbersBase256AndMalformed) {
  std::string block = served_block("big");
  block.replace(124, 12, base256(0x80, bytes({0x02, 0, 0, 0, 0}), '\0'));
  block.replace(136, 12, std::string(12, '\xff'));
  auto m = parse_tar_header(block);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->size, uint64_t{8} << 30);
  EXPECT_EQ(m->mtime.tv_sec, -1);

  block.replace(124, 12, std::string(12, '\xff'));  // a negative size
  EXPECT_EQ(parse_tar_header(block).status().code(), Code::kInvalid);
  block = served_block("bad mode");
  block.replace(100, 8, "0644zzz");
  EXPECT_EQ(parse_tar_header(block).status().code(), Code::kInvalid);
}

TEST(TarParse, PaxRecords) {
  TarOverrides o;
  std::string records = pax_record("path", "dir/a=b\nc") + pax_record("size", "8589934592") +
                        pax_record("mtime", "1234567890.5") + pax_record("uid", "1000") +
                        pax_record("GNU.sparse.name", "x");
  ASSERT_TRUE(parse_pax(records, o));
  EXPECT_EQ(o.path, "dir/a=b\nc");  // the first '=' ends the key
  EXPECT_EQ(o.size, uint64_t{8} << 30);
  ASSERT_TRUE(o.mtime);
  EXPECT_EQ(o.mtime->tv_sec, 1234567890);
  EXPECT_EQ(o.mtime->tv_nsec, 500000000);
}

TEST(TarParse, PaxUnknownKeysAndNothingAreFine) {
  TarOverrides o;
  EXPECT_TRUE(parse_pax("", o));
  EXPECT_TRUE(parse_pax("30 linkpath=/etc/passwd/x/y/z\n", o));
  EXPECT_TRUE(parse_pax("13 atime=1.5\n", o));
  EXPECT_FALSE(o.path || o.size || o.mtime);
}

TEST(TarParse, PaxMalformedRecords) {
  const char* bad[] = {
      "11 path=abc\n",               // length one short: does not end in '\n'
      "13 path=abc\n",               // length past the end
      "12 path=abc\n20 size=1\n",    // the second record's length past the end
      "2 \n",                        // too short to hold a record
      "0 \n",                        // a zero length
      "x path=abc\n",                // no length
      "99999999999999999999 p=x\n",  // a length beyond 64 bits
      "12\tpath=abc\n",              // no space after the length
      "9 pathab\n",                  // no '='
      "12 size=12x\n",               // a size with a suffix
      "11 size=-1\n",                // a negative size
      "14 mtime=soon\n",             // not a time
  };
  for (const char* records : bad) {
    TarOverrides o;
    EXPECT_EQ(parse_pax(records, o).code(), Code::kInvalid) << records;
  }
}

TEST(TarParse, PaxTimes) {
  auto time = [](std::string_view text) -> std::optional<std::pair<time_t, long>> {
    timespec t{};
    if (!parse_pax_time(text, t)) return std::nullopt;
    return std::pair<time_t, long>{t.tv_sec, t.tv_nsec};
  };
  using T = std::pair<time_t, long>;
  EXPECT_EQ(time("1234567890"), (T{1234567890, 0}));
  EXPECT_EQ(time("1.5"), (T{1, 500000000}));
  EXPECT_EQ(time("1.123456789987"), (T{1, 123456789}));  // beyond nanoseconds: dropped
  EXPECT_EQ(time("-5"), (T{-5, 0}));
  EXPECT_EQ(time("-1.25"), (T{-2, 750000000}));  // 2 s before the epoch plus 0.75 s
  for (const char* bad : {"", "-", "abc", "+1", "1.2x", "1,5", "1e3", ".5"}) {
    EXPECT_EQ(time(bad), std::nullopt) << bad;
  }
}

TEST(TarParse, SafeComponents) {
  EXPECT_EQ(*safe_components("a/b/c"), (Parts{"a", "b", "c"}));
  EXPECT_EQ(*safe_components("./a//b/"), (Parts{"a", "b"}));
  EXPECT_EQ(*safe_components("a/./b"), (Parts{"a", "b"}));
  EXPECT_EQ(*safe_components("...a/..b/..."), (Parts{"...a", "..b", "..."}));
  EXPECT_EQ(*safe_components("./"), Parts{});  // DEST itself
  EXPECT_EQ(*safe_components("."), Parts{});
}

TEST(TarParse, SafeComponentsRefusesEscapes) {
  auto why = [](const std::string& name) { return safe_components(name).status().to_string(); };
  for (const char* name : {"..", "../x", "a/../b", "a/..", "./../x", "a/b/../../.."}) {
    EXPECT_NE(why(name).find("'..'"), std::string::npos) << name;
  }
  EXPECT_NE(why("/etc/passwd").find("absolute"), std::string::npos);
  EXPECT_NE(why("/").find("absolute"), std::string::npos);
  EXPECT_NE(why("").find("empty"), std::string::npos);
  EXPECT_NE(why(std::string("a\0b", 3)).find("NUL"), std::string::npos);
}

TEST(TarParse, JoinComponents) {
  const Parts parts{"a", "b", "c"};
  EXPECT_EQ(join_components(parts, 0), "");
  EXPECT_EQ(join_components(parts, 2), "a/b");
  EXPECT_EQ(join_components(parts, 3), "a/b/c");
}

TEST(TarParse, Kinds) {
  auto kind = [](char type, const std::string& name) { return tar_kind({name, type}); };
  EXPECT_EQ(kind('0', "f"), TarKind::kFile);
  EXPECT_EQ(kind('\0', "f"), TarKind::kFile);
  EXPECT_EQ(kind('7', "f"), TarKind::kFile);
  EXPECT_EQ(kind('0', "d/"), TarKind::kDirectory);  // pre-POSIX directories
  EXPECT_EQ(kind('5', "d"), TarKind::kDirectory);
  // Symlinks: the extractor decides (kept only for zcp's sync, inside the tree).
  EXPECT_EQ(kind('2', "l"), TarKind::kSymlink);
  for (char type : {'1', '3', '4', '6', 'x', 'g', 'L', 'K', 'S'}) {
    EXPECT_EQ(kind(type, "other"), TarKind::kSkip) << type;
  }
}

}  // namespace
}  // namespace zcp
