#include "zcp/client/tree_upload.h"

#include <fcntl.h>

#include <charconv>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

#include <sys/socket.h>

#include <fmt/format.h>

#include "zcp/base/socket.h"
#include "zcp/base/stats.h"
#include "zcp/client/refusal.h"
#include "zcp/client/tree_plan.h"
#include "zcp/client/tree_pull.h"
#include "zcp/http/digest.h"
#include "zcp/http/http_client.h"
#include "zcp/http/http_response.h"
#include "zcp/send_engine.h"
#include "zcp/tar/tar_stream.h"
#include "zcp/tls/tls_session.h"

namespace zcp {
namespace {

GetError failed(GetFailure kind, Status s) { return GetError{kind, std::move(s)}; }

uint64_t header_number(const ResponseHead& head, std::string_view name) {
  auto v = head.header(name);
  uint64_t n = 0;
  if (v) std::from_chars(v->data(), v->data() + v->size(), n);
  return n;
}

// The server's manifest of the target; empty when there is none yet (404).
// With others=1: the entries that are not part of its tree too ('o', links
// out and the like; a server before them ignores the parameter), which
// --delete removes and a file of ours replaces.
GetResultOr<ManifestIndex> remote_manifest(HttpClient& c, const std::string& dir_target,
                                           bool digests) {
  std::string target = dir_target + "?format=manifest&others=1";
  if (digests) target += "&digest=sha-256";
  if (Status s = c.send_head("GET", target, {}); !s) return failed(GetFailure::kConnect, s);
  auto head = c.read_head();
  if (!head) return failed(classify_failure(head.status()), head.status());
  // A refusal's body is read by refusal(), before a BodyReader takes the
  // bytes that came with the head (it would wait on the socket for them).
  if (head->status != 200 && head->status != 404) {
    return failed(GetFailure::kHttp, Status::invalid(refusal(c, *head)));
  }
  BodyReader body = c.body(*head);
  if (head->status == 404) {
    std::string rest;
    while (!body.done()) {
      rest.clear();
      auto n = body.read(rest, 4096);
      if (!n || *n == 0) break;
    }
    return ManifestIndex{};
  }
  auto entries = read_manifest(body);
  if (!entries) return failed(classify_failure(entries.status()), entries.status());
  std::string rest;
  while (!body.done()) {
    rest.clear();
    auto n = body.read(rest, 4096);
    if (!n || *n == 0) break;
  }
  ManifestIndex index;
  for (ManifestEntry& e : *entries) {
    std::string key = e.path;
    index.emplace(std::move(key), std::move(e));
  }
  return index;
}

// Where the tar stream goes. In clear: the socket itself, headers and
// chunk framing with MSG_MORE (they leave with the file body that follows:
// one send per file instead of four), bodies with the send engine
// (sendfile: no copy). Over https: the TLS session, headers as records,
// bodies by TlsSession::send_file (SSL_sendfile under kTLS, pread +
// SSL_write otherwise). send_source below does not know which.
class TarOut {
 public:
  TarOut(HttpClient& c, SendEngine& engine) : sock_(c.fd()), tls_(c.tls()), engine_(engine) {}

  // All of `data`, then clears it; `more`: a body follows at once.
  Status data(std::string& data, bool more) {
    Status s = tls_ ? tls_->write(data) : send_flags(data, more ? MSG_MORE : 0);
    data.clear();
    return s;
  }
  // Up to `n` bytes of `fd` from `offset`; moved counts what went out.
  Progress file(int fd, uint64_t offset, uint64_t n) {
    if (!tls_) return engine_.send(fd, offset, n, sock_);
    Progress p;
    // 1 MiB at a time, so the progress line moves during a large file.
    p.status = tls_->send_file(fd, offset, std::min<uint64_t>(n, 1 << 20), &p.moved);
    return p;
  }

 private:
  Status send_flags(std::string_view data, int flags) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(sock_, data.data() + off, data.size() - off, flags | MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::from_errno("send");
      off += static_cast<size_t>(n);
    }
    return {};
  }

  int sock_;
  TlsSession* tls_;  // null in clear
  SendEngine& engine_;
};

// Segments as they come: small ones gathered and sent together, file
// ranges through out.file().
Status send_source(BodySource& source, TarOut& out, const TreeGetOptions& o, TreeProgress& p) {
  std::deque<Segment> queue;
  std::string pending;
  for (;;) {
    auto more = source.next(queue);
    if (!more) return std::move(more).take_status();
    for (Segment& seg : queue) {
      if (!seg.is_file()) {
        pending += seg.data;
        if (pending.size() >= 64 * 1024) {
          if (Status s = out.data(pending, true); !s) return s;
        }
        continue;
      }
      if (Status s = out.data(pending, true); !s) return s;
      uint64_t done = 0;
      while (done < seg.count) {
        Progress pr = out.file(seg.file->get(), seg.offset + done, seg.count - done);
        done += pr.moved;
        p.bytes_done += pr.moved;
        if (o.progress) o.progress(p);
        if (!pr.status) return std::move(pr.status).at(seg.label);
      }
      ++p.files_done;  // an empty file has no range: counted by the server only
    }
    queue.clear();
    if (!*more) return out.data(pending, false);
  }
}

// Whether anything needs the PUT at all: files, links, deletions, type
// changes, or directories the server lacks.
bool needs_put(const SyncPlan& plan, const ManifestIndex& remote) {
  if (!plan.transfer.empty() || !plan.remove.empty() || !plan.replace.empty() || !plan.touch.empty()) {
    return true;
  }
  for (const ManifestEntry& d : plan.dirs) {
    auto it = remote.find(d.path);
    if (it == remote.end() || it->second.mode != d.mode || it->second.mtime != d.mtime) return true;
  }
  return false;
}


// The dotfiles the PUT would carry (files, links, directories, deletions):
// the server is told, and one without --dotfiles refuses them up front.
std::vector<std::string> dot_paths(const SyncPlan& plan) {
  std::vector<std::string> out;
  for (const ManifestEntry& e : plan.dirs) {
    if (has_dot_component(e.path)) out.push_back(e.path);
  }
  for (const auto* list : {&plan.transfer, &plan.touch}) {
    for (const ManifestEntry& e : *list) {
      if (has_dot_component(e.path)) out.push_back(e.path);
    }
  }
  for (const std::string& p : plan.remove) {
    if (has_dot_component(p)) out.push_back(p);
  }
  return out;
}

// "server refuses dotfiles (.env, .git, ...): start zcp serve with --dotfiles"
Status dotfiles_refused(const std::vector<std::string>& dots) {
  std::string names;
  for (size_t i = 0; i < dots.size() && i < 3; ++i) names += (i ? ", " : "") + dots[i];
  if (dots.size() > 3) names += fmt::format(" and {} more", dots.size() - 3);
  return Status::invalid(
      fmt::format("server refuses dotfiles ({}): start zcp serve with --dotfiles, or leave "
                  "them out with --no-dotfiles", names));
}


// One tree PUT's fixed parts: the tree, where it goes, the query's flags.
struct PutStream {
  const Url& url;
  int root_fd;
  const std::string& dir_target;
  const std::string& query;  // "?format=tar" and the flags (delete, fsync, dotfiles)
  const std::vector<std::string>& dots;
  const TreeGetOptions& o;
};

struct PutCounts {
  uint64_t files = 0, bytes = 0, deleted = 0;
  int streams = 1;
};

// Sends the PUT's head and waits for 100 Continue, whose head is returned
// (a Zcp-Part there says the server took ?part=); a refusal is the error.
GetResultOr<ResponseHead> put_head(HttpClient& c, const PutStream& put, const std::string& target) {
  std::vector<std::pair<std::string, std::string>> h = {{"Transfer-Encoding", "chunked"},
                                                        {"Content-Type", "application/x-tar"},
                                                        {"Expect", "100-continue"}};
  if (!put.o.token.empty()) h.emplace_back("Authorization", "Bearer " + put.o.token);
  if (Status s = c.send_head("PUT", target, h); !s) return failed(GetFailure::kConnect, s);
  auto first = c.read_any_head();
  if (!first) return failed(classify_failure(first.status()), first.status());
  if (first->status != 100) {
    if (first->status == 403 && first->header("Zcp-Refused") == "dotfiles" && !put.dots.empty()) {
      (void)refusal(c, *first);  // its body read, as for any refusal
      return failed(GetFailure::kHttp, dotfiles_refused(put.dots));
    }
    return failed(GetFailure::kHttp, Status::invalid(refusal(c, *first)));
  }
  return std::move(*first);
}

// After the 100: the tar `to` describes as the body, then the server's count.
GetResultOr<PutCounts> put_body(HttpClient& c, const PutStream& put, TarOptions to,
                                const TreeGetOptions& o, TreeProgress& p) {
  auto tar = make_tar_source(put.root_fd, ".", std::move(to));
  if (!tar) return failed(GetFailure::kUsage, tar.status());
  auto body = make_chunked_source(std::move(*tar));
  auto engine = make_send_engine(EngineSpec{"sendfile", 0});
  if (!engine) return failed(GetFailure::kUsage, engine.status());
  TarOut out(c, **engine);
  Status sent = send_source(*body, out, o, p);
  auto head = c.read_head();  // the server's words explain a failed send best
  if (!head) return failed(classify_failure(sent ? head.status() : sent), sent ? head.status() : sent);
  if (head->status != 200) return failed(GetFailure::kHttp, Status::invalid(refusal(c, *head)));
  if (!sent) return failed(classify_failure(sent), sent);
  PutCounts n;
  n.bytes = header_number(*head, "Zcp-Bytes");
  n.files = header_number(*head, "Zcp-Files");
  n.deleted = header_number(*head, "Zcp-Deleted");
  return n;
}

GetResultOr<PutCounts> put_whole(const PutStream& put, HttpClient& c, TarOptions to, TreeProgress& p) {
  auto cont = put_head(c, put, put.dir_target + put.query);
  if (!cont) return std::move(cont).take_error();
  return put_body(c, put, std::move(to), put.o, p);
}

std::string part_query(const PutStream& put, uint32_t k, uint32_t n) {
  return put.dir_target + put.query + "&part=" + std::to_string(k) + "/" + std::to_string(n);
}

// A first copy as `n` PUTs side by side, each one part of the tree
// (?part=K/N: the server extracts them at once, files unnamed until
// complete, and leaves the directories' metadata), then one small PUT
// holding only the directories, whose modes and mtimes it sets: an
// interrupted push leaves complete files and a re-run (incremental)
// finishes. A server whose 100 Continue names no Zcp-Part (zcp before
// part=) gets the whole tree on the first connection instead.
GetResultOr<PutCounts> put_parts(const PutStream& put, HttpClient first, TarOptions to, uint32_t n,
                                 TreeProgress& p) {
  auto cont = put_head(first, put, part_query(put, 1, n));
  if (!cont) return std::move(cont).take_error();
  if (cont->header("Zcp-Part") != "1/" + std::to_string(n)) return put_body(first, put, std::move(to), put.o, p);
  std::vector<HttpClient> conns;
  conns.push_back(std::move(first));
  for (uint32_t k = 2; k <= n; ++k) {
    auto c = HttpClient::connect(put.url, put.o.timeout, put.o.tls);
    if (!c) return failed(connect_failure(c.status()), c.status());
    const std::string target = part_query(put, k, n);
    auto head = put_head(*c, put, target);
    if (!head) return std::move(head).take_error();
    if (head->header("Zcp-Part") != std::to_string(k) + "/" + std::to_string(n)) {
      return failed(GetFailure::kProtocol, Status::invalid("no Zcp-Part in the 100 Continue").at(url_at(put.url, target)));
    }
    conns.push_back(std::move(*c));
  }
  // The bodies, one thread each; the first failure shuts the others down.
  std::mutex mu;
  std::optional<GetError> error;
  PutCounts total;
  std::vector<TreeProgress> each(n, p);
  auto run = [&](uint32_t i) {
    TarOptions part = to;
    part.part_index = i;
    part.part_count = n;
    TreeGetOptions oi = put.o;  // progress summed over the streams, under `mu`
    if (put.o.progress) {
      oi.progress = [&, i](const TreeProgress& mine) {
        std::lock_guard<std::mutex> lock(mu);
        each[i] = mine;
        TreeProgress sum = p;
        sum.files_done = sum.bytes_done = 0;
        for (const TreeProgress& e : each) sum.files_done += e.files_done, sum.bytes_done += e.bytes_done;
        put.o.progress(sum);
      };
    }
    TreeProgress mine = p;
    auto got = put_body(conns[i], put, std::move(part), oi, mine);
    std::lock_guard<std::mutex> lock(mu);
    if (!got) {
      if (error) return;
      error = std::move(got).take_error();
      for (uint32_t k = 0; k < n; ++k) {
        if (k != i) ::shutdown(conns[k].fd(), SHUT_RDWR);
      }
      return;
    }
    total.files += got->files;
    total.bytes += got->bytes;
    total.deleted += got->deleted;
  };
  std::vector<std::thread> threads;
  for (uint32_t i = 1; i < n; ++i) threads.emplace_back(run, i);
  run(0);
  for (std::thread& t : threads) t.join();
  if (error) return std::move(*error);
  // Last, the directories alone: the server sets their modes and mtimes.
  auto c = HttpClient::connect(put.url, put.o.timeout, put.o.tls);
  if (!c) return failed(connect_failure(c.status()), c.status());
  TarOptions dirs = to;
  dirs.want = [](const std::string&) { return false; };
  dirs.deletions.clear();
  TreeProgress none;
  TreeGetOptions silent = put.o;
  silent.progress = nullptr;
  auto head = put_head(*c, put, put.dir_target + put.query);
  if (!head) return std::move(head).take_error();
  auto last = put_body(*c, put, std::move(dirs), silent, none);
  if (!last) return std::move(last).take_error();
  total.streams = static_cast<int>(n);
  return total;
}

}  // namespace

GetResultOr<TreeGetResult> upload_tree(const std::string& dir, const Url& url,
                                       const TreeGetOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  TreeGetResult r;
  r.dest = url.to_string();
  r.incremental = true;
  std::string dir_target = url.target.substr(0, url.target.find('?'));
  if (dir_target.empty() || dir_target.back() != '/') dir_target += '/';
  // 1. Both sides' manifests.
  auto root = open_file(dir, O_RDONLY | O_DIRECTORY);
  if (!root) return failed(GetFailure::kUsage, root.status());
  auto source = walk_local_tree(dir, o.dotfiles);  // .git and .env go too, as with rsync -a
  if (!source) return failed(GetFailure::kUsage, source.status());
  auto client = HttpClient::connect(url, o.timeout, o.tls);
  if (!client) return failed(connect_failure(client.status()), client.status());
  auto remote = remote_manifest(*client, dir_target, o.checksum);
  if (!remote) return std::move(remote).take_error();
  // --no-dotfiles: the server's are not ours to compare or --delete.
  if (!o.dotfiles) std::erase_if(*remote, [](const auto& kv) { return has_dot_component(kv.first); });
  // 2. The plan.
  ShaOf sha_of = [&](const ManifestEntry& e, bool source_side) -> Result<std::string> {
    if (!source_side) {
      if (e.sha256.size() != 32) return Status::invalid("the server's manifest has no sha-256").at(e.path);
      return e.sha256;
    }
    auto fd = openat_beneath(root->get(), e.path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    if (!fd) return std::move(fd).take_status();
    return sha256_file(fd->get(), 0, e.size);
  };
  auto plan = plan_sync(*source, *remote, o.checksum, o.delete_extra, sha_of);
  if (!plan) return failed(classify_failure(plan.status()), plan.status());
  r.skipped = plan->skipped;
  r.directories = plan->dirs.size();
  r.deleted = o.delete_extra ? plan->remove.size() : 0;
  for (const ManifestEntry& e : plan->transfer) e.type == 'l' ? ++r.symlinks : ++r.files;
  r.bytes = plan->bytes;
  if (o.dry_run || !needs_put(*plan, *remote)) {
    if (o.dry_run && o.listed) {
      for (const std::string& p : plan->remove) o.listed('-', p);
      for (const ManifestEntry& e : plan->transfer) o.listed('+', e.path);
    }
    if (!o.dry_run) r.files = r.symlinks = r.bytes = 0;
    r.seconds = seconds_since(start);
    return r;
  }
  // 3. What differs as tar streams: several for a first copy, else one.
  auto wanted = std::make_shared<std::unordered_set<std::string>>();
  for (const ManifestEntry& e : plan->transfer) wanted->insert(e.path);
  for (const ManifestEntry& e : plan->touch) wanted->insert(e.path);
  TarOptions to;
  to.keep_links = true;
  to.dotfiles = o.dotfiles;
  to.want = [wanted](const std::string& path) { return wanted->count(path) > 0; };
  if (o.delete_extra) to.deletions = plan->remove;
  std::string query = "?format=tar";
  if (o.delete_extra) query += "&delete=1";
  if (o.fsync) query += "&fsync=1";
  const std::vector<std::string> dots = dot_paths(*plan);
  if (!dots.empty()) query += "&dotfiles=1";
  PutStream put{url, root->get(), dir_target, query, dots, o};
  TreeProgress p;
  p.files_total = plan->transfer.size();
  p.bytes_total = plan->bytes;
  const uint32_t streams = remote->empty() ? tree_streams(o.streams) : 1;
  auto counts = streams > 1 ? put_parts(put, std::move(*client), to, streams, p)
                            : put_whole(put, *client, to, p);
  if (!counts) return std::move(counts).take_error();
  r.bytes = counts->bytes;
  r.files = counts->files;
  r.deleted = counts->deleted;
  r.streams = counts->streams;
  r.seconds = seconds_since(start);
  return r;
}

}  // namespace zcp
