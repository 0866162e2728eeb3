#include "zcp/server/put_handler.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <random>

#include <fmt/format.h>

#include "zcp/server/path_resolve.h"
#include "zcp/server/upload_dir.h"

namespace zcp {
namespace {

using Refusal = std::variant<std::unique_ptr<Upload>, Response>;

constexpr uint64_t kMaxPerWakeup = 2 << 20;

Response refuse(int status, std::string_view why) {
  Response r = error_response(status, why);
  r.close = true;  // the body was not read: its bytes would parse as a request
  return r;
}

// Out of descriptors: a passing overload, worth a retry.
Response busy() {
  Response r = refuse(503, "out of file descriptors");
  r.set("Retry-After", "1");
  return r;
}

std::optional<Response> check_request(const HttpRequest& req, const UploadConfig& cfg) {
  if (!cfg.enabled) {
    Response r = refuse(405, "uploads are off (zcp serve --upload)");
    r.set("Allow", "GET, HEAD");
    return r;
  }
  if (!cfg.token.empty()) {
    auto auth = req.header("Authorization");
    auto token = auth ? auth_credentials(*auth, "Bearer") : std::nullopt;
    if (!token || !same_secret(*token, cfg.token)) {
      Response r = refuse(401, "a valid 'Authorization: Bearer TOKEN' is required");
      r.set("WWW-Authenticate", "Bearer");
      return r;
    }
  }
  if (req.chunked || !req.content_length) return refuse(411, "PUT needs a Content-Length");
  if (cfg.max_bytes > 0 && *req.content_length > cfg.max_bytes) {
    return refuse(413, fmt::format("more than {} bytes", cfg.max_bytes));
  }
  return std::nullopt;
}

}  // namespace

Refusal Upload::begin(const HttpRequest& req, const UploadConfig& cfg) {
  if (auto no = check_request(req, cfg)) return std::move(*no);
  // Every check on the name comes before the body is read: a refusal
  // answers instead of 100 Continue, or right after the head.
  PathError perr;
  auto path = parse_request_path(req.target, &perr);
  if (!path) return refuse(perr.status, perr.reason);
  if (path->relative == "." || path->trailing_slash) return refuse(403, "cannot PUT a directory");
  if (!cfg.dotfiles && has_dot_segment(path->relative)) return refuse(403, "dotfiles are off");
  size_t slash = path->relative.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path->relative.substr(0, slash);
  std::unique_ptr<Upload> up(new Upload());
  up->name_ = path->relative.substr(slash == std::string::npos ? 0 : slash + 1);
  auto dir_fd = open_upload_dir(cfg.root_fd, dir, &perr);
  if (!dir_fd) {
    if (perr.status == 503) return busy();
    return refuse(perr.status, perr.reason);
  }
  // A file system with a NAME_MAX below Linux's usual 255 (eCryptfs: 143)
  // would refuse the name only at the final rename, after the whole body.
  long name_max = ::fpathconf(dir_fd->get(), _PC_NAME_MAX);
  if (name_max > 0 && up->name_.size() > static_cast<size_t>(name_max)) {
    return refuse(414, fmt::format("the name is longer than {} bytes", name_max));
  }
  struct stat st {};
  if (::fstatat(dir_fd->get(), up->name_.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      !S_ISREG(st.st_mode)) {
    return refuse(403, "the target exists and is not a regular file");
  }
  int fd = ::openat(dir_fd->get(), ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0 && (errno == EMFILE || errno == ENFILE)) return busy();
  if (fd < 0) return refuse(status_for_errno(errno), "cannot create a temporary file");
  up->dir_ = std::move(*dir_fd);
  up->file_.reset(fd);
  up->length_ = *req.content_length;
  up->stored_ = cfg.stored;
  up->engine_ = make_splice_receiver(kDefaultPipeSize);
  return up;
}

Upload::Step Upload::account(const Progress& p) {
  received_ += p.moved;
  if (received_ == length_) return Step::kComplete;
  if (p.status.would_block()) return Step::kNeedMore;
  if (!p.status.is_ok()) {
    error_ = p.status;
    return Step::kFailed;
  }
  if (p.eof) {
    peer_closed_ = true;
    error_ = Status(Code::kPeerClosed, "upload", "client closed before the whole body arrived");
    return Step::kFailed;
  }
  return Step::kNeedMore;
}

Upload::Step Upload::take_buffered(std::string& in) {
  size_t n = static_cast<size_t>(std::min<uint64_t>(in.size(), length_ - received_));
  Progress p;
  for (size_t done = 0; done < n;) {
    ssize_t w = ::pwrite(file_.get(), in.data() + done, n - done, static_cast<off_t>(received_ + done));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      p.status = Status::from_errno("pwrite");
      break;
    }
    done += static_cast<size_t>(w);
    p.moved = done;
  }
  in.erase(0, p.moved);
  if (!p.status.is_ok()) return account(p);
  if (received_ + p.moved == length_) return account(p);
  p.status = Status::from_errno("recv", EAGAIN);  // the rest comes from the socket
  return account(p);
}

Upload::Step Upload::receive(int sock_fd) {
  if (received_ == length_) return Step::kComplete;
  // Fairness, as on the send side: at most kMaxPerWakeup per call, then the
  // worker serves the others; level-triggered epoll calls us back.
  uint64_t want = std::min<uint64_t>(length_ - received_, kMaxPerWakeup);
  Progress p = engine_->receive(sock_fd, file_.get(), received_, want);
  return account(p);
}

Upload::Step Upload::receive_from(ByteStream& in) {
  if (received_ == length_) return Step::kComplete;
  char buf[64 * 1024];
  uint64_t want = std::min<uint64_t>(length_ - received_, kMaxPerWakeup);
  Progress p;
  while (p.moved < want) {
    size_t ask = static_cast<size_t>(std::min<uint64_t>(sizeof(buf), want - p.moved));
    auto got = in.read(buf, ask);
    if (!got) {
      if (got.status().code() == Code::kPeerClosed) {
        p.eof = true;  // closed without close_notify: the body is short either way
      } else {
        p.status = got.status();
      }
      break;
    }
    if (*got == 0) {
      p.eof = true;
      break;
    }
    for (size_t done = 0; done < *got;) {
      ssize_t w = ::pwrite(file_.get(), buf + done, *got - done,
                           static_cast<off_t>(received_ + p.moved + done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        p.status = Status::from_errno("pwrite");
        return account(p);
      }
      done += static_cast<size_t>(w);
    }
    p.moved += *got;
  }
  return account(p);
}

// fsync, then give the file a random temporary name and rename it over
// the target: readers see the old file or the new one, never a mix.
Response Upload::finish() {
  if (::fsync(file_.get()) != 0) {
    error_ = Status::from_errno("fsync");
    return failure_response();
  }
  struct stat st {};
  bool existed = ::fstatat(dir_.get(), name_.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  std::string tmp = fmt::format(".zcp-upload-{:016x}", std::random_device{}() * 0x9E3779B97F4A7C15ULL);
  std::string proc = fmt::format("/proc/self/fd/{}", file_.get());
  if (::linkat(AT_FDCWD, proc.c_str(), dir_.get(), tmp.c_str(), AT_SYMLINK_FOLLOW) != 0) {
    error_ = Status::from_errno("linkat").at(tmp);
    return failure_response();
  }
  if (::renameat(dir_.get(), tmp.c_str(), dir_.get(), name_.c_str()) != 0) {
    error_ = Status::from_errno("rename").at(name_);
    ::unlinkat(dir_.get(), tmp.c_str(), 0);
    return failure_response();
  }
  ::fsync(dir_.get());  // the rename itself survives a crash
  file_.reset();
  // Release: a cache that sees the new count also sees the rename.
  if (stored_) stored_->fetch_add(1, std::memory_order_release);
  Response r = existed ? Response{} : error_response(201);
  if (existed) r.status = 204;
  return r;
}

Response Upload::fail_with(Status why) {
  error_ = std::move(why);
  return failure_response();
}

Response Upload::failure_response() const {
  int e = error_.error_number();
  if (e == ENOSPC || e == EDQUOT) return refuse(507, "no space left for the upload");
  // A path error this late (the target's name taken by a directory
  // meanwhile, say) is still the client's, not a server fault.
  if (e != 0 && status_for_errno(e) != 500 && status_for_errno(e) != 404) {
    return refuse(status_for_errno(e), error_.to_string());
  }
  return refuse(500, error_.to_string());
}

}  // namespace zcp
