// recv() into a user buffer, then pwrite() it: two CPU copies per byte.
// Also the fallback when the body needs user-space work (chunked encoding).
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "zcp/base/byte_size.h"
#include "zcp/engine/recv_loop.h"
#include "zcp/recv_engine.h"

namespace zcp {
namespace {

class CopyReceiver final : public RecvEngine {
 public:
  explicit CopyReceiver(size_t chunk) : buffer_(chunk) {}

  std::string name() const override { return "copy:" + format_byte_size(buffer_.size()); }
  int cpu_copies() const override { return 2; }

  Progress receive(int sock_fd, int file_fd, uint64_t offset, uint64_t limit) override {
    return receive_loop(sock_fd, file_fd, offset, limit, false);
  }
  Progress receive_some(int sock_fd, int file_fd, uint64_t offset, uint64_t limit) override {
    return receive_loop(sock_fd, file_fd, offset, limit, true);
  }

 private:
  Progress receive_loop(int sock_fd, int file_fd, uint64_t offset, uint64_t limit, bool once) {
    auto take = [&](uint64_t want) {
      return ::recv(sock_fd, buffer_.data(), static_cast<size_t>(want), 0);
    };
    auto land = [&](uint64_t n, Progress& p) {
      uint64_t at = offset == kStreamOffset ? kStreamOffset : offset + p.moved;
      return write_all(file_fd, at, static_cast<size_t>(n), p);
    };
    return receive_chunks(limit, buffer_.size(), once, "recv", stats_, take, land);
  }

  bool write_all(int file_fd, uint64_t at, size_t len, Progress& p) {
    size_t done = 0;
    while (done < len) {
      ssize_t n = at == kStreamOffset
                      ? ::write(file_fd, buffer_.data() + done, len - done)
                      : ::pwrite(file_fd, buffer_.data() + done, len - done,
                                 static_cast<off_t>(at + done));
      ++stats_.syscalls;
      if (n < 0) {
        if (errno == EINTR) continue;
        p.status = Status::from_errno("pwrite");
        p.file_failed = true;
        return false;
      }
      done += static_cast<size_t>(n);
    }
    p.moved += len;
    stats_.bytes += len;
    stats_.user_bytes += len;
    return true;
  }

  std::vector<char> buffer_;
};

}  // namespace

std::unique_ptr<RecvEngine> make_copy_receiver(size_t chunk) {
  return std::make_unique<CopyReceiver>(chunk);
}

}  // namespace zcp
