#include "zcp/server/tree_put.h"

#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include "zcp/base/socket.h"
#include "zcp/base/stats.h"
#include "zcp/http/body_reader.h"
#include "zcp/http/http_response.h"
#include "zcp/recv_engine.h"
#include "zcp/server/access_log.h"
#include "zcp/server/path_resolve.h"
#include "zcp/server/upload_dir.h"
#include "zcp/tar/tar_extract.h"
#include "zcp/tls/tls_session.h"

namespace zcp {
namespace {

using Clock = std::chrono::steady_clock;

struct Outcome {
  Response response;
  uint64_t files = 0, bytes = 0;
  const char* tls = nullptr;  // the body path over HTTPS, for the log
};

Response refuse(int status, std::string_view why) {
  Response r = error_response(status, why);
  r.close = true;
  return r;
}

// The checks a single-file PUT makes (put_handler.cc), from the head alone.
std::optional<Response> check(const TreePutJob& job, const UploadConfig& cfg) {
  if (!cfg.token.empty()) {
    auto token = auth_credentials(job.authorization, "Bearer");
    if (!token || !same_secret(*token, cfg.token)) {
      Response r = refuse(401, "a valid 'Authorization: Bearer TOKEN' is required");
      r.set("WWW-Authenticate", "Bearer");
      return r;
    }
  }
  if (!job.chunked && job.length == 0) return refuse(411, "a tree PUT needs a body (chunked or Content-Length)");
  if (cfg.max_bytes > 0 && !job.chunked && job.length > cfg.max_bytes + (1 << 20)) {
    return refuse(413, fmt::format("more than {} bytes", cfg.max_bytes));  // headers allowed for
  }
  return std::nullopt;
}

// GNU tar's rule, as the client's extractor applies it: root keeps the
// archive's bits, anyone else gets them through the umask.
ExtractOptions extract_options(const UploadConfig& cfg, const RequestPath& path) {
  ExtractOptions o;
  o.preserve_permissions = ::geteuid() == 0;
  o.umask = process_umask();
  o.symlinks = true;
  o.replace = true;
  o.deletions = query_param(path.query, "delete") == "1";
  o.fsync = query_param(path.query, "fsync") == "1";
  o.dotfiles = cfg.dotfiles;
  o.refuse_dotfiles = true;  // a client that did not say so (curl, tar) learns it at the member
  o.max_bytes = cfg.max_bytes;  // --max-upload bounds the whole tree
  return o;
}

// `stream` carries the request: job.tls or the plain socket.
Outcome store(TreePutJob& job, ByteStream& stream, const TreePutConfig& cfg) {
  Outcome out;
  if (auto no = check(job, cfg.upload)) {
    out.response = std::move(*no);
    return out;
  }
  PathError perr;
  auto path = parse_request_path(job.target, &perr);
  if (!path) {
    out.response = refuse(perr.status, perr.reason);
    return out;
  }
  if (path->relative != "." && !path->trailing_slash) {
    out.response = refuse(400, "a tree PUT names a directory: end the URL with /");
    return out;
  }
  if (!cfg.upload.dotfiles && has_dot_segment(path->relative)) {
    out.response = refuse(403, "dotfiles are off");
    return out;
  }
  if (!cfg.upload.dotfiles && query_param(path->query, "dotfiles") == "1") {
    // zcp put -r says its stream has dotfiles: refused before a byte is
    // stored, and marked so the client can name its files and the option.
    out.response = refuse(403, "dotfiles are off on this server: start zcp serve with --dotfiles");
    out.response.set("Zcp-Refused", "dotfiles");
    return out;
  }
  auto dir = open_upload_dir(cfg.upload.root_fd, path->relative, &perr);
  if (!dir) {
    out.response = refuse(perr.status, perr.reason);
    return out;
  }
  // ?part=K/N: one of several PUTs of a first copy extracting at once
  // (zcp put -r); files unnamed until complete, the directories' metadata
  // left for the client's last PUT. Named in the 100 Continue, so the
  // client sees the server took it before it sends a byte.
  // With --max-upload the limit is the whole tree's, which no part can
  // see: part= is then not taken (no Zcp-Part), and the client sends the
  // whole tree on this connection, as to a server before part=.
  uint32_t part_index = 0, part_count = 0;
  std::string part = query_param(path->query, "part");
  if (!part.empty() && !parse_tree_part(part, &part_index, &part_count)) {
    out.response = refuse(400, "part= must be K/N with 1 <= K <= N <= 64");
    return out;
  }
  if (cfg.upload.max_bytes > 0) part.clear();
  if (job.expect_continue) {
    const std::string cont =
        part.empty() ? std::string(kContinueHead)
                     : fmt::format("HTTP/1.1 100 Continue\r\nZcp-Part: {}/{}\r\n\r\n", part_index + 1, part_count);
    if (Status s = stream.write(cont); !s) {
      out.response = refuse(499, "client gone");
      return out;
    }
  }
  BodyReader body(&stream, job.chunked ? Framing::kChunked : Framing::kLength, job.length,
                  std::move(job.body_prefix));
  body.set_read_ahead(128 * 1024);  // the connection closes after this body (as get -r's)
  auto engine = make_recv_engine(EngineSpec{"splice", 0});
  ExtractOptions eo = extract_options(cfg.upload, *path);
  eo.shared_dest = !part.empty();
  eo.file_done = [&out](const std::string&, uint64_t n) {
    ++out.files;
    out.bytes += n;
  };
  auto stats = extract_tar_at(body, dir->get(), **engine, nullptr, eo);
  const std::string counts = fmt::format("{} files ({} bytes) stored", out.files, out.bytes);
  if (!stats) {
    const int err = stats.status().error_number();
    int status = stats.status().code() == Code::kInvalid ? 400 : 500;
    if (err == ENOSPC || err == EDQUOT) status = 507;
    if (err == EACCES) status = 403;  // a dotfile refused, or the tree is not ours to write
    if (stats.status().code() == Code::kPeerClosed) status = 400;
    if (stats.status().code() == Code::kUnsupported) status = 413;
    // The blocking read's SO_RCVTIMEO (EAGAIN plain, ETIMEDOUT through
    // TLS): the client stopped sending, which is not the server's error.
    if (err == EAGAIN || err == ETIMEDOUT || stats.status().would_block()) status = 408;
    out.response = refuse(status, stats.status().to_string() + "; " + counts);
  } else {
    out.response = text_response(200, "text/plain; charset=utf-8",
                                 fmt::format("{}, {} deleted\n", counts, stats->deleted));
    out.response.set("Zcp-Deleted", std::to_string(stats->deleted));
    out.response.close = true;
  }
  out.response.set("Zcp-Files", std::to_string(out.files));
  out.response.set("Zcp-Bytes", std::to_string(out.bytes));
  return out;
}

void log_line(const TreePutConfig& cfg, const TreePutJob& job, const Outcome& out) {
  if (!cfg.log) return;
  AccessRecord rec;
  rec.peer = job.peer;
  rec.when = job.arrived;
  rec.request_line = job.request_line;
  rec.status = out.response.status;
  rec.bytes = out.bytes;
  rec.referer = job.referer;
  rec.user_agent = job.user_agent;
  rec.seconds = seconds_since(job.started);
  rec.note = fmt::format("tree: {} files", out.files);
  rec.tls = out.tls;
  cfg.log(format_access_line(rec, cfg.log_json));
}

}  // namespace

bool is_tree_put(const HttpRequest& req) {
  if (req.method != "PUT") return false;
  size_t q = req.target.find('?');
  return q != std::string::npos && query_param(std::string_view(req.target).substr(q + 1), "format") == "tar";
}

TreePutJob make_tree_put_job(const HttpRequest& req, std::string body_prefix) {
  TreePutJob job;
  job.target = req.target;
  if (auto a = req.header("Authorization")) job.authorization = std::string(*a);
  job.chunked = req.chunked;
  job.length = req.content_length.value_or(0);
  job.expect_continue = req.expects_continue();
  job.body_prefix = std::move(body_prefix);
  job.referer = std::string(req.header("Referer").value_or(""));
  job.user_agent = std::string(req.header("User-Agent").value_or(""));
  job.request_line = fmt::format("{} {} HTTP/{}.{}", req.method, req.target, req.version_major,
                                 req.version_minor);
  job.arrived = std::chrono::system_clock::now();
  job.started = Clock::now();
  return job;
}

bool TreePutPool::start(TreePutJob& job) {
  join_finished();
  std::lock_guard lock(mu_);
  if (stopping_ || slots_.size() >= cfg_.max_jobs) return false;
  auto it = slots_.emplace(slots_.end());
  it->socket = job.client.get();
  auto owned = std::make_unique<TreePutJob>(std::move(job));
  TreePutJob* raw = owned.get();
  try {
    it->thread = std::thread([this, slot = &*it, raw] { run(slot, std::unique_ptr<TreePutJob>(raw)); });
  } catch (const std::system_error&) {
    job = std::move(*owned);
    slots_.erase(it);
    return false;
  }
  owned.release();
  return true;
}

void TreePutPool::run(Slot* slot, std::unique_ptr<TreePutJob> job) {
  Outcome out;
  PlainStream plain(job->client.get());
  ByteStream& stream = job->tls ? static_cast<ByteStream&>(*job->tls) : plain;
  if (Status s = set_blocking_with_timeout(job->client.get(), cfg_.timeout); !s) {
    out.response = refuse(500, s.to_string());
  } else {
    out = store(*job, stream, cfg_);
    // Files stored or deleted: the workers' open-file caches start afresh,
    // as after a single-file PUT (a cached entry would otherwise serve the
    // old bytes for up to its 100 ms).
    if (cfg_.upload.stored) cfg_.upload.stored->fetch_add(1, std::memory_order_release);
  }
  out.response.set("Connection", "close");
  std::string reply = build_head(out.response, false);
  for (const Segment& seg : out.response.body) reply += seg.data;
  (void)stream.write(reply);  // the client may be gone: nothing more to do
  if (job->tls) {
    out.tls = job->tls->ktls_recv() ? "ktls" : "userspace";
    job->tls->shutdown();  // close_notify after the answer
  }
  job->tls.reset();
  shutdown_and_drain(job->client.get(), 16);  // so no RST destroys the answer
  log_line(cfg_, *job, out);
  job->client.reset();
  std::lock_guard lock(mu_);
  slot->done = true;
  changed_.notify_all();
}

void TreePutPool::join_finished() {
  std::list<Slot> finished;
  {
    std::lock_guard lock(mu_);
    for (auto it = slots_.begin(); it != slots_.end();) {
      auto next = std::next(it);
      if (it->done) finished.splice(finished.end(), slots_, it);
      it = next;
    }
  }
  for (Slot& s : finished) s.thread.join();
}

void TreePutPool::drain(Clock::time_point deadline) {
  std::unique_lock lock(mu_);
  stopping_ = true;
  auto all_done = [this] {
    for (const Slot& s : slots_) {
      if (!s.done) return false;
    }
    return true;
  };
  if (!changed_.wait_until(lock, deadline, all_done)) {
    for (Slot& s : slots_) {
      if (!s.done) ::shutdown(s.socket, SHUT_RDWR);
    }
    changed_.wait(lock, all_done);
  }
  lock.unlock();
  join_finished();
}

}  // namespace zcp
