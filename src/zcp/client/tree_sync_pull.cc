// The incremental half of zcp get -r (tree_download.h): manifest, plan,
// then only the changed files, each fetched with a keep-alive GET into a
// temporary name beneath DEST and renamed. Crawl mode (tree_crawl.h) runs
// the same steps on a plan made from another server's listings.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <optional>
#include <span>
#include <thread>
#include <unordered_set>

#include "zcp/base/temp_name.h"
#include "zcp/client/refusal.h"
#include "zcp/client/tree_batches.h"
#include "zcp/client/tree_plan.h"
#include "zcp/client/tree_pull.h"
#include "zcp/http/digest.h"
#include "zcp/http/http_client.h"
#include "zcp/http/http_request.h"
#include "zcp/http/validators.h"
#include "zcp/recv_engine.h"
#include "zcp/tar/tar_extract.h"

namespace zcp {
namespace {

GetError failed(GetFailure kind, Status s) { return GetError{kind, std::move(s)}; }

std::string parent_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}
std::string base_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// Names zcp serve refuses in a URL path (control bytes, backslashes):
// such a file comes as a one-member tar stream instead (?only=).
bool needs_tar(const std::string& path) {
  return std::any_of(path.begin(), path.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f || c == '\\';
  });
}

// A re-run's changed files come as tar streams of many members (GET
// DIR/?format=tar&links=keep&only=A&only=B...) from this many on; fewer
// come as one GET each (no extractor, the body spliced straight in).
// Within noise of each other up to 8 files: docs/BENCHMARKS.md section 5
// ("batched re-runs"), so one file keeps the plain GET and its size check.
constexpr size_t kBatchFrom = 2;
// A batch's request-target stays within what zcp serve accepts (414
// beyond): ~500 paths of 10 bytes; a longer list is several requests on
// the same keep-alive connection.
constexpr size_t kMaxBatchTarget = HttpLimits{}.max_target_bytes;
// As for a first copy (tree_download.cc): headers and small files read
// 128 KiB at a time. Safe on a kept-alive connection because requests are
// not pipelined: nothing follows a batch's body until the next request.
constexpr size_t kBatchReadAhead = 128 * 1024;


// Parent directories opened beneath DEST, the last one kept: a tree's
// files come directory by directory.
class Parents {
 public:
  explicit Parents(int dest_fd) : dest_fd_(dest_fd) {}
  Result<int> open(const std::string& path) {
    std::string dir = parent_of(path);
    if (fd_ && dir == dir_) return fd_.get();
    auto fd = openat_beneath(dest_fd_, dir, O_RDONLY | O_DIRECTORY);
    if (!fd) {
      if (fd.status().error_number() == EXDEV) {
        return Status(Code::kInvalid, "openat2", "leads outside the destination").at(path);
      }
      return std::move(fd).take_status();
    }
    fd_ = std::move(*fd);
    dir_ = dir;
    return fd_.get();
  }
  void forget() { fd_.reset(); }

 private:
  int dest_fd_;
  UniqueFd fd_;
  std::string dir_;
};

Status remove_at(Parents& parents, const std::string& path, uint64_t* count) {
  auto parent = parents.open(path);
  if (!parent) {
    if (parent.status().error_number() == ENOENT) return {};
    return std::move(parent).take_status();
  }
  auto removed = remove_entry_at(*parent, base_of(path), path);
  parents.forget();  // what was removed may be the cached directory
  if (!removed) return std::move(removed).take_status();
  if (count && *removed > 0) ++*count;
  return {};
}

// rename, removing a directory in the way (a directory became a file).
Status rename_over(int parent, const std::string& temp, const std::string& name, const std::string& path) {
  if (::renameat(parent, temp.c_str(), parent, name.c_str()) == 0) return {};
  int err = errno;
  if (err == EISDIR || err == ENOTEMPTY || err == EEXIST) {
    auto removed = remove_entry_at(parent, name, path);
    if (!removed) return std::move(removed).take_status();
    if (::renameat(parent, temp.c_str(), parent, name.c_str()) == 0) return {};
    err = errno;
  }
  return Status::from_errno("rename", err).at(path);
}

class Puller {
 public:
  Puller(const Url& url, const TreeGetOptions& o, int dest_fd, PullMode mode)
      : url_(url), o_(o), dest_fd_(dest_fd), parents_(dest_fd), mode_(mode) {}
  // The plan carried out; kind kNone: done.
  GetError run(std::optional<HttpClient> client, const SyncPlan& plan, TreeGetResult& r);

 private:
  // Records the kind where the failure happens; run() returns both.
  Status fail(GetFailure kind, Status s) {
    kind_ = kind;
    return s;
  }
  Status run_steps(std::optional<HttpClient> client, const SyncPlan& plan, TreeGetResult& r);
  // Crawl mode: the last file was refused by status (404, 403): the
  // server's answer about one file, not a broken connection or disk.
  bool refused_in_crawl() const {
    return mode_ == PullMode::kListings && kind_ == GetFailure::kHttp;
  }
  // Crawl mode keeps a file's own URL in `target` when a redirected
  // listing moved its directory.
  std::string file_url(const ManifestEntry& e) const {
    if (mode_ == PullMode::kListings && !e.target.empty()) return e.target;
    return url_at(url_, directory_target(url_) + encode_path(e.path));
  }

  Status fetch(const ManifestEntry& e);
  Status fetch_listed(const ManifestEntry& e);
  Status land(HttpClient& c, const ResponseHead& head, const ManifestEntry& e,
              std::optional<uint64_t> size, int64_t mtime);
  Status fetch_as_tar(const ManifestEntry& e);
  Status fetch_batches(const std::vector<const ManifestEntry*>& files, TreeGetResult& r);
  Status fetch_batch(const std::string& target, std::span<const ManifestEntry* const> asked,
                     TreeGetResult& r);
  Status make_link(const ManifestEntry& e);
  Status make_dirs(const SyncPlan& plan);
  Status finish_dirs(const SyncPlan& plan);
  Result<HttpClient*> connection();

  const Url& url_;
  const TreeGetOptions& o_;
  int dest_fd_;
  Parents parents_;
  PullMode mode_;
  bool not_modified_ = false;  // crawl mode: the last fetch was answered 304
  GetFailure kind_ = GetFailure::kNone;
  std::optional<HttpClient> client_;
  std::unique_ptr<RecvEngine> engine_;
  TreeProgress progress_;
  const uint32_t umask_ = process_umask();  // open's, for creation_mode()
};

Result<HttpClient*> Puller::connection() {
  if (!client_) {
    auto c = HttpClient::connect(url_, o_.timeout, o_.tls);
    if (!c) return fail(connect_failure(c.status()), c.status());
    client_.emplace(std::move(*c));
  }
  return &*client_;
}

// Order: entries of another type out, --delete, directories, files and
// links, metadata-only fixes, then directory modes and mtimes deepest
// first (adding a file changes its directory's mtime).
GetError Puller::run(std::optional<HttpClient> client, const SyncPlan& plan, TreeGetResult& r) {
  Status s = run_steps(std::move(client), plan, r);
  if (s) return {};
  return GetError{kind_ == GetFailure::kNone ? classify_failure(s) : kind_, std::move(s)};
}

Status Puller::run_steps(std::optional<HttpClient> client, const SyncPlan& plan, TreeGetResult& r) {
  client_ = std::move(client);
  auto engine = make_recv_engine(o_.engine);
  if (!engine) return fail(GetFailure::kUsage, engine.status());
  engine_ = std::move(*engine);
  progress_.files_total = plan.transfer.size();
  progress_.bytes_total = plan.bytes;
  for (const std::string& p : plan.replace) {
    if (Status s = remove_at(parents_, p, nullptr); !s) return fail(GetFailure::kWrite, s);
  }
  // Crawl mode removes what is merely extra after the files (rsync's
  // --delete-after), and only when every listed file came: a partial
  // mirror never removes. What stands in a planned entry's way goes first,
  // as in zcp serve's mode.
  std::vector<std::string> extra;
  std::unordered_set<std::string> planned;
  if (mode_ == PullMode::kListings) {
    for (const ManifestEntry& d : plan.dirs) planned.insert(d.path);
    for (const ManifestEntry& e : plan.transfer) planned.insert(e.path);
  }
  for (const std::string& p : plan.remove) {
    if (mode_ == PullMode::kListings && !planned.count(p)) {
      extra.push_back(p);
      continue;
    }
    if (Status s = remove_at(parents_, p, &r.deleted); !s) return fail(GetFailure::kWrite, s);
  }
  if (Status s = make_dirs(plan); !s) return s;
  std::vector<const ManifestEntry*> batched;  // regular files, when there are enough
  if (mode_ == PullMode::kManifest) {
    for (const ManifestEntry& e : plan.transfer) {
      if (e.type == 'f') batched.push_back(&e);
    }
    if (batched.size() < kBatchFrom) batched.clear();
  }
  for (const ManifestEntry& e : plan.transfer) {
    if (!batched.empty() && e.type == 'f') continue;
    not_modified_ = false;
    Status s =
        e.type == 'l' ? make_link(e) : (mode_ == PullMode::kListings ? fetch_listed(e) : fetch(e));
    if (!s && refused_in_crawl()) {  // named, counted; the other files still come
      if (o_.notice) o_.notice(s.to_string());
      ++r.failed;
      kind_ = GetFailure::kNone;
      ++progress_.files_done;
      continue;
    }
    if (!s) return s;
    if (not_modified_) {
      ++r.skipped;
    } else if (e.type == 'l') {
      ++r.symlinks;
    } else {
      ++r.files;
    }
    ++progress_.files_done;
    if (o_.progress) o_.progress(progress_);
  }
  if (!batched.empty()) {
    if (Status s = fetch_batches(batched, r); !s) return s;
  }
  r.bytes = progress_.bytes_done;
  if (r.failed > 0 && !extra.empty() && o_.notice) {
    o_.notice("--delete not applied: " + std::to_string(r.failed) + " file(s) failed");
  }
  for (const std::string& p : r.failed > 0 ? std::vector<std::string>{} : extra) {
    if (Status s = remove_at(parents_, p, &r.deleted); !s) return fail(GetFailure::kWrite, s);
  }
  for (const ManifestEntry& e : plan.touch) {
    auto parent = parents_.open(e.path);
    if (!parent) return fail(GetFailure::kWrite, parent.status());
    const timespec times[2] = {{0, UTIME_OMIT}, {e.mtime, 0}};
    if (::fchmodat(*parent, base_of(e.path).c_str(), extracted_mode(e.mode, o_.extract), 0) != 0 ||
        ::utimensat(*parent, base_of(e.path).c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      return fail(GetFailure::kWrite, Status::from_errno("chmod").at(e.path));
    }
  }
  return finish_dirs(plan);
}

Status Puller::make_dirs(const SyncPlan& plan) {
  for (const ManifestEntry& d : plan.dirs) {
    auto parent = parents_.open(d.path);
    if (!parent) return fail(classify_failure(parent.status()), parent.status());
    if (::mkdirat(*parent, base_of(d.path).c_str(), 0700) != 0 && errno != EEXIST) {
      return fail(GetFailure::kWrite, Status::from_errno("mkdir").at(d.path));
    }
  }
  return {};
}

Status Puller::finish_dirs(const SyncPlan& plan) {
  parents_.forget();
  std::vector<const ManifestEntry*> dirs;
  for (const ManifestEntry& d : plan.dirs) dirs.push_back(&d);
  std::stable_sort(dirs.begin(), dirs.end(), [](const ManifestEntry* a, const ManifestEntry* b) {
    return std::count(a->path.begin(), a->path.end(), '/') > std::count(b->path.begin(), b->path.end(), '/');
  });
  for (const ManifestEntry* d : dirs) {
    auto fd = openat_beneath(dest_fd_, d->path, O_RDONLY | O_DIRECTORY);
    if (!fd) return fail(GetFailure::kWrite, fd.status());
    const timespec times[2] = {{0, UTIME_OMIT}, {d->mtime, 0}};
    if (::fchmod(fd->get(), extracted_mode(d->mode, o_.extract)) != 0 ||
        (d->mtime >= 0 && ::futimens(fd->get(), times) != 0)) {  // < 0: no listing said it
      return fail(GetFailure::kWrite, Status::from_errno("chmod").at(d->path));
    }
  }
  // DEST's own mode and mtime are the user's, as with tar.
  return {};
}

Status Puller::make_link(const ManifestEntry& e) {
  auto parent = parents_.open(e.path);
  if (!parent) return fail(classify_failure(parent.status()), parent.status());
  const std::string temp = part_name_for(base_of(e.path));
  ::unlinkat(*parent, temp.c_str(), 0);
  if (::symlinkat(e.target.c_str(), *parent, temp.c_str()) != 0) {
    return fail(GetFailure::kWrite, Status::from_errno("symlink").at(e.path));
  }
  if (Status s = rename_over(*parent, temp, base_of(e.path), e.path); !s) {
    ::unlinkat(*parent, temp.c_str(), 0);
    return fail(GetFailure::kWrite, s);
  }
  const timespec times[2] = {{0, UTIME_OMIT}, {e.mtime, 0}};
  ::utimensat(*parent, base_of(e.path).c_str(), times, AT_SYMLINK_NOFOLLOW);  // best effort
  return {};
}

// One file: GET, body spliced into NAME.part beneath DEST (O_EXCL |
// O_NOFOLLOW: a planted link is never written through), mode, mtime,
// fsync if asked, rename. A body that ends early removes the .part.
Status Puller::fetch(const ManifestEntry& e) {
  if (needs_tar(e.path)) return fetch_as_tar(e);
  auto c = connection();
  if (!c) return c.status();
  const std::string target = directory_target(url_) + encode_path(e.path);
  if (Status s = (*c)->send_head("GET", target, {}); !s) return fail(GetFailure::kConnect, s);
  auto head = (*c)->read_head();
  if (!head) return fail(classify_failure(head.status()), head.status());
  if (head->status != 200) {
    Status s = Status::invalid(refusal(**c, *head)).at(e.path);
    client_.reset();
    return fail(GetFailure::kHttp, s);
  }
  if (!head->content_length || *head->content_length != e.size) {
    client_.reset();
    return fail(GetFailure::kProtocol,
                Status(Code::kInvalid, "GET", "size differs from the manifest (changed on the server? run again)")
                    .at(e.path));
  }
  return land(**c, *head, e, e.size, e.mtime);
}

// The body of `head` into NAME.part beneath DEST (O_EXCL | O_NOFOLLOW: a
// planted link is never written through), then mode, mtime (when >= 0),
// fsync if asked, rename. `size` unknown: the body's own end. A body that
// ends early removes the .part.
Status Puller::land(HttpClient& c, const ResponseHead& head, const ManifestEntry& e,
                    std::optional<uint64_t> size, int64_t mtime) {
  auto parent = parents_.open(e.path);
  if (!parent) {
    client_.reset();
    return fail(classify_failure(parent.status()), parent.status());
  }
  const std::string name = base_of(e.path), temp = part_name_for(name);
  const uint32_t mode = extracted_mode(e.mode, o_.extract), created = creation_mode(mode, umask_);
  constexpr int kCreate = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  int fd = ::openat(*parent, temp.c_str(), kCreate, created);
  if (fd < 0 && errno == EEXIST) {  // an interrupted run's leftover, or a planted name: the name goes
    ::unlinkat(*parent, temp.c_str(), 0);
    fd = ::openat(*parent, temp.c_str(), kCreate, created);
  }
  if (fd < 0) {
    client_.reset();
    return fail(GetFailure::kWrite, Status::from_errno("open").at(e.path + ".part"));
  }
  UniqueFd file(fd);
  BodyReader body = c.body(head);
  const uint64_t base = progress_.bytes_done;
  auto report = [this, base](uint64_t n) {
    progress_.bytes_done = base + n;
    if (o_.progress) o_.progress(progress_);
  };
  uint64_t got = size.value_or(0);
  Status s;
  if (size) {
    s = body.to_file(file.get(), 0, *size, *engine_, report);
  } else if (auto n = body.rest_to_file(file.get(), 0, *engine_, report); n) {
    got = *n;
  } else {
    s = n.status();
  }
  GetFailure kind = body.write_failed() ? GetFailure::kWrite : classify_failure(s);
  // A body that broke off names the file's URL, not the tree's.
  if (!s && kind != GetFailure::kWrite) s.at(file_url(e));
  if (s) {
    progress_.bytes_done = base + got;
    const timespec times[2] = {{0, UTIME_OMIT}, {mtime, 0}};
    kind = GetFailure::kWrite;
    if (mode != created && ::fchmod(file.get(), mode) != 0) {
      s = Status::from_errno("fchmod").at(e.path);
    } else if (mtime >= 0 && ::futimens(file.get(), times) != 0) {
      s = Status::from_errno("futimens").at(e.path);
    } else if (o_.fsync && ::fsync(file.get()) != 0) {
      s = Status::from_errno("fsync").at(e.path);
    }
  }
  if (s) s = file.close().at(e.path);
  if (s) s = rename_over(*parent, temp, name, e.path);
  if (!s) {
    ::unlinkat(*parent, temp.c_str(), 0);
    client_.reset();
    return fail(kind, s);
  }
  if (!head.keep_alive || !body.done()) client_.reset();
  return {};
}

// Crawl mode (tree_crawl.h): the URL the listing named, asked with
// If-Modified-Since when DEST has a file of the listed size (nginx answers
// 304 on an exact match: skipped); mtime from Last-Modified.
Status Puller::fetch_listed(const ManifestEntry& e) {
  auto parent = parents_.open(e.path);
  if (!parent) return fail(classify_failure(parent.status()), parent.status());
  std::vector<std::pair<std::string, std::string>> headers;
  struct stat st;
  if (::fstatat(*parent, base_of(e.path).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      S_ISREG(st.st_mode) &&
      (e.size == kUnlistedSize || static_cast<uint64_t>(st.st_size) == e.size)) {
    headers.emplace_back("If-Modified-Since", http_date(st.st_mtime));
  }
  auto at = parse_url(file_url(e));
  if (!at) return fail(GetFailure::kProtocol, at.status());
  // Redirects are followed (a mirror sending files to a CDN); another
  // origin's connection lives for this file only.
  std::optional<HttpClient> other;
  auto answer = get_following(client_, other, url_, *at, headers, o_);
  if (!answer) return fail(answer.error().kind, answer.error().status);
  HttpClient& c = *answer->client;
  const ResponseHead& head = answer->head;
  if (head.status == 304 && !headers.empty()) {
    not_modified_ = true;
    if (!head.keep_alive && client_ && &c == &*client_) client_.reset();
    return {};
  }
  if (head.status != 200) {
    Status s = Status::invalid(refusal(c, head)).at(at->to_string());
    client_.reset();
    return fail(GetFailure::kHttp, s);
  }
  auto modified = head.header("Last-Modified");
  std::optional<int64_t> mtime = modified ? parse_http_date(*modified) : std::nullopt;
  return land(c, head, e, head.content_length, mtime.value_or(-1));
}

// The file as GET DIR/?format=tar&links=keep&only=PATH: the extractor
// puts it in place with its own safety (beneath DEST, temporary name).
Status Puller::fetch_as_tar(const ManifestEntry& e) {
  auto c = connection();
  if (!c) return c.status();
  const std::string target =
      directory_target(url_) + "?format=tar&links=keep&only=" + encode_path(e.path);
  if (Status s = (*c)->send_head("GET", target, {}); !s) return fail(GetFailure::kConnect, s);
  auto head = (*c)->read_head();
  if (!head) return fail(classify_failure(head.status()), head.status());
  if (head->status != 200) {
    Status s = Status::invalid(refusal(**c, *head)).at(e.path);
    client_.reset();
    return fail(GetFailure::kHttp, s);
  }
  BodyReader body = (*c)->body(*head);
  ExtractOptions eo = o_.extract;
  eo.replace = true;
  eo.fsync = o_.fsync;
  const uint64_t base = progress_.bytes_done;
  std::function<void(uint64_t)> report = [this, base](uint64_t n) {
    progress_.bytes_done = base + n;
    if (o_.progress) o_.progress(progress_);
  };
  parents_.forget();
  auto stats = extract_tar_at(body, dest_fd_, *engine_, report, eo);
  if (!stats) {
    client_.reset();
    return fail(classify_failure(stats.status()), stats.status());
  }
  progress_.bytes_done = base + stats->bytes;
  if (!head->keep_alive || !body.done()) client_.reset();
  return {};
}

// The files as few requests as the target limit allows, in walk order, on
// the one keep-alive connection. A path too long for any batch's target
// comes as a GET of its own (which zcp serve answers 414 when it is too
// long for that too).
Status Puller::fetch_batches(const std::vector<const ManifestEntry*>& files, TreeGetResult& r) {
  for (const Batch& b : plan_batches(directory_target(url_), files, kMaxBatchTarget)) {
    if (!b.target.empty()) {
      if (Status s = fetch_batch(b.target, std::span(files).subspan(b.from, b.to - b.from), r); !s) return s;
      continue;
    }
    if (Status s = fetch(*files[b.from]); !s) return s;
    ++r.files;
    ++progress_.files_done;
  }
  return {};
}

// One batch's tar stream through the extractor, which lands each member as
// NAME.part renamed over the old file (mode, mtime, --fsync as in a first
// copy). A file the stream lacks vanished on the server (or became
// something else) since its manifest: named, counted as failed (exit 24,
// rsync's "file has vanished"), the rest still comes; a stream cut short
// fails the run with the files before the cut in place, which a re-run
// then skips. A server without batches (no Zcp-Only: it sends the first
// only= alone) gets the rest one GET each.
Status Puller::fetch_batch(const std::string& target, std::span<const ManifestEntry* const> asked,
                           TreeGetResult& r) {
  auto c = connection();
  if (!c) return c.status();
  if (Status s = (*c)->send_head("GET", target, {}); !s) return fail(GetFailure::kConnect, s);
  auto head = (*c)->read_head();
  if (!head) return fail(classify_failure(head.status()), head.status());
  if (head->status != 200) {
    Status s = Status::invalid(refusal(**c, *head))
                   .at(url_at(url_, directory_target(url_)) + "?format=tar&only=... (" +
                       std::to_string(asked.size()) + " files)");
    client_.reset();
    return fail(GetFailure::kHttp, s);
  }
  const bool batches = head->header("Zcp-Only").has_value();
  BodyReader body = (*c)->body(*head);
  body.set_read_ahead(kBatchReadAhead);
  ExtractOptions eo = o_.extract;
  eo.replace = true;
  eo.fsync = o_.fsync;
  std::unordered_set<std::string> landed;
  eo.file_done = [this, &landed](const std::string& path, uint64_t) {
    landed.insert(path);
    ++progress_.files_done;
    if (o_.progress) o_.progress(progress_);
  };
  const uint64_t base = progress_.bytes_done;
  std::function<void(uint64_t)> report = [this, base](uint64_t n) {
    progress_.bytes_done = base + n;
    if (o_.progress) o_.progress(progress_);
  };
  parents_.forget();
  auto stats = extract_tar_at(body, dest_fd_, *engine_, report, eo);
  for (const ManifestEntry* e : asked) r.files += landed.count(e->path);
  if (!stats) {
    client_.reset();
    Status s = stats.status();
    GetFailure kind = classify_failure(s);
    // A stream that broke off names the file it was in (members come in
    // the order asked: the first not landed), as a GET's own would.
    auto cut = std::find_if(asked.begin(), asked.end(),
                            [&](const ManifestEntry* e) { return !landed.count(e->path); });
    if (kind != GetFailure::kWrite && cut != asked.end()) s.at(file_url(**cut));
    return fail(kind, s);
  }
  progress_.bytes_done = base + stats->bytes;
  if (!head->keep_alive || !body.done()) client_.reset();
  for (const ManifestEntry* e : asked) {
    if (landed.count(e->path)) continue;
    if (!batches) {
      if (Status s = fetch(*e); !s) return s;
      ++r.files;
    } else {
      if (o_.notice) {
        o_.notice(Status(Code::kInvalid, "GET", "vanished on the server since its manifest: not sent")
                      .at(e->path)
                      .to_string());
      }
      ++r.failed;
    }
    ++progress_.files_done;
  }
  return {};
}

Result<std::string> local_sha(int dest_fd, const ManifestEntry& e) {
  auto fd = openat_beneath(dest_fd, e.path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  if (!fd) return std::move(fd).take_status();
  return sha256_file(fd->get(), 0, e.size);
}

}  // namespace

GetResultOr<SyncPlan> plan_pull(HttpClient& client, const std::string& dest,
                                const TreeGetOptions& o, const ResponseHead& head) {
  // DEST is scanned on a second thread while the manifest arrives: the
  // two walks (server's and ours) overlap instead of adding up.
  auto dest_fd = open_file(dest, O_PATH | O_DIRECTORY);
  std::optional<Result<ManifestIndex>> scanned;
  std::thread scanner;
  if (dest_fd) scanner = std::thread([&] { scanned.emplace(scan_local_tree(dest, true)); });
  BodyReader body = client.body(head);
  auto source = read_manifest(body);
  if (scanner.joinable()) scanner.join();
  if (!source) return failed(classify_failure(source.status()), source.status());
  std::string rest;
  while (!body.done()) {  // the chunked trailer, so the connection can carry the GETs
    rest.clear();
    auto n = body.read(rest, 4096);
    if (!n || *n == 0) break;
  }
  ManifestIndex local;
  if (scanned) {
    if (!*scanned) return failed(GetFailure::kWrite, scanned->status());
    local = std::move(**scanned);
  }
  ShaOf sha_of = [&](const ManifestEntry& e, bool source_side) -> Result<std::string> {
    if (source_side) {
      if (e.sha256.size() != 32) return Status::invalid("the server's manifest has no sha-256").at(e.path);
      return e.sha256;
    }
    return local_sha(dest_fd->get(), e);
  };
  auto plan = plan_sync(*source, local, o.checksum, o.delete_extra, sha_of);
  if (!plan) return failed(classify_failure(plan.status()), plan.status());
  // The server hides its dotfiles by default: DEST's are not "extra".
  std::erase_if(plan->remove, has_dot_component);
  return std::move(*plan);
}

GetError run_pull(const Url& url, std::optional<HttpClient> client, const SyncPlan& plan,
                  const TreeGetOptions& o, TreeGetResult& r, PullMode mode) {
  auto dest_fd = open_file(r.dest, O_PATH | O_DIRECTORY);
  if (!dest_fd) return failed(GetFailure::kWrite, dest_fd.status());
  Puller puller(url, o, dest_fd->get(), mode);
  return puller.run(std::move(client), plan, r);
}

}  // namespace zcp
