// Shared helpers for zcp's tests: temp dirs, loopback socket pairs, files
// with known contents, and a check that a test leaked no descriptor.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <thread>

#include "zcp/base/socket.h"
#include "zcp/fd.h"
#include "zcp/server.h"

namespace zcp::test {

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Two ends of one real TCP connection over 127.0.0.1 (or [::1]).
struct SocketPair {
  UniqueFd client;
  UniqueFd server;
};
SocketPair loopback_pair(bool ipv6 = false);

// Bytes of a deterministic pattern: byte i of a stream seeded `seed`.
std::string pattern_bytes(uint64_t size, uint64_t seed = 7);
void write_file(const std::string& path, const std::string& data);
std::string read_file(const std::string& path);
UniqueFd open_or_die(const std::string& path, int flags);

// Compares two byte strings; on a mismatch says where, not the whole blob.
::testing::AssertionResult same_bytes(const std::string& got, const std::string& want);

// A small tmpfs mounted at a fresh directory, for disk-full tests. Needs
// root (CAP_SYS_ADMIN); `mounted()` is false and `why()` says why otherwise.
class SmallTmpfs {
 public:
  explicit SmallTmpfs(const std::string& size);
  ~SmallTmpfs();
  bool mounted() const { return mounted_; }
  const std::string& why() const { return why_; }
  std::string file(const std::string& name) const { return dir_.file(name); }

 private:
  TempDir dir_;
  bool mounted_ = false;
  std::string why_;
};

// Runs `command` with /bin/sh; its stdout and stderr, and its exit code.
struct CommandResult {
  int code = -1;
  std::string output;
};
CommandResult run_command(const std::string& command);
// 'text' quoted for the shell, whatever it contains.
std::string shell_quote(const std::string& text);

// Reads from `fd` until EOF (or error) on another thread.
class Drainer {
 public:
  explicit Drainer(int fd, uint64_t limit = UINT64_MAX);
  ~Drainer();
  // Joins and returns what was read.
  std::string take();

 private:
  std::string data_;  // before thread_: the thread writes it from the start
  std::thread thread_;
};

// "copy:1M" -> "copy_1M": engine specs as gtest parameter names.
std::string engine_param_name(const ::testing::TestParamInfo<const char*>& info);

// A zcp::Server running on its own thread; stopped and joined (and its
// run() checked) on destruction.
class RunningServer {
 public:
  explicit RunningServer(ServerConfig config);
  ~RunningServer();
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;
  bool ok() const { return server_ != nullptr; }
  const SocketAddress& address() const { return server_->address(); }
  const Server& server() const { return *server_; }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
  Status run_status_;
};

// Fails the test when it ends with more descriptors open than it began.
class FdLeakCheck : public ::testing::Test {
 protected:
  void SetUp() override { fds_before_ = count_open_fds(); }
  void TearDown() override { EXPECT_EQ(count_open_fds(), fds_before_) << "descriptor leak"; }

 private:
  int fds_before_ = 0;
};

}  // namespace zcp::test
