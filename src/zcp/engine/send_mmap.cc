// mmap() a window of the file and send() from the mapping: no read() copy,
// but send() still copies each byte from the mapping into the socket.
// A file truncated under the mapping must not kill us with SIGBUS: only the
// kernel touches the mapping (inside send, where a fault becomes EFAULT),
// and fstat() after each window catches a tail that read as zeros.
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zcp/base/byte_size.h"
#include "zcp/send_engine.h"

namespace zcp {
namespace {

class MmapSender final : public SendEngine {
 public:
  explicit MmapSender(size_t window) : window_(window) {
    long page = ::sysconf(_SC_PAGESIZE);
    page_ = page > 0 ? static_cast<uint64_t>(page) : 4096;
    if (window_ < page_) window_ = page_;
  }

  std::string name() const override {
    return window_ == kDefaultMmapWindow ? "mmap" : "mmap:" + format_byte_size(window_);
  }
  int cpu_copies() const override { return 1; }

  Progress send(int file_fd, uint64_t offset, uint64_t count, int sock_fd) override {
    Progress p;
    while (p.moved < count) {
      uint64_t at = offset + p.moved;
      uint64_t len = std::min<uint64_t>(window_, count - p.moved);
      if (!check_size(file_fd, at, offset + count, p)) return p;
      if (!send_window(file_fd, at, len, sock_fd, p)) return p;
    }
    // A file cut mid-page reads as zeros instead of faulting: check again.
    if (count > 0) check_size(file_fd, offset + count, offset + count, p);
    return p;
  }

 private:
  bool check_size(int file_fd, uint64_t at, uint64_t end, Progress& p) {
    struct stat st {};
    ++stats_.syscalls;
    if (::fstat(file_fd, &st) != 0) {
      p.status = Status::from_errno("fstat");
      return false;
    }
    if (static_cast<uint64_t>(st.st_size) < end) {
      p.status = short_file_status("mmap", std::max<uint64_t>(at, st.st_size), end);
      return false;
    }
    return true;
  }

  bool send_window(int file_fd, uint64_t at, uint64_t len, int sock_fd, Progress& p) {
    uint64_t aligned = at - at % page_;
    size_t map_len = static_cast<size_t>(len + (at - aligned));
    void* map = ::mmap(nullptr, map_len, PROT_READ, MAP_SHARED, file_fd, static_cast<off_t>(aligned));
    ++stats_.syscalls;
    if (map == MAP_FAILED) {
      p.status = Status::from_errno("mmap");
      return false;
    }
    ::madvise(map, map_len, MADV_SEQUENTIAL);
    const char* data = static_cast<const char*>(map) + (at - aligned);
    uint64_t done = 0;
    bool ok = true;
    while (done < len) {
      ssize_t n = ::send(sock_fd, data + done, static_cast<size_t>(len - done), MSG_NOSIGNAL);
      ++stats_.syscalls;
      if (n < 0) {
        if (errno == EINTR) continue;
        // EFAULT: the file shrank under the mapping.
        p.status = errno == EFAULT ? short_file_status("mmap", at + done, at + len)
                                   : Status::from_errno("send");
        ok = false;
        break;
      }
      done += static_cast<uint64_t>(n);
      p.moved += static_cast<uint64_t>(n);
      stats_.bytes += static_cast<uint64_t>(n);
    }
    ::munmap(map, map_len);
    ++stats_.syscalls;
    return ok;
  }

  size_t window_;
  uint64_t page_;
};

}  // namespace

std::unique_ptr<SendEngine> make_mmap_sender(size_t window) {
  return std::make_unique<MmapSender>(window);
}

}  // namespace zcp
