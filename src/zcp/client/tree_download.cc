#include "zcp/client/tree_download.h"

#include <sys/stat.h>

#include <filesystem>

#include "zcp/base/escape.h"
#include "zcp/base/stats.h"
#include "zcp/client/redirect.h"
#include "zcp/client/refusal.h"
#include "zcp/client/tree_crawl.h"
#include "zcp/client/tree_pull.h"
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
  Url req_url = url;
  req_url.target =
      directory_target(url) +
      (first_copy ? "?format=tar&links=keep"
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
  if (first_copy) {
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
