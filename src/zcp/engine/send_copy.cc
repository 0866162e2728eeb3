// The naive path of the experiment: pread() into a user buffer, send() it.
// Every byte is copied twice by the CPU (page cache -> buffer -> socket).
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "zcp/base/byte_size.h"
#include "zcp/send_engine.h"

namespace zcp {
namespace {

class CopySender final : public SendEngine {
 public:
  explicit CopySender(size_t chunk) : buffer_(chunk) {}

  std::string name() const override { return "copy:" + format_byte_size(buffer_.size()); }
  int cpu_copies() const override { return 2; }

  Progress send(int file_fd, uint64_t offset, uint64_t count, int sock_fd) override {
    Progress p;
    while (p.moved < count) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(buffer_.size(), count - p.moved));
      ssize_t got = ::pread(file_fd, buffer_.data(), want, static_cast<off_t>(offset + p.moved));
      ++stats_.syscalls;
      if (got < 0) {
        if (errno == EINTR) continue;
        p.status = Status::from_errno("pread");
        return p;
      }
      if (got == 0) {
        p.status = short_file_status("pread", offset + p.moved, offset + count);
        return p;
      }
      stats_.user_bytes += static_cast<uint64_t>(got);
      // On a partial send the rest of the buffer is dropped and re-read on
      // the next call: simpler than keeping it, and rare on a full socket.
      if (!send_all(sock_fd, static_cast<size_t>(got), p)) return p;
    }
    return p;
  }

 private:
  bool send_all(int sock_fd, size_t len, Progress& p) {
    size_t done = 0;
    while (done < len) {
      ssize_t n = ::send(sock_fd, buffer_.data() + done, len - done, MSG_NOSIGNAL);
      ++stats_.syscalls;
      if (n < 0) {
        if (errno == EINTR) continue;
        p.status = Status::from_errno("send");
        return false;
      }
      done += static_cast<size_t>(n);
      p.moved += static_cast<uint64_t>(n);
      stats_.bytes += static_cast<uint64_t>(n);
    }
    return true;
  }

  std::vector<char> buffer_;
};

}  // namespace

std::unique_ptr<SendEngine> make_copy_sender(size_t chunk) {
  return std::make_unique<CopySender>(chunk);
}

}  // namespace zcp
