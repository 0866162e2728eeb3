#include "support/test_support.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "zcp/bench/random_file.h"

namespace zcp::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/zcp-test-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << tmpl << ": " << std::strerror(errno);
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

SocketPair loopback_pair(bool ipv6) {
  SocketPair pair;
  auto where = ipv6 ? SocketAddress::loopback_v6(0) : SocketAddress::loopback_v4(0);
  auto listener = listen_tcp(where);
  EXPECT_TRUE(listener.is_ok()) << listener.status().to_string();
  if (!listener) return pair;
  auto addr = local_address(listener->get());
  auto client = connect_tcp(*addr);
  EXPECT_TRUE(client.is_ok()) << client.status().to_string();
  auto server = accept_connection(listener->get());
  EXPECT_TRUE(server.is_ok()) << server.status().to_string();
  if (client) pair.client = std::move(*client);
  if (server) pair.server = std::move(*server);
  return pair;
}

std::string pattern_bytes(uint64_t size, uint64_t seed) {
  std::string out(size, '\0');
  uint64_t state[4] = {seed, seed * 3 + 1, seed * 7 + 5, ~seed};
  fill_random(state, out.data(), out.size());
  return out;
}

void write_file(const std::string& path, const std::string& data) {
  UniqueFd fd = open_or_die(path, O_WRONLY | O_CREAT | O_TRUNC);
  ASSERT_EQ(::write(fd.get(), data.data(), data.size()), static_cast<ssize_t>(data.size()));
}

std::string read_file(const std::string& path) {
  UniqueFd fd = open_or_die(path, O_RDONLY);
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd.get(), buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

UniqueFd open_or_die(const std::string& path, int flags) {
  auto fd = open_file(path, flags);
  EXPECT_TRUE(fd.is_ok()) << fd.status().to_string();
  return fd ? std::move(*fd) : UniqueFd();
}

CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) r.output.append(buf, n);
  int status = ::pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

RunningServer::RunningServer(ServerConfig config) {
  auto s = Server::create(std::move(config));
  EXPECT_TRUE(s.is_ok()) << s.status().to_string();
  if (!s) return;
  server_ = std::move(*s);
  thread_ = std::thread([this] { run_status_ = server_->run(); });
}

RunningServer::~RunningServer() {
  if (!server_) return;
  server_->stop();
  thread_.join();
  EXPECT_TRUE(run_status_.is_ok()) << run_status_.to_string();
}

std::string engine_param_name(const ::testing::TestParamInfo<const char*>& info) {
  std::string name = info.param;
  for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

::testing::AssertionResult same_bytes(const std::string& got, const std::string& want) {
  size_t n = std::min(got.size(), want.size());
  size_t i = 0;
  while (i < n && got[i] == want[i]) ++i;
  if (i == n && got.size() == want.size()) return ::testing::AssertionSuccess();
  auto out = ::testing::AssertionFailure();
  out << "got " << got.size() << " bytes, want " << want.size();
  if (i < n) out << "; first difference at byte " << i;
  return out;
}

SmallTmpfs::SmallTmpfs(const std::string& size) {
  std::string opts = "size=" + size + ",mode=0755";
  if (::mount("zcp-test", dir_.path().c_str(), "tmpfs", 0, opts.c_str()) == 0) {
    mounted_ = true;
  } else {
    why_ = std::string("cannot mount a tmpfs (needs root): ") + std::strerror(errno);
  }
}

SmallTmpfs::~SmallTmpfs() {
  if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
}

Drainer::Drainer(int fd, uint64_t limit)
    : data_(), thread_([this, fd, limit] {
        char buf[65536];
        while (data_.size() < limit) {
          ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0) break;
          data_.append(buf, static_cast<size_t>(n));
        }
      }) {}

Drainer::~Drainer() {
  if (thread_.joinable()) thread_.join();
}

std::string Drainer::take() {
  if (thread_.joinable()) thread_.join();
  return std::move(data_);
}

}  // namespace zcp::test
