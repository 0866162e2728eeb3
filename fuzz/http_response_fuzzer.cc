// Plays the fuzz input as a server's whole answer over a real loopback
// connection (HttpClient has no in-memory constructor): the client reads
// the head, then the body into a file or, for application/x-tar, through
// extract_tar into a scratch directory that is wiped every run and checked
// for anything written beside DEST. A keep-alive answer may be followed by
// more responses on the same connection.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>

#include "zcp/fd.h"
#include "zcp/http/body_reader.h"
#include "zcp/http/http_client.h"
#include "zcp/recv_engine.h"
#include "zcp/tar/tar_extract.h"

namespace fs = std::filesystem;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// One listener and one scratch directory per process. DEST sits three
// levels down, so a "../" escape of up to three levels lands inside
// `scratch` where the check after each run sees it.
struct Fixture {
  zcp::UniqueFd listener;
  zcp::Url url;
  fs::path scratch, dest, body_file;

  Fixture() {
    listener.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    check(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), len) == 0);
    check(::listen(listener.get(), 16) == 0);
    check(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    url = *zcp::parse_url("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/");
    std::string tmpl = (fs::temp_directory_path() / "zcp-fuzz-response-XXXXXX").string();
    check(::mkdtemp(tmpl.data()) != nullptr);
    scratch = tmpl;
    dest = scratch / "a" / "b" / "dest";
    body_file = scratch / "a" / "body";
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(scratch, ec);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

// Only a/, a/body, a/b/ and whatever lies beneath a/b/dest may exist, and
// nothing beneath DEST may be a symlink (extract_tar makes none).
void check_nothing_escaped(const Fixture& f) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(f.scratch, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const fs::path& p = it->path();
    std::string rel = p.lexically_relative(f.scratch).string();
    bool beneath = rel.rfind("a/b/dest/", 0) == 0;
    check(rel == "a" || rel == "a/body" || rel == "a/b" || rel == "a/b/dest" || beneath);
    check(!it->is_symlink());
  }
}

// The head and body of one response; false when the connection cannot go on.
bool read_response(zcp::HttpClient& client, const Fixture& f, uint32_t hash) {
  const bool head_request = hash % 5 == 0;
  auto head = client.read_head(head_request);
  if (!head) return false;
  check(head->status <= 999);
  zcp::BodyReader body = client.body(*head, head_request);
  auto engine = hash % 2 ? zcp::make_splice_receiver(64 << 10) : zcp::make_copy_receiver(4096);
  auto type = head->header("Content-Type");
  if (type && *type == "application/x-tar") {
    (void)zcp::extract_tar(body, f.dest.string(), *engine, nullptr);
  } else {
    auto file = zcp::open_file(f.body_file.string(), O_RDWR | O_CREAT | O_TRUNC);
    check(static_cast<bool>(file));
    (void)body.rest_to_file(file->get(), 0, *engine, nullptr);
  }
  return body.done() && head->keep_alive;
}

// Back to an empty DEST; the directories above it are made only when gone,
// since mkdir and rmdir cost more than the rest of a run.
void wipe(const Fixture& f) {
  std::error_code ec;
  if (fs::is_directory(f.dest, ec) && fs::is_empty(f.dest, ec)) return;
  fs::remove_all(f.scratch / "a", ec);
  check(fs::create_directories(f.dest, ec));
}

// Sends `input` as the server: at once when the socket buffers take it,
// else from a thread, so a large input cannot block the client that
// drains it. Half-closes when all is sent.
std::thread serve(int fd, std::string_view input) {
  size_t sent = 0;
  while (sent < input.size()) {
    ssize_t n = ::send(fd, input.data() + sent, input.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  if (sent == input.size()) {
    ::shutdown(fd, SHUT_WR);
    return {};
  }
  return std::thread([fd, rest = input.substr(sent)]() mutable {
    while (!rest.empty()) {
      ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      rest.remove_prefix(static_cast<size_t>(n));
    }
    ::shutdown(fd, SHUT_WR);
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fixture& f = fixture();
  wipe(f);
  uint32_t hash = 2166136261u;
  for (size_t i = 0; i < size; ++i) hash = (hash ^ data[i]) * 16777619u;

  auto client = zcp::HttpClient::connect(f.url, std::chrono::milliseconds(5000));
  check(static_cast<bool>(client));
  zcp::UniqueFd server(::accept4(f.listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  check(server.valid());
  std::thread writer = serve(server.get(), {reinterpret_cast<const char*>(data), size});
  for (int i = 0; i < 3 && read_response(*client, f, hash >> i); ++i) {
  }
  ::shutdown(server.get(), SHUT_RDWR);  // wakes a writer whose reader gave up
  if (writer.joinable()) writer.join();
  check_nothing_escaped(f);
  return 0;
}
