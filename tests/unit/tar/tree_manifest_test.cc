// The tree sync's manifest lines both ways (any byte in a name survives,
// nothing unsafe parses), the lexical "stays inside" rule for links, the
// no-follow walker on a real tree, and remove_entry_at never leaving DEST.
#include "zcp/tar/tree_manifest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>

#include "support/test_support.h"

namespace zcp {
namespace {

using test::TempDir;

TEST(TreeManifest, LinesRoundTripAnyName) {
  ManifestEntry f;
  f.type = 'f';
  f.mode = 0640;
  f.mtime = 1700000000;
  f.size = 4096;
  f.sha256 = std::string(32, '\xab');
  f.path = "dir with space/new\nline %41 \xff-ü";
  std::string line = format_manifest_line(f);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "a name must not split the line";
  auto back = parse_manifest_line(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->path, f.path);
  EXPECT_EQ(back->mode, 0640u);
  EXPECT_EQ(back->size, 4096u);
  EXPECT_EQ(back->mtime, 1700000000);
  EXPECT_EQ(back->sha256, f.sha256);

  ManifestEntry l;
  l.type = 'l';
  l.mtime = 5;
  l.path = "sub/link";
  l.target = "../a b";
  line = format_manifest_line(l);
  auto lb = parse_manifest_line(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(lb.is_ok()) << lb.status().to_string();
  EXPECT_EQ(lb->target, "../a b");
}

TEST(TreeManifest, RefusesUnsafeOrMalformedLines) {
  for (const char* bad : {"f 644 0 1 - ../x", "f 644 0 1 - /etc/passwd", "f 644 0 1 - a/../b",
                          "f 644 0 1 - a//b", "f 644 0 1 - ./a", "f 644 0 1 - a%00b", "f 644 0 1 - a%2",
                          "f 644 0 1 - a%zzb", "f 644 0 -1 - a", "f 99999 0 1 - a", "f 644 x 1 - a",
                          "f 644 0 1 abc a", "d 755 0", "l 0 evil /etc", "l 0 a/evil ../..",
                          "q 0 0 a", "", "f 644 0 1 - a b"}) {
    EXPECT_FALSE(parse_manifest_line(bad).is_ok()) << bad;
  }
}

TEST(TreeManifest, LinksStayInsideByText) {
  EXPECT_TRUE(link_stays_inside("a", "b"));
  EXPECT_TRUE(link_stays_inside("sub/a", "../b"));
  EXPECT_TRUE(link_stays_inside("sub/a", "./x/../../b"));
  EXPECT_FALSE(link_stays_inside("a", "../b"));
  EXPECT_FALSE(link_stays_inside("sub/a", "../../b"));
  EXPECT_FALSE(link_stays_inside("a", "/etc"));
  EXPECT_FALSE(link_stays_inside("a", ""));
}

TEST(TreeManifest, WalkerListsTreeWithoutFollowingLinks) {
  TempDir dir;
  const std::string top = dir.path();
  ASSERT_EQ(::mkdir((top + "/d").c_str(), 0755), 0);
  std::ofstream(top + "/d/f") << "hello";
  std::ofstream(top + "/.hidden") << "x";
  ASSERT_EQ(::symlink("d/f", (top + "/in").c_str()), 0);
  ASSERT_EQ(::symlink("/etc", (top + "/out").c_str()), 0);
  ASSERT_EQ(::mkfifo((top + "/fifo").c_str(), 0644), 0);
  auto root = open_file(top, O_PATH | O_DIRECTORY);
  ASSERT_TRUE(root.is_ok());
  auto w = TreeWalker::open(root->get(), ".", WalkOptions{});
  ASSERT_TRUE(w.is_ok()) << w.status().to_string();
  std::vector<std::string> seen;
  for (;;) {
    auto e = w->next();
    ASSERT_TRUE(e.is_ok()) << e.status().to_string();
    if (!*e) break;
    seen.push_back(std::string(1, (*e)->type) + " " + (*e)->path);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"d d", "f d/f", "l in"}));
}

// others: links out and a FIFO named as 'o' (no target, no mode), and the
// line round-trips without one.
TEST(TreeManifest, WalkerNamesOthersWithoutTheirTargets) {
  TempDir dir;
  const std::string top = dir.path();
  std::ofstream(top + "/f") << "hello";
  ASSERT_EQ(::symlink("/etc", (top + "/out").c_str()), 0);
  ASSERT_EQ(::mkfifo((top + "/fifo").c_str(), 0644), 0);
  auto root = open_file(top, O_PATH | O_DIRECTORY);
  ASSERT_TRUE(root.is_ok());
  WalkOptions o;
  o.others = true;
  auto w = TreeWalker::open(root->get(), ".", o);
  ASSERT_TRUE(w.is_ok()) << w.status().to_string();
  std::vector<std::string> lines;
  for (;;) {
    auto e = w->next();
    ASSERT_TRUE(e.is_ok()) << e.status().to_string();
    if (!*e) break;
    lines.push_back(format_manifest_line(**e));
  }
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1].substr(0, 2), "o ");
  EXPECT_EQ(lines[2].substr(0, 2), "o ");
  for (const std::string& l : lines) EXPECT_EQ(l.find("etc"), std::string::npos) << l;
  auto back = parse_manifest_line(std::string_view(lines[2]).substr(0, lines[2].size() - 1));
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->type, 'o');
  EXPECT_EQ(back->path, "out");
  EXPECT_TRUE(back->target.empty());
  EXPECT_FALSE(parse_manifest_line("o 0 ../x").is_ok());
  EXPECT_FALSE(parse_manifest_line("o 0 a b").is_ok());
}

TEST(TreeManifest, RemoveEntryNeverFollowsLinks) {
  TempDir dir;
  const std::string top = dir.path();
  ASSERT_EQ(::mkdir((top + "/outside").c_str(), 0755), 0);
  std::ofstream(top + "/outside/precious") << "keep";
  ASSERT_EQ(::mkdir((top + "/dest").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((top + "/dest/tree").c_str(), 0755), 0);
  std::ofstream(top + "/dest/tree/a") << "a";
  ASSERT_EQ(::symlink((top + "/outside").c_str(), (top + "/dest/tree/link").c_str()), 0);
  auto d = open_file(top + "/dest", O_RDONLY | O_DIRECTORY);
  ASSERT_TRUE(d.is_ok());
  auto removed = remove_entry_at(d->get(), "tree", "tree");
  ASSERT_TRUE(removed.is_ok()) << removed.status().to_string();
  EXPECT_EQ(*removed, 3u);
  EXPECT_EQ(::access((top + "/dest/tree").c_str(), F_OK), -1);
  EXPECT_EQ(::access((top + "/outside/precious").c_str(), F_OK), 0);
}

}  // namespace
}  // namespace zcp
