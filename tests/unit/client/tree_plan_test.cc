// The sync plan: rsync's quick check, --checksum, type changes, --delete
// taking only top-most extras, metadata-only fixes.
#include "zcp/client/tree_plan.h"

#include <gtest/gtest.h>

namespace zcp {
namespace {

ManifestEntry file(std::string path, uint64_t size, int64_t mtime, uint32_t mode = 0644) {
  ManifestEntry e;
  e.type = 'f';
  e.path = std::move(path);
  e.size = size;
  e.mtime = mtime;
  e.mode = mode;
  return e;
}
ManifestEntry dir(std::string path) {
  ManifestEntry e;
  e.type = 'd';
  e.path = std::move(path);
  e.mode = 0755;
  return e;
}
ManifestIndex index_of(const std::vector<ManifestEntry>& v) {
  ManifestIndex i;
  for (const auto& e : v) i.emplace(e.path, e);
  return i;
}
ShaOf no_sha = [](const ManifestEntry& e, bool) -> Result<std::string> { return e.path; };

TEST(TreePlan, QuickCheckTransfersOnlyChangedFiles) {
  std::vector<ManifestEntry> src = {dir("d"), file("d/same", 10, 5), file("d/size", 11, 5),
                                    file("d/time", 10, 6), file("d/new", 1, 1), file("d/mode", 3, 3, 0600)};
  auto dst = index_of({dir("d"), file("d/same", 10, 5), file("d/size", 10, 5), file("d/time", 10, 5),
                       file("d/mode", 3, 3, 0644)});
  auto plan = plan_sync(src, dst, false, false, no_sha);
  ASSERT_TRUE(plan.is_ok());
  std::vector<std::string> sent;
  for (const auto& e : plan->transfer) sent.push_back(e.path);
  EXPECT_EQ(sent, (std::vector<std::string>{"d/size", "d/time", "d/new"}));
  EXPECT_EQ(plan->skipped, 2u);
  ASSERT_EQ(plan->touch.size(), 1u);
  EXPECT_EQ(plan->touch[0].path, "d/mode");
  EXPECT_EQ(plan->bytes, 11u + 10u + 1u);
}

TEST(TreePlan, ChecksumComparesEqualSizes) {
  std::vector<ManifestEntry> src = {file("a", 4, 1), file("b", 4, 1)};
  auto dst = index_of({file("a", 4, 1), file("b", 4, 1)});
  ShaOf sha = [](const ManifestEntry& e, bool source) -> Result<std::string> {
    return (e.path == "b" && source) ? std::string("new") : std::string("old");
  };
  auto plan = plan_sync(src, dst, true, false, sha);
  ASSERT_TRUE(plan.is_ok());
  ASSERT_EQ(plan->transfer.size(), 1u);
  EXPECT_EQ(plan->transfer[0].path, "b");
}

TEST(TreePlan, TypeChangesReplaceAndDeleteTakesTopMost) {
  std::vector<ManifestEntry> src = {file("was-dir", 1, 1), dir("was-file"), file("was-file/x", 1, 1)};
  auto dst = index_of({dir("was-dir"), file("was-dir/inner", 1, 1), file("was-file", 1, 1),
                       dir("extra"), file("extra/a", 1, 1), file("extra/b", 1, 1), file("lone", 1, 1)});
  auto plan = plan_sync(src, dst, false, true, no_sha);
  ASSERT_TRUE(plan.is_ok());
  EXPECT_EQ(plan->replace, (std::vector<std::string>{"was-dir", "was-file"}));
  EXPECT_EQ(plan->remove, (std::vector<std::string>{"extra", "lone", "was-dir/inner"}));
  EXPECT_EQ(plan->transfer.size(), 2u);
}

// Without --delete a directory holding files does not give way to a file
// (its files would go with it, as rsync refuses); an empty one does.
TEST(TreePlan, FullDirectoryGivesWayToAFileOnlyWithDelete) {
  std::vector<ManifestEntry> src = {file("x", 1, 1)};
  auto full = index_of({dir("x"), file("x/mine", 1, 1)});
  auto refused = plan_sync(src, full, false, false, no_sha);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().to_string().find("not replaced without --delete"), std::string::npos)
      << refused.status().to_string();
  EXPECT_NE(refused.status().to_string().find("x"), std::string::npos);
  auto deleting = plan_sync(src, full, false, true, no_sha);
  ASSERT_TRUE(deleting.is_ok());
  EXPECT_EQ(deleting->replace, std::vector<std::string>{"x"});
  auto empty = plan_sync(src, index_of({dir("x")}), false, false, no_sha);
  ASSERT_TRUE(empty.is_ok());
  EXPECT_EQ(empty->replace, std::vector<std::string>{"x"});
}

// 'o' (a link out on the server): a file of ours replaces it, --delete
// removes it; in a source it is nothing to send.
TEST(TreePlan, OthersAreReplacedOrDeletedNeverSent) {
  ManifestEntry other;
  other.type = 'o';
  other.path = "link-out";
  ManifestEntry gone = other;
  gone.path = "stale-out";
  auto plan = plan_sync({file("link-out", 3, 3)}, index_of({other, gone}), false, true, no_sha);
  ASSERT_TRUE(plan.is_ok());
  EXPECT_EQ(plan->replace, std::vector<std::string>{"link-out"});
  ASSERT_EQ(plan->transfer.size(), 1u);
  EXPECT_EQ(plan->remove, std::vector<std::string>{"stale-out"});
  auto pull = plan_sync({other}, {}, false, true, no_sha);
  ASSERT_TRUE(pull.is_ok());
  EXPECT_TRUE(pull->transfer.empty());
  EXPECT_EQ(pull->files_total, 0u);
}

TEST(TreePlan, EncodePathKeepsSlashes) {
  EXPECT_EQ(encode_path("a b/c+d%\n"), "a%20b/c%2Bd%25%0A");
}

}  // namespace
}  // namespace zcp
