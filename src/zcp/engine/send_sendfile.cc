// sendfile(2): the kernel hands page-cache pages to the socket; no byte
// passes through user space. One call moves at most 0x7ffff000 bytes
// (MAX_RW_COUNT, just under 2 GiB), so larger counts loop.
#include <sys/sendfile.h>

#include "zcp/base/sigpipe.h"
#include "zcp/send_engine.h"

namespace zcp {
namespace {

constexpr uint64_t kMaxPerCall = 0x7ffff000;

class SendfileSender final : public SendEngine {
 public:
  std::string name() const override { return "sendfile"; }
  int cpu_copies() const override { return 0; }

  Progress send(int file_fd, uint64_t offset, uint64_t count, int sock_fd) override {
    ScopedSigpipeBlock no_sigpipe;
    Progress p;
    while (p.moved < count) {
      off_t off = static_cast<off_t>(offset + p.moved);
      size_t want = static_cast<size_t>(std::min(kMaxPerCall, count - p.moved));
      ssize_t n = ::sendfile(sock_fd, file_fd, &off, want);
      ++stats_.syscalls;
      if (n < 0) {
        if (errno == EINTR) continue;
        p.status = Status::from_errno("sendfile");
        return p;
      }
      if (n == 0) {
        p.status = short_file_status("sendfile", offset + p.moved, offset + count);
        return p;
      }
      p.moved += static_cast<uint64_t>(n);
      stats_.bytes += static_cast<uint64_t>(n);
    }
    return p;
  }
};

}  // namespace

std::unique_ptr<SendEngine> make_sendfile_sender() { return std::make_unique<SendfileSender>(); }

}  // namespace zcp
