// The kTLS detection and the choice of a body's path, both ways: the
// choice is a pure function, so the kTLS branches are tested even on a
// kernel without CONFIG_TLS.
#include "zcp/tls/ktls.h"

#include <gtest/gtest.h>

#include <fstream>

namespace zcp {
namespace {

TEST(Ktls, UlpList) {
  EXPECT_TRUE(ulp_list_has_tls("mptcp tls"));
  EXPECT_TRUE(ulp_list_has_tls("tls"));
  EXPECT_FALSE(ulp_list_has_tls("mptcp"));
  EXPECT_FALSE(ulp_list_has_tls("tlsx mptcp"));
  EXPECT_FALSE(ulp_list_has_tls(""));
}

TEST(Ktls, ReceivePath) {
  EXPECT_EQ(choose_recv_path(false, false, true), BodyPath::kSplice);
  EXPECT_EQ(choose_recv_path(false, false, false), BodyPath::kCopy);
  EXPECT_EQ(choose_recv_path(true, false, true), BodyPath::kUserspace);
  EXPECT_EQ(choose_recv_path(true, true, true), BodyPath::kKtls);
  EXPECT_EQ(choose_recv_path(true, true, false), BodyPath::kUserspace);
  EXPECT_STREQ(to_string(BodyPath::kKtls), "ktls");
  EXPECT_STREQ(to_string(BodyPath::kUserspace), "userspace");
}

TEST(Ktls, SendPath) {
  EXPECT_EQ(choose_send_path(false, false, true), BodyPath::kSplice);
  EXPECT_EQ(choose_send_path(false, false, false), BodyPath::kCopy);
  EXPECT_EQ(choose_send_path(true, true, true), BodyPath::kKtls);
  EXPECT_EQ(choose_send_path(true, true, false), BodyPath::kKtls);
  EXPECT_EQ(choose_send_path(true, false, true), BodyPath::kUserspace);
}

// The detection agrees with what /proc says and names what is missing.
TEST(Ktls, DetectionAgreesWithProc) {
  std::ifstream in("/proc/sys/net/ipv4/tcp_available_ulp");
  std::string list;
  std::getline(in, list);
  const KernelTls& k = kernel_tls();
  if (ulp_list_has_tls(list)) {
    EXPECT_TRUE(k.available);
  }
  if (!k.available) {
    EXPECT_NE(k.why_not.find("CONFIG_TLS"), std::string::npos) << k.why_not;
    // The probe did not leave the module loaded behind our back either.
    std::ifstream again("/proc/sys/net/ipv4/tcp_available_ulp");
    std::string after;
    std::getline(again, after);
    EXPECT_FALSE(ulp_list_has_tls(after));
  }
}

}  // namespace
}  // namespace zcp
