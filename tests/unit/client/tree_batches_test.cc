// plan_batches: every file in exactly one batch, in order, no target over
// the limit, a path too long for any batch alone with an empty target.
#include "zcp/client/tree_batches.h"

#include <gtest/gtest.h>

namespace zcp {
namespace {

std::vector<const ManifestEntry*> pointers(const std::vector<ManifestEntry>& v) {
  std::vector<const ManifestEntry*> out;
  for (const ManifestEntry& e : v) out.push_back(&e);
  return out;
}

ManifestEntry file(std::string path) {
  ManifestEntry e;
  e.type = 'f';
  e.path = std::move(path);
  return e;
}

TEST(TreeBatches, SplitsAtTheLimitAndKeepsOrder) {
  std::vector<ManifestEntry> files;
  for (int i = 0; i < 1000; ++i) files.push_back(file("d" + std::to_string(i % 10) + "/f " + std::to_string(i)));
  const auto batches = plan_batches("/tree/", pointers(files), 8192);
  ASSERT_GT(batches.size(), 1u);
  size_t next = 0;
  for (const Batch& b : batches) {
    EXPECT_EQ(b.from, next);
    EXPECT_GT(b.to, b.from);
    EXPECT_LE(b.target.size(), 8192u);
    EXPECT_EQ(b.target.rfind("/tree/?format=tar&links=keep&only=", 0), 0u) << b.target;
    // One only= per file, encoded ("f 1" -> "f%201"), in order.
    std::string want = "/tree/?format=tar&links=keep";
    for (size_t i = b.from; i < b.to; ++i) {
      std::string p = files[i].path;
      want += "&only=" + p.replace(p.find(' '), 1, "%20");
    }
    EXPECT_EQ(b.target, want);
    next = b.to;
  }
  EXPECT_EQ(next, files.size());
  // Full batches: the next path would not have fitted.
  for (size_t i = 0; i + 1 < batches.size(); ++i) {
    EXPECT_GT(batches[i].target.size() + 6 + files[batches[i].to].path.size() + 2, 8192u);
  }
}

TEST(TreeBatches, APathTooLongForAnyBatchIsAlone) {
  std::vector<ManifestEntry> files{file("a"), file(std::string(300, 'x')), file("b"), file("c")};
  const auto batches = plan_batches("/", pointers(files), 200);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].target, "/?format=tar&links=keep&only=a");
  EXPECT_EQ(batches[1].target, "");
  EXPECT_EQ(batches[1].from, 1u);
  EXPECT_EQ(batches[1].to, 2u);
  EXPECT_EQ(batches[2].target, "/?format=tar&links=keep&only=b&only=c");
  EXPECT_TRUE(plan_batches("/", {}, 200).empty());
}

}  // namespace
}  // namespace zcp
