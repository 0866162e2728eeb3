#include "zcp/server/mime.h"

#include <unistd.h>

#include "support/test_support.h"

namespace zcp {
namespace {

constexpr const char* kSystemFile = "/etc/mime.types";

class MimeTest : public test::FdLeakCheck {
 protected:
  void SetUp() override {
    test::FdLeakCheck::SetUp();
    if (::access(kSystemFile, R_OK) != 0) GTEST_SKIP() << kSystemFile << " missing (media-types)";
  }
};

TEST_F(MimeTest, LoadsTheSystemFile) {
  MimeTypes types = MimeTypes::load();
  EXPECT_GT(types.size(), 500U);  // Debian 12's media-types lists ~1,900
}

TEST_F(MimeTest, TextTypesGetCharset) {
  MimeTypes types = MimeTypes::load();
  EXPECT_EQ(types.lookup("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(types.lookup("notes.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(types.lookup("style.css"), "text/css; charset=utf-8");
}

TEST_F(MimeTest, OtherTypesDoNot) {
  MimeTypes types = MimeTypes::load();
  EXPECT_EQ(types.lookup("a.png"), "image/png");
  EXPECT_EQ(types.lookup("a.json"), "application/json");
  EXPECT_EQ(types.lookup("photo.jpg"), "image/jpeg");
}

TEST_F(MimeTest, UsesTheLastExtensionCaseInsensitively) {
  MimeTypes types = MimeTypes::load();
  EXPECT_EQ(types.lookup("backup.tar.gz"), "application/gzip");  // /etc/mime.types: gz
  EXPECT_EQ(types.lookup("INDEX.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(types.lookup("docs/sub.dir/Image.PnG"), "image/png");
}

TEST_F(MimeTest, UnknownIsOctetStream) {
  MimeTypes types = MimeTypes::load();
  EXPECT_EQ(types.lookup("data.zcpunknown"), "application/octet-stream");
  EXPECT_EQ(types.lookup("Makefile"), "application/octet-stream");
  EXPECT_EQ(types.lookup("trailing."), "application/octet-stream");
  EXPECT_EQ(types.lookup("a.html/noext"), "application/octet-stream");  // dot in a directory
  EXPECT_EQ(types.lookup(".png"), "application/octet-stream");  // a dotfile, not an extension
  EXPECT_EQ(types.lookup(""), "application/octet-stream");
}

TEST(MimeBuiltIns, MissingFileKeepsBuiltIns) {
  MimeTypes types = MimeTypes::load("/nonexistent/zcp/mime.types");
  EXPECT_GT(types.size(), 0U);
  EXPECT_LT(types.size(), 20U);
  EXPECT_EQ(types.lookup("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(types.lookup("a.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(types.lookup("a.json"), "application/json");
  EXPECT_EQ(types.lookup("a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(types.lookup("a.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(types.lookup("a.png"), "image/png");
  EXPECT_EQ(types.lookup("a.jpg"), "image/jpeg");
  EXPECT_EQ(types.lookup("a.gz"), "application/octet-stream");
}

TEST(MimeFile, ParsesCommentsBlankLinesAndCase) {
  test::TempDir dir;
  test::write_file(dir.file("mime.types"),
                   "# a comment line\n"
                   "\n"
                   "application/x-zcp\t\tzcp ZCQ   # trailing comment\n"
                   "text/x-zcp-note zno\n"
                   "application/x-no-extensions\n"
                   "# text/x-commented zcm\n"
                   "image/png png\n"
                   "image/x-second png\n");
  MimeTypes types = MimeTypes::load(dir.file("mime.types"));
  EXPECT_EQ(types.lookup("a.zcp"), "application/x-zcp");
  EXPECT_EQ(types.lookup("a.zcq"), "application/x-zcp");
  EXPECT_EQ(types.lookup("a.zno"), "text/x-zcp-note; charset=utf-8");
  EXPECT_EQ(types.lookup("a.zcm"), "application/octet-stream");
  EXPECT_EQ(types.lookup("a.png"), "image/png");                  // the first mention wins
  EXPECT_EQ(types.lookup("a.html"), "text/html; charset=utf-8");  // built-in fills the gap
}

}  // namespace
}  // namespace zcp
