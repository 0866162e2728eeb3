#include "zcp/status.h"

#include <gtest/gtest.h>

namespace zcp {
namespace {

TEST(Status, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.is_ok());
  EXPECT_EQ(s.to_string(), "ok");
}

TEST(Status, ReadsLikeTheFailingCall) {
  Status s = Status::from_errno("sendfile", EPIPE).at("/srv/a.bin -> 127.0.0.1:5123");
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(s.to_string(), "sendfile /srv/a.bin -> 127.0.0.1:5123: Broken pipe");
  EXPECT_TRUE(s.retryable());
}

TEST(Status, EagainIsWouldBlock) {
  EXPECT_TRUE(Status::from_errno("send", EAGAIN).would_block());
}

TEST(Status, MessageAndErrno) {
  Status s(Code::kSystem, "open", "cannot create", ENOSPC);
  EXPECT_EQ(s.at("/x").to_string(), "open /x: cannot create: No space left on device");
  EXPECT_FALSE(s.retryable());
  EXPECT_EQ(Status::invalid("bad size").to_string(), "bad size");
}

TEST(Result, HoldsValueOrStatus) {
  Result<int> ok = 5;
  ASSERT_TRUE(ok.is_ok());
  EXPECT_EQ(*ok, 5);
  EXPECT_TRUE(ok.status().is_ok());
  Result<int> bad = Status::invalid("nope");
  EXPECT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalid);
}

}  // namespace
}  // namespace zcp
