#include "zcp/http/digest.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "support/test_support.h"

namespace zcp {
namespace {

class DigestTest : public test::FdLeakCheck {};

std::string hex(const std::string& raw) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// OpenSSL's one-shot digest: the reference the streaming code must match.
std::string reference_sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), md, &size, EVP_sha256(), nullptr), 1);
  return std::string(reinterpret_cast<const char*>(md), size);
}

// The hex digest coreutils' sha256sum prints for `path`.
std::string sha256sum_hex(const std::string& path) {
  FILE* pipe = ::popen(("sha256sum '" + path + "'").c_str(), "r");
  if (pipe == nullptr) return "popen failed";
  char line[256] = {};
  const bool got = std::fgets(line, sizeof(line), pipe) != nullptr;
  ::pclose(pipe);
  return got ? std::string(line).substr(0, 64) : "no output";
}

struct stat stat_of(int fd) {
  struct stat st {};
  EXPECT_EQ(::fstat(fd, &st), 0);
  return st;
}

// The file's digest as sha256_file sees it, via a fresh file at `path`.
std::string file_digest(const std::string& path, const std::string& data) {
  test::write_file(path, data);
  UniqueFd fd = test::open_or_die(path, O_RDONLY);
  auto digest = sha256_file(fd.get(), 0, data.size());
  EXPECT_TRUE(digest.is_ok()) << digest.status().to_string();
  return digest ? *digest : std::string();
}

// Polls until the background thread has hashed the file (10 s at most: a
// loaded 2-core CI machine, not the hashing, sets the bound).
std::optional<std::string> wait_for_digest(DigestCache& cache, int fd, const struct stat& st) {
  for (int i = 0; i < 400; ++i) {
    if (auto digest = cache.lookup(fd, st)) return digest;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return std::nullopt;
}

TEST_F(DigestTest, KnownVectors) {
  test::TempDir dir;
  EXPECT_EQ(hex(file_digest(dir.file("empty"), "")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex(file_digest(dir.file("abc"), "abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(DigestTest, MultiBlockFileMatchesSha256sum) {
  test::TempDir dir;
  const std::string path = dir.file("big");
  const std::string digest = file_digest(path, test::pattern_bytes((3 << 20) + 1));
  EXPECT_EQ(hex(digest), sha256sum_hex(path));
}

TEST_F(DigestTest, Subranges) {
  test::TempDir dir;
  const std::string data = test::pattern_bytes((2 << 20) + 100, 11);
  test::write_file(dir.file("f"), data);
  UniqueFd fd = test::open_or_die(dir.file("f"), O_RDONLY);
  const std::pair<uint64_t, uint64_t> ranges[] = {
      {0, 0}, {0, 1}, {5, 100}, {(1 << 20) - 10, (1 << 20) + 20}, {1, data.size() - 1},
      {data.size() - 1, 1}, {data.size(), 0}};
  for (auto [offset, length] : ranges) {
    auto digest = sha256_file(fd.get(), offset, length);
    ASSERT_TRUE(digest.is_ok()) << offset << "+" << length << ": " << digest.status().to_string();
    EXPECT_EQ(hex(*digest), hex(reference_sha256(std::string_view(data).substr(offset, length))))
        << offset << "+" << length;
  }
}

TEST_F(DigestTest, ShortFileIsAnError) {
  test::TempDir dir;
  test::write_file(dir.file("f"), test::pattern_bytes(100));
  UniqueFd fd = test::open_or_die(dir.file("f"), O_RDONLY);
  EXPECT_EQ(sha256_file(fd.get(), 0, 101).status().code(), Code::kShortFile);
  EXPECT_EQ(sha256_file(fd.get(), 100, 1).status().code(), Code::kShortFile);
  EXPECT_EQ(sha256_file(fd.get(), 1000, 1).status().code(), Code::kShortFile);
}

TEST_F(DigestTest, BadDescriptorIsSystemError) {
  auto digest = sha256_file(-1, 0, 1);
  ASSERT_FALSE(digest.is_ok());
  EXPECT_EQ(digest.status().code(), Code::kSystem);
  EXPECT_EQ(digest.status().error_number(), EBADF);
}

TEST_F(DigestTest, ReprDigestValueFormat) {
  EXPECT_EQ(repr_digest_value(reference_sha256("")),
            "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:");
  EXPECT_EQ(repr_digest_value(reference_sha256("abc")),
            "sha-256=:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=:");
}

TEST_F(DigestTest, ParseRoundTrip) {
  for (const char* text : {"", "abc", "zcp"}) {
    const std::string raw = reference_sha256(text);
    auto parsed = parse_repr_digest(repr_digest_value(raw));
    ASSERT_TRUE(parsed.has_value()) << text;
    EXPECT_EQ(hex(*parsed), hex(raw));
  }
}

TEST_F(DigestTest, ParseFindsSha256AmongOtherAlgorithms) {
  const std::string raw = reference_sha256("abc");
  const std::string sha256 = repr_digest_value(raw);
  std::string sha512 = repr_digest_value(test::pattern_bytes(64));
  sha512.replace(0, 7, "sha-512");
  const std::string headers[] = {
      sha512 + ", " + sha256,
      sha256 + ", " + sha512,
      " \t" + sha512 + " ,\t" + sha256 + "  ",
      "md5=:AAAA:;x=\"a, b\", " + sha256 + ";note=1",
      "unixsum=42, sha-256=:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0:",  // unpadded
      "sha-256=:AAAA:, " + sha256,  // a repeated key overrides (RFC 8941)
  };
  for (const std::string& header : headers) {
    auto parsed = parse_repr_digest(header);
    ASSERT_TRUE(parsed.has_value()) << header;
    EXPECT_EQ(hex(*parsed), hex(raw)) << header;
  }
}

TEST_F(DigestTest, ParseRejectsGarbage) {
  const std::string good = repr_digest_value(reference_sha256("abc"));
  const std::string b64 = good.substr(9, good.size() - 10);
  std::string sha512 = good;
  sha512.replace(0, 7, "sha-512");
  const std::string headers[] = {
      "",
      ",,,",
      "garbage",
      sha512,
      "sha-256",
      "sha-256=",
      "sha-256=::",
      "sha-256=" + b64,
      "sha-256=:" + b64,
      "SHA-256=:" + b64 + ":",
      "xsha-256=:" + b64 + ":",
      "sha-256=:" + b64.substr(0, 40) + ":",  // 30 bytes
      "sha-256=:" + b64.substr(0, 43) + "AAAA:",  // too long
      "sha-256=:" + b64.substr(0, 20) + " " + b64.substr(20) + ":",
      "sha-256=:" + b64.substr(0, 20) + "!" + b64.substr(21) + ":",
      "sha-256=:" + b64.substr(0, 20) + "=" + b64.substr(21) + ":",
      good + ", sha-256=:AAAA:",  // the later, malformed value wins
      "sha-256=\"" + b64 + "\"",
  };
  for (const std::string& header : headers) {
    EXPECT_FALSE(parse_repr_digest(header).has_value()) << header;
  }
}

TEST_F(DigestTest, CacheHashesInTheBackground) {
  test::TempDir dir;
  const std::string data = test::pattern_bytes((1 << 20) + 3);
  test::write_file(dir.file("f"), data);
  UniqueFd fd = test::open_or_die(dir.file("f"), O_RDONLY);
  const struct stat st = stat_of(fd.get());
  DigestCache cache;
  EXPECT_FALSE(cache.lookup(fd.get(), st).has_value());
  auto digest = wait_for_digest(cache, fd.get(), st);
  ASSERT_TRUE(digest.has_value());
  EXPECT_EQ(hex(*digest), hex(reference_sha256(data)));
  EXPECT_EQ(::lseek(fd.get(), 0, SEEK_CUR), 0) << "hashing moved the shared file offset";
}

// The queue holds a dup per waiting file: never more than it was given,
// whatever the requests offer (the server counts them in its budget).
TEST_F(DigestTest, QueueHoldsAtMostItsDescriptors) {
  test::TempDir dir;
  const std::string data = test::pattern_bytes(4 << 20);
  std::vector<UniqueFd> files;
  for (int i = 0; i < 12; ++i) {
    std::string path = dir.file("f" + std::to_string(i));
    test::write_file(path, data + std::to_string(i));  // 12 different files
    files.push_back(test::open_or_die(path, O_RDONLY));
  }
  DigestCache cache(2);
  EXPECT_EQ(cache.descriptors(), 3u);
  const int before = count_open_fds();
  for (const UniqueFd& f : files) EXPECT_FALSE(cache.lookup(f.get(), stat_of(f.get())).has_value());
  // Hashing 4 MiB takes milliseconds: this is counted while the first
  // files are still being hashed.
  EXPECT_LE(count_open_fds(), before + static_cast<int>(cache.descriptors()));
}

TEST_F(DigestTest, ModifiedFileGetsNewDigest) {
  test::TempDir dir;
  const std::string before = test::pattern_bytes(4096, 1);
  const std::string after = test::pattern_bytes(4096, 2);
  test::write_file(dir.file("f"), before);
  UniqueFd fd = test::open_or_die(dir.file("f"), O_RDONLY);
  const struct stat old_st = stat_of(fd.get());
  DigestCache cache;
  auto old_digest = wait_for_digest(cache, fd.get(), old_st);
  ASSERT_TRUE(old_digest.has_value());
  EXPECT_EQ(hex(*old_digest), hex(reference_sha256(before)));

  // Same size, new contents, an mtime surely different from the first.
  test::write_file(dir.file("f"), after);
  const struct timespec times[2] = {{0, UTIME_OMIT}, {old_st.st_mtim.tv_sec + 10, 0}};
  ASSERT_EQ(::futimens(fd.get(), times), 0);
  const struct stat new_st = stat_of(fd.get());
  ASSERT_EQ(new_st.st_size, old_st.st_size);

  EXPECT_FALSE(cache.lookup(fd.get(), new_st).has_value()) << "the old digest was served";
  auto new_digest = wait_for_digest(cache, fd.get(), new_st);
  ASSERT_TRUE(new_digest.has_value());
  EXPECT_EQ(hex(*new_digest), hex(reference_sha256(after)));
}

// A stat taken before the file changed must never be paired with a digest
// of what the file holds now.
TEST_F(DigestTest, StaleStatIsNeverStored) {
  test::TempDir dir;
  test::write_file(dir.file("f"), test::pattern_bytes(8192));
  UniqueFd fd = test::open_or_die(dir.file("f"), O_RDONLY);
  const struct stat st = stat_of(fd.get());
  struct stat stale = st;
  stale.st_mtim.tv_sec -= 100;
  DigestCache cache;
  EXPECT_FALSE(cache.lookup(fd.get(), stale).has_value());
  // One worker, first in first out: once the current state is known, the
  // stale one has been hashed and refused.
  ASSERT_TRUE(wait_for_digest(cache, fd.get(), st).has_value());
  EXPECT_FALSE(cache.lookup(fd.get(), stale).has_value());
  EXPECT_EQ(cache.compute_now(fd.get(), stale).code(), Code::kInvalid);
}

TEST_F(DigestTest, ComputeNowStoresAtOnce) {
  test::TempDir dir;
  const std::string data = test::pattern_bytes(5000);
  test::write_file(dir.file("f"), data);
  UniqueFd fd = test::open_or_die(dir.file("f"), O_RDONLY);
  const struct stat st = stat_of(fd.get());
  DigestCache cache;
  const Status status = cache.compute_now(fd.get(), st);
  ASSERT_TRUE(status.is_ok()) << status.to_string();
  auto digest = cache.lookup(fd.get(), st);
  ASSERT_TRUE(digest.has_value());
  EXPECT_EQ(hex(*digest), hex(reference_sha256(data)));
}

TEST_F(DigestTest, NonRegularFileIsNotQueued) {
  auto pipe = make_pipe(65536);
  ASSERT_TRUE(pipe.is_ok());
  const int before = count_open_fds();
  DigestCache cache;
  EXPECT_FALSE(cache.lookup(pipe->read_end.get(), stat_of(pipe->read_end.get())).has_value());
  EXPECT_EQ(count_open_fds(), before);
}

TEST_F(DigestTest, DestructorJoinsWithWorkPending) {
  test::TempDir dir;
  std::vector<UniqueFd> fds;
  for (int i = 0; i < 8; ++i) {
    test::write_file(dir.file(std::to_string(i)), test::pattern_bytes(4 << 20, 1));
    fds.push_back(test::open_or_die(dir.file(std::to_string(i)), O_RDONLY));
  }
  const int before = count_open_fds();
  {
    DigestCache cache;
    for (const UniqueFd& fd : fds) {
      EXPECT_FALSE(cache.lookup(fd.get(), stat_of(fd.get())).has_value());
    }
  }
  EXPECT_EQ(count_open_fds(), before) << "the destroyed cache kept a descriptor";
}

TEST_F(DigestTest, ConcurrentLookupsAgree) {
  test::TempDir dir;
  const std::string data = test::pattern_bytes(300000);
  test::write_file(dir.file("f"), data);
  UniqueFd fd = test::open_or_die(dir.file("f"), O_RDONLY);
  const struct stat st = stat_of(fd.get());
  DigestCache cache;
  std::vector<std::optional<std::string>> got(4);
  std::vector<std::thread> threads;
  for (auto& slot : got) {
    threads.emplace_back([&cache, &fd, &st, &slot] { slot = wait_for_digest(cache, fd.get(), st); });
  }
  for (auto& t : threads) t.join();
  for (const auto& digest : got) {
    ASSERT_TRUE(digest.has_value());
    EXPECT_EQ(hex(*digest), hex(reference_sha256(data)));
  }
}

}  // namespace
}  // namespace zcp
