// splice(2) socket -> pipe -> file: received data never enters user space.
// The pipe is always emptied into the file before returning, so a call that
// ends on EAGAIN leaves no state behind and the engine needs none.
#include <fcntl.h>
#include <unistd.h>

#include "zcp/base/byte_size.h"
#include "zcp/fd.h"
#include "zcp/engine/recv_loop.h"
#include "zcp/recv_engine.h"

namespace zcp {
namespace {

class SpliceReceiver final : public RecvEngine {
 public:
  SpliceReceiver(size_t pipe_size, bool discard) : pipe_size_(pipe_size), discard_(discard) {}

  std::string name() const override {
    std::string base = discard_ ? "discard-splice" : "splice";
    return pipe_size_ == kDefaultPipeSize ? base : base + ":" + format_byte_size(pipe_size_);
  }
  int cpu_copies() const override { return discard_ ? 0 : 1; }

  Progress receive(int sock_fd, int file_fd, uint64_t offset, uint64_t limit) override {
    return receive_loop(sock_fd, file_fd, offset, limit, false);
  }
  Progress receive_some(int sock_fd, int file_fd, uint64_t offset, uint64_t limit) override {
    return receive_loop(sock_fd, file_fd, offset, limit, true);
  }

 private:
  Progress receive_loop(int sock_fd, int file_fd, uint64_t offset, uint64_t limit, bool once) {
    if (Status s = prepare(); !s) {
      Progress p;
      p.status = std::move(s);
      return p;
    }
    int out_fd = discard_ ? null_fd_.get() : file_fd;
    auto take = [&](uint64_t want) {
      return ::splice(sock_fd, nullptr, pipe_.write_end.get(), nullptr,
                      static_cast<size_t>(want), SPLICE_F_MOVE);
    };
    auto land = [&](uint64_t n, Progress& p) {
      uint64_t at = offset == kStreamOffset ? kStreamOffset : offset + p.moved;
      return drain(out_fd, at, n, p);
    };
    return receive_chunks(limit, pipe_.capacity, once, "splice socket->pipe", stats_, take, land);
  }

  Status prepare() {
    if (discard_ && !null_fd_) {
      auto null_fd = open_file("/dev/null", O_WRONLY);
      if (!null_fd) return std::move(null_fd).take_status();
      null_fd_ = std::move(*null_fd);
    }
    if (!pipe_.read_end) {
      auto made = make_pipe(pipe_size_);
      if (!made) return std::move(made).take_status();
      pipe_ = std::move(*made);
    }
    return {};
  }

  // pipe -> file at `at` (or /dev/null), all `len` bytes.
  bool drain(int out_fd, uint64_t at, uint64_t len, Progress& p) {
    uint64_t done = 0;
    while (done < len) {
      loff_t off = static_cast<loff_t>(at + done);
      bool seek = !discard_ && at != kStreamOffset;
      ssize_t n = ::splice(pipe_.read_end.get(), nullptr, out_fd, seek ? &off : nullptr,
                           static_cast<size_t>(len - done), SPLICE_F_MOVE);
      ++stats_.syscalls;
      if (n < 0) {
        if (errno == EINTR) continue;
        p.status = Status::from_errno("splice pipe->file");
        p.file_failed = true;
        pipe_ = Pipe{};  // bytes stuck in it are lost with this transfer
        return false;
      }
      done += static_cast<uint64_t>(n);
      p.moved += static_cast<uint64_t>(n);
      stats_.bytes += static_cast<uint64_t>(n);
    }
    return true;
  }

  size_t pipe_size_;
  bool discard_;
  Pipe pipe_;
  UniqueFd null_fd_;
};

}  // namespace

std::unique_ptr<RecvEngine> make_splice_receiver(size_t pipe_size) {
  return std::make_unique<SpliceReceiver>(pipe_size, false);
}

std::unique_ptr<RecvEngine> make_discard_splice_receiver(size_t pipe_size) {
  return std::make_unique<SpliceReceiver>(pipe_size, true);
}

}  // namespace zcp
