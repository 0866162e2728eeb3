#include "zcp/client/tree_download.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "zcp/base/escape.h"
#include "zcp/base/stats.h"
#include "zcp/client/redirect.h"
#include "zcp/client/refusal.h"
#include "zcp/client/tree_crawl.h"
#include "zcp/client/tree_pull.h"
#include "zcp/fd.h"
#include "zcp/http/http_client.h"
#include "zcp/recv_engine.h"

namespace zcp {
namespace {

// -r of a URL the server has no directory for: is it a file? (HEAD without
// the trailing slash answers 200 with no listing.)
bool names_a_file(const Url& url, std::chrono::milliseconds timeout, const TlsOptions& tls) {
  Url plain = url;
  plain.target = url.target.substr(0, url.target.find('?'));
  while (plain.target.size() > 1 && plain.target.back() == '/') plain.target.pop_back();
  auto c = HttpClient::connect(plain, timeout, tls);
  if (!c || !c->send_head("HEAD", plain.target, {})) return false;
  auto head = c->read_head(true);
  if (!head || head->status != 200) return false;
  auto type = head->header("Content-Type");
  return !type || type->find("text/html") == std::string_view::npos;
}

GetError fail_as(GetFailure kind, Status s) { return GetError{kind, std::move(s)}; }

bool is_error(const GetError& e) { return e.kind != GetFailure::kNone; }

}  // namespace

std::string directory_target(const Url& url) {
  std::string path = url.target.substr(0, url.target.find('?'));
  if (path.empty() || path.back() != '/') path += '/';
  return path;
}

std::string url_at(const Url& url, const std::string& target) {
  Url u = url;
  u.target = target;
  return u.to_string();
}

GetError make_dest(const std::string& dest) {
  std::error_code ec;
  std::filesystem::create_directories(dest, ec);
  if (ec || !std::filesystem::is_directory(dest, ec)) {
    Status s(Code::kSystem, "mkdir", ec ? ec.message() : "not a directory", ec.value());
    return fail_as(GetFailure::kWrite, std::move(s).at(dest));
  }
  return {};
}

uint32_t tree_streams(int asked) {
  if (asked > 0) return static_cast<uint32_t>(asked);
  const unsigned cpus = std::thread::hardware_concurrency();
  return cpus > 1 ? std::min(cpus, 4u) : 1;
}

std::string tree_name(const Url& url) {
  std::string path = directory_target(url);
  return Url{url.host, url.port, path.substr(0, path.size() - 1)}.file_name();
}

namespace {

// Headers and small files arrive together in one recv of this much and go
// to disk with one pwrite each; bodies beyond it are spliced. 10,000 x 4 KiB:
// measured below in docs/BENCHMARKS.md ("Trees both ways").
constexpr size_t kTarReadAhead = 128 * 1024;

// A first copy: nothing there to compare with, so the whole tree comes as
// one tar stream (fewer requests than one GET per file).
bool empty_or_missing(const std::string& dest) {
  std::error_code ec;
  if (!std::filesystem::exists(dest, ec)) return true;
  return std::filesystem::is_directory(dest, ec) && std::filesystem::is_empty(dest, ec);
}

std::string tar_query(uint32_t part, uint32_t parts) {
  std::string q = "?format=tar&links=keep";
  if (parts > 1) q += "&part=" + std::to_string(part) + "/" + std::to_string(parts);
  return q;
}

// Whether the answer is the part asked for: zcp serve names it in
// Zcp-Part; a server without part= sends the whole tree without it.
bool part_honoured(const ResponseHead& head, uint32_t part, uint32_t parts) {
  auto h = head.header("Zcp-Part");
  return h && *h == std::to_string(part) + "/" + std::to_string(parts);
}

// One connection per part 2..N, each asked for its part and its answer
// checked (200, a tar, the right Zcp-Part) before any is read.
GetResultOr<std::vector<std::pair<HttpClient, ResponseHead>>> open_parts(const Url& url,
                                                                          uint32_t parts,
                                                                          const TreeGetOptions& opts) {
  std::vector<std::pair<HttpClient, ResponseHead>> out;
  std::vector<HttpClient> asked;
  for (uint32_t k = 2; k <= parts; ++k) {
    const std::string target = directory_target(url) + tar_query(k, parts);
    auto c = HttpClient::connect(url, opts.timeout, opts.tls);
    if (!c) return fail_as(connect_failure(c.status()), c.status());
    if (Status st = c->send_head("GET", target, {}); !st) return fail_as(GetFailure::kConnect, st);
    asked.push_back(std::move(*c));
  }
  for (uint32_t k = 2; k <= parts; ++k) {
    HttpClient& c = asked[k - 2];
    const std::string where = url_at(url, directory_target(url) + tar_query(k, parts));
    auto head = c.read_head();
    if (!head) return fail_as(classify_failure(head.status()), std::move(head).take_status().at(where));
    if (head->status != 200) return fail_as(GetFailure::kHttp, Status::invalid(refusal(c, *head)).at(where));
    if (!is_tar_answer(*head) || !part_honoured(*head, k, parts)) {
      return fail_as(GetFailure::kProtocol,
                     Status::invalid("not the tar part asked for (Zcp-Part: " +
                                     escape_peer_text(head->header("Zcp-Part").value_or("none"), 40) + ")")
                         .at(where));
    }
    out.emplace_back(std::move(c), std::move(*head));
  }
  return out;
}

// The streams of a parallel first copy, extracting side by side: the
// first error shuts every other socket down (their reads end at once) and
// is the one reported; progress sums them all.
class PartExtraction {
 public:
  PartExtraction(std::vector<std::pair<HttpClient, ResponseHead>>& parts, const TreeGetOptions& opts)
      : parts_(parts), opts_(opts), bytes_(parts.size(), 0), stats_(parts.size()) {}

  GetError run(int dest_fd, TreeGetResult& r);

 private:
  void extract_one(size_t i, int dest_fd);
  void failed(size_t i, GetError e);

  std::vector<std::pair<HttpClient, ResponseHead>>& parts_;
  const TreeGetOptions& opts_;
  std::mutex mu_;  // guards all below and opts_.progress
  GetError first_;
  TreeProgress progress_;
  std::vector<uint64_t> bytes_;  // per stream
  std::vector<ExtractStats> stats_;
};

GetError PartExtraction::run(int dest_fd, TreeGetResult& r) {
  std::vector<std::thread> threads;
  for (size_t i = 1; i < parts_.size(); ++i) threads.emplace_back([this, i, dest_fd] { extract_one(i, dest_fd); });
  extract_one(0, dest_fd);
  for (std::thread& t : threads) t.join();
  if (is_error(first_)) return first_;
  // Only now, with every file in place, the directories' modes and mtimes.
  std::vector<DirectoryMeta> dirs;
  for (ExtractStats& st : stats_) {
    std::move(st.pending_dirs.begin(), st.pending_dirs.end(), std::back_inserter(dirs));
    r.files += st.files;
    r.bytes += st.bytes;
    r.symlinks += st.symlinks;
    r.directories = std::max(r.directories, st.directories);  // every part has them all
  }
  if (Status s = apply_directory_meta(dest_fd, std::move(dirs)); !s) {
    return fail_as(GetFailure::kWrite, std::move(s));
  }
  r.streams = static_cast<int>(parts_.size());
  return {};
}

void PartExtraction::extract_one(size_t i, int dest_fd) {
  auto& [client, head] = parts_[i];
  BodyReader body = client.body(head);
  body.set_read_ahead(kTarReadAhead);
  auto engine = make_recv_engine(opts_.engine);
  if (!engine) return failed(i, fail_as(GetFailure::kUsage, engine.status()));
  ExtractOptions eo = opts_.extract;
  eo.symlinks = true;
  eo.replace = true;
  eo.fsync = opts_.fsync;
  eo.shared_dest = true;
  std::function<void(uint64_t)> report;
  if (opts_.progress) {
    report = [this, i](uint64_t bytes) {
      std::lock_guard<std::mutex> lock(mu_);
      progress_.bytes_done += bytes - bytes_[i];
      bytes_[i] = bytes;
      opts_.progress(progress_);
    };
    eo.file_done = [this](const std::string&, uint64_t) {
      std::lock_guard<std::mutex> lock(mu_);
      ++progress_.files_done;
      opts_.progress(progress_);
    };
  }
  auto stats = extract_tar_at(body, dest_fd, **engine, report, eo);
  if (!stats) return failed(i, fail_as(classify_failure(stats.status()), stats.status()));
  std::lock_guard<std::mutex> lock(mu_);
  stats_[i] = std::move(*stats);
}

// The first failure is kept; the other streams' sockets are shut down so
// their extraction ends now (with errors of their own, not reported).
void PartExtraction::failed(size_t i, GetError e) {
  std::lock_guard<std::mutex> lock(mu_);
  if (is_error(first_)) return;
  first_ = std::move(e);
  for (size_t k = 0; k < parts_.size(); ++k) {
    if (k != i) ::shutdown(parts_[k].first.fd(), SHUT_RDWR);
  }
}

GetError extract_all(HttpClient& client, const ResponseHead& head, const TreeGetOptions& opts,
                     TreeGetResult& r) {
  BodyReader body = client.body(head);
  body.set_read_ahead(kTarReadAhead);  // the connection ends with this body
  auto engine = make_recv_engine(opts.engine);
  if (!engine) return fail_as(GetFailure::kUsage, engine.status());
  ExtractOptions eo = opts.extract;
  eo.symlinks = true;  // ?links=keep: links inside the tree stay links
  eo.replace = true;
  eo.fsync = opts.fsync;
  TreeProgress p;
  std::function<void(uint64_t)> report;
  if (opts.progress) {
    report = [&opts, &p](uint64_t bytes) {
      p.bytes_done = bytes;
      opts.progress(p);
    };
    eo.file_done = [&opts, &p](const std::string&, uint64_t) {
      ++p.files_done;
      opts.progress(p);
    };
  }
  auto stats = extract_tar(body, r.dest, **engine, report, eo);
  if (!stats) return fail_as(classify_failure(stats.status()), stats.status());
  r.files = stats->files;
  r.directories = stats->directories;
  r.bytes = stats->bytes;
  r.symlinks = stats->symlinks;
  return {};
}

// Not zcp serve's answer: a listing to crawl, or a refusal naming the URL.
GetResultOr<TreeGetResult> mirror_instead(const Url& url, HttpClient client,
                                          const ResponseHead& head, const TreeGetOptions& opts,
                                          TreeGetResult& r,
                                          std::chrono::steady_clock::time_point start) {
  if (!is_listing_answer(head)) {
    auto type = head.header("Content-Type").value_or("none");
    return fail_as(
        GetFailure::kProtocol,
        Status::invalid("neither zcp serve's tree nor a directory listing (Content-Type: " +
                        escape_peer_text(type, 100) + ")")
            .at(url.to_string()));
  }
  if (opts.checksum) {
    return fail_as(
        GetFailure::kUsage,
        Status::invalid("--checksum needs zcp serve's sha-256 digests; this server only lists "
                        "its directories (drop --checksum)")
            .at(url.to_string()));
  }
  return mirror_listings(url, std::move(client), head, opts, std::move(r), start);
}

GetResultOr<TreeGetResult> download_tree_from(const Url& url, const TreeGetOptions& opts, int hops);

// The start URL answered a redirect: the tree is asked again where it
// points, as single-file zcp get follows (at most kMaxRedirects, same
// scheme); DEST stays the one the first URL named.
GetResultOr<TreeGetResult> follow_start(const Url& url, const Url& asked, const ResponseHead& head,
                                        const TreeGetOptions& opts, const std::string& dest,
                                        int hops) {
  if (hops == kMaxRedirects) {
    return fail_as(GetFailure::kHttp,
                   Status::invalid("more than " + std::to_string(kMaxRedirects) + " redirects"));
  }
  auto next = follow_redirect(asked, std::string(*head.header("Location")));
  if (!next) return fail_as(GetFailure::kHttp, std::move(next).take_status());
  if (opts.notice) {
    opts.notice(url.to_string() + " redirected (" + std::to_string(head.status) + ") to " +
                next->to_string());
  }
  TreeGetOptions moved = opts;
  moved.dest = dest;
  next->target = next->target.substr(0, next->target.find('?'));  // our query is asked again
  return download_tree_from(*next, moved, hops + 1);
}

}  // namespace

GetResultOr<TreeGetResult> download_tree(const Url& url, const TreeGetOptions& opts) {
  return download_tree_from(url, opts, 0);
}

namespace {

GetResultOr<TreeGetResult> download_tree_from(const Url& url, const TreeGetOptions& opts,
                                              int hops) {
  const auto start = std::chrono::steady_clock::now();
  TreeGetResult r;
  r.name = tree_name(url);
  r.dest = !opts.dest.empty() ? opts.dest : (r.name.empty() ? "." : r.name);
  const bool first_copy = !opts.dry_run && !opts.checksum && empty_or_missing(r.dest);
  r.incremental = !first_copy;
  const uint32_t streams = first_copy ? tree_streams(opts.streams) : 1;
  Url req_url = url;
  req_url.target =
      directory_target(url) +
      (first_copy ? tar_query(1, streams)
                  : (opts.checksum ? "?format=manifest&digest=sha-256" : "?format=manifest"));
  // 1. Ask for the stream (or the manifest).
  auto client = HttpClient::connect(req_url, opts.timeout, opts.tls);
  if (!client) return fail_as(connect_failure(client.status()), client.status());
  if (Status st = client->send_head("GET", req_url.target, {}); !st) {
    return fail_as(GetFailure::kConnect, st);
  }
  auto head = client->read_head();
  if (!head) return fail_as(classify_failure(head.status()), head.status());
  if (is_redirect(head->status) && head->header("Location").value_or("") != "") {
    return follow_start(url, req_url, *head, opts, r.dest, hops);
  }
  if (head->status != 200) {
    std::string why = refusal(*client, *head);
    if (head->status == 404 && names_a_file(url, opts.timeout, opts.tls)) {
      why = "not a directory: the URL names a file (drop -r to download it)";
    }
    return fail_as(GetFailure::kHttp, Status::invalid(why));
  }
  // 2. Another server (nginx, lighttpd...) answers with its listing: never
  // fed to the extractor, crawled instead (tree_crawl.h).
  // A manifest's own check (its magic line) judges any other answer.
  if (is_listing_answer(*head) || (first_copy && !is_tar_answer(*head))) {
    return mirror_instead(url, std::move(*client), *head, opts, r, start);
  }
  // 3. Only now, with the server's tree on its way, does DEST come to be.
  if (first_copy && streams > 1 && part_honoured(*head, 1, streams)) {
    auto more = open_parts(url, streams, opts);
    if (!more) return std::move(more).take_error();
    if (GetError e = make_dest(r.dest); is_error(e)) return e;
    auto dest_fd = open_file(r.dest, O_PATH | O_DIRECTORY);
    if (!dest_fd) return fail_as(GetFailure::kWrite, std::move(dest_fd).take_status());
    more->emplace(more->begin(), std::move(*client), std::move(*head));
    PartExtraction parts(*more, opts);
    if (GetError e = parts.run(dest_fd->get(), r); is_error(e)) return e;
    r.seconds = seconds_since(start);
    return r;
  }
  if (first_copy) {  // one stream; or a server without part=, whose answer is the whole tree
    if (GetError e = make_dest(r.dest); is_error(e)) return e;
    if (GetError e = extract_all(*client, *head, opts, r); is_error(e)) return e;
    r.seconds = seconds_since(start);
    return r;
  }
  // 4. Incremental: plan from the manifests, list or carry it out.
  auto plan = plan_pull(*client, r.dest, opts, *head);
  if (!plan) return std::move(plan).take_error();
  r.skipped = plan->skipped;
  r.directories = plan->dirs.size();
  if (opts.dry_run) {
    for (const std::string& p : plan->remove) {
      if (opts.listed) opts.listed('-', p);
      ++r.deleted;
    }
    for (const ManifestEntry& e : plan->transfer) {
      if (opts.listed) opts.listed('+', e.path);
      e.type == 'l' ? ++r.symlinks : ++r.files;
    }
    r.bytes = plan->bytes;
    r.seconds = seconds_since(start);
    return r;
  }
  if (GetError e = make_dest(r.dest); is_error(e)) return e;
  std::optional<HttpClient> reuse;
  if (head->keep_alive) reuse.emplace(std::move(*client));  // else the manifest's end was the close
  if (GetError e = run_pull(url, std::move(reuse), *plan, opts, r); is_error(e)) return e;
  r.seconds = seconds_since(start);
  return r;
}

}  // namespace

}  // namespace zcp
