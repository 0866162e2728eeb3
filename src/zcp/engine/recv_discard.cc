// recv() into a buffer and drop it: the experiment's client (8 KiB recv
// calls until EOF), which measures the network path without a disk.
#include <sys/socket.h>

#include <vector>

#include "zcp/base/byte_size.h"
#include "zcp/recv_engine.h"

namespace zcp {
namespace {

class DiscardReceiver final : public RecvEngine {
 public:
  explicit DiscardReceiver(size_t chunk) : buffer_(chunk) {}

  std::string name() const override { return "discard:" + format_byte_size(buffer_.size()); }
  int cpu_copies() const override { return 1; }

  Progress receive(int sock_fd, int /*file_fd*/, uint64_t /*offset*/, uint64_t limit) override {
    Progress p;
    while (p.moved < limit) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(buffer_.size(), limit - p.moved));
      ssize_t n = ::recv(sock_fd, buffer_.data(), want, 0);
      ++stats_.syscalls;
      if (n < 0) {
        if (errno == EINTR) continue;
        p.status = Status::from_errno("recv");
        return p;
      }
      if (n == 0) {
        p.eof = true;
        return p;
      }
      p.moved += static_cast<uint64_t>(n);
      stats_.bytes += static_cast<uint64_t>(n);
      stats_.user_bytes += static_cast<uint64_t>(n);
    }
    return p;
  }

 private:
  std::vector<char> buffer_;
};

}  // namespace

std::unique_ptr<RecvEngine> make_discard_receiver(size_t chunk) {
  return std::make_unique<DiscardReceiver>(chunk);
}

}  // namespace zcp
