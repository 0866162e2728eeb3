// recv() into a buffer and drop it: the experiment's client (8 KiB recv
// calls until EOF), which measures the network path without a disk.
#include <sys/socket.h>

#include <vector>

#include "zcp/base/byte_size.h"
#include "zcp/engine/recv_loop.h"
#include "zcp/recv_engine.h"

namespace zcp {
namespace {

class DiscardReceiver final : public RecvEngine {
 public:
  explicit DiscardReceiver(size_t chunk) : buffer_(chunk) {}

  std::string name() const override { return "discard:" + format_byte_size(buffer_.size()); }
  int cpu_copies() const override { return 1; }

  Progress receive(int sock_fd, int /*file_fd*/, uint64_t /*offset*/, uint64_t limit) override {
    auto take = [&](uint64_t want) {
      return ::recv(sock_fd, buffer_.data(), static_cast<size_t>(want), 0);
    };
    auto drop = [&](uint64_t n, Progress& p) {
      p.moved += n;
      stats_.bytes += n;
      stats_.user_bytes += n;
      return true;
    };
    return receive_chunks(limit, buffer_.size(), false, "recv", stats_, take, drop);
  }

 private:
  std::vector<char> buffer_;
};

}  // namespace

std::unique_ptr<RecvEngine> make_discard_receiver(size_t chunk) {
  return std::make_unique<DiscardReceiver>(chunk);
}

}  // namespace zcp
