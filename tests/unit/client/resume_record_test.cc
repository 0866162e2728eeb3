// ResumeRecord: the text round-trips, malformed or overlapping records are
// refused, missing() is the complement of what landed, and the attribute
// on a real file holds what was persisted and no more.
#include "zcp/client/resume_record.h"

#include <fcntl.h>
#include <unistd.h>

#include "support/test_support.h"

namespace zcp {
namespace {

TEST(ResumeRecordText, RoundTrips) {
  ResumeRecordText t{1000, "\"abc\"", {{0, 10}, {500, 600}}};
  auto back = parse_resume_record(format_resume_record(t));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->size, 1000u);
  EXPECT_EQ(back->validator, "\"abc\"");
  ASSERT_EQ(back->have.size(), 2u);
  EXPECT_EQ(back->have[1].first, 500u);
  EXPECT_EQ(back->have[1].end, 600u);
}

TEST(ResumeRecordText, RefusesWhatIsNotOurs) {
  for (const char* bad : {"", "zcp-resume 2\nsize 1\nvalidator \nhave\n",
                          "zcp-resume 1\nsize 10\nvalidator x\nhave 0-11\n",   // past the end
                          "zcp-resume 1\nsize 10\nvalidator x\nhave 0-5 4-6\n",  // overlapping
                          "zcp-resume 1\nsize 10\nvalidator x\nhave 5-5\n",    // empty
                          "zcp-resume 1\nsize x\nvalidator x\nhave\n"}) {
    EXPECT_FALSE(parse_resume_record(bad).has_value()) << bad;
  }
}

class ResumeRecordTest : public test::FdLeakCheck {
 protected:
  test::TempDir dir_;
};

TEST_F(ResumeRecordTest, MissingIsTheComplementAndPersistClaimsOnlyWhatLanded) {
  auto fd = open_file(dir_.file("x.part"), O_RDWR | O_CREAT, 0644);
  ASSERT_TRUE(fd.is_ok());
  {
    ResumeRecord r(fd->get(), 100, "v", false);
    size_t a = r.start(0), b = r.start(50);
    r.advance(a, 20);
    r.advance(b, 30);
    EXPECT_EQ(r.kept(), 50u);
    auto m = r.missing();
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].first, 20u);
    EXPECT_EQ(m[0].end, 50u);
    EXPECT_EQ(m[1].first, 80u);
    EXPECT_EQ(m[1].end, 100u);
    Status s = r.persist();
    if (!r.persistent()) GTEST_SKIP() << "no user xattrs here";
    ASSERT_TRUE(s.is_ok()) << s.to_string();
    r.advance(a, 25);  // within 50 ms: may or may not persist; never more than 25
  }
  auto loaded = ResumeRecord::load(fd->get(), false);
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->size(), 100u);
  EXPECT_EQ(loaded->validator(), "v");
  EXPECT_GE(loaded->kept(), 50u);
  EXPECT_LE(loaded->kept(), 55u);
  ResumeRecord::erase(fd->get());
  EXPECT_EQ(ResumeRecord::load(fd->get(), false), nullptr);
}

}  // namespace
}  // namespace zcp
