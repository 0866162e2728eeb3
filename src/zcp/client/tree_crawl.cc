#include "zcp/client/tree_crawl.h"

#include <fcntl.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <optional>

#include "zcp/base/escape.h"
#include "zcp/base/stats.h"
#include "zcp/client/listing_parse.h"
#include "zcp/client/redirect.h"
#include "zcp/client/refusal.h"
#include "zcp/client/tree_plan.h"
#include "zcp/client/tree_pull.h"
#include "zcp/http/validators.h"

namespace zcp {
namespace {

GetError failed(GetFailure kind, Status s) { return GetError{kind, std::move(s)}; }
bool is_error(const GetError& e) { return e.kind != GetFailure::kNone; }

// What a listing says, names in order with type, size and mtime, hashed:
// equal for a directory and a link to it (nginx lists both alike).
uint64_t fingerprint(const Listing& listing) {
  std::vector<const ListedEntry*> sorted;
  for (const ListedEntry& e : listing.entries) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(),
            [](const ListedEntry* a, const ListedEntry* b) { return a->name < b->name; });
  std::string text;
  for (const ListedEntry* e : sorted) {
    text += e->name;
    text += e->directory ? "/\n" : "\n";
    text += std::to_string(e->size.value_or(UINT64_MAX)) + " " +
            std::to_string(e->mtime.value_or(INT64_MIN)) + "\n";
  }
  return std::hash<std::string>{}(text);
}

std::string_view content_type(const ResponseHead& head) {
  return head.header("Content-Type").value_or("");
}

// A listing needs no more than one read per 64 KiB.
constexpr size_t kListingRead = 64 * 1024;

// The breadth-first walk over listings, one keep-alive connection, each
// directory URL asked once: every path is built here from a checked
// single-component name, so a child's URL is always longer than its
// parent's and nothing is asked twice. A server-side link loop (a/x -> .)
// shows as a listing identical to an ancestor's: it is not followed, so
// branching loops (a/x -> ., a/y -> .) cost one request per link instead
// of doubling per level up to kMaxCrawlEntries; kMaxCrawlDepth bounds any
// loop that changes its listing as it goes.
class Crawler {
 public:
  Crawler(const Url& url, const TreeGetOptions& o) : url_(url), o_(o) {}
  GetError run(HttpClient client, const ResponseHead& head);
  GetError connect();

  std::vector<ManifestEntry> entries;
  bool complete = true;              // false: a directory was not listed (depth bound, refusal)
  uint64_t failures = 0;             // listings refused, files lost to a name conflict
  std::optional<HttpClient> client;  // the connection, for the files

 private:
  // A directory to list: its path beneath DEST, its depth, and where a
  // redirect moved its listing (then its children are asked there too).
  struct Pending {
    std::string path;
    int depth;
    std::optional<Url> moved;
    size_t parent;  // the parent's listing in listed_
  };
  // Each listing read: its fingerprint and its parent's index (or kTop).
  struct Listed {
    uint64_t fingerprint;
    size_t parent;
  };
  static constexpr size_t kTop = SIZE_MAX;
  bool repeats_an_ancestor(uint64_t fingerprint, size_t parent) const;
  void skip_loop(const std::string& path, const std::string& target);
  GetError read_listing(HttpClient& c, const ResponseHead& head, const std::string& target,
                        Listing& out);
  GetError request_listing(const Url& at, Listing& out, std::optional<Url>& moved);
  GetError add(const Listing& listing, const std::string& prefix, int depth,
               const std::string& target, const std::optional<Url>& moved, size_t node);
  void notice(const std::string& text) {
    if (o_.notice) o_.notice(text);
  }

  const Url& url_;
  const TreeGetOptions& o_;
  std::deque<Pending> queue_;
  bool warned_depth_ = false;
  bool warned_loop_ = false;
  std::vector<Listed> listed_;
  // Skipped links are named for the first few listings, then summed once.
  static constexpr int kRefusalNotices = 3;
  int refusing_listings_ = 0;
  uint64_t refused_unsaid_ = 0;
};

GetError Crawler::run(HttpClient first, const ResponseHead& head) {
  client.emplace(std::move(first));
  const std::string root = directory_target(url_);
  Listing listing;
  if (GetError e = read_listing(*client, head, root, listing); is_error(e)) return e;
  listed_.push_back({fingerprint(listing), kTop});
  if (GetError e = add(listing, "", 0, root, std::nullopt, 0); is_error(e)) return e;
  while (!queue_.empty()) {
    auto [path, depth, moved, parent] = std::move(queue_.front());
    queue_.pop_front();
    Url at = moved.value_or(url_);
    if (!moved) at.target = root + encode_path(path) + "/";
    if (GetError e = request_listing(at, listing, moved); is_error(e)) {
      if (e.kind != GetFailure::kHttp) return e;
      // A refused listing (403, 404) costs its directory, not the mirror;
      // --delete is then not applied (its files would look extra).
      notice(e.status.to_string());
      ++failures;
      complete = false;
      continue;
    }
    const uint64_t print = fingerprint(listing);
    if (repeats_an_ancestor(print, parent)) {
      skip_loop(path, at.target);
      continue;
    }
    listed_.push_back({print, parent});
    if (GetError e = add(listing, path, depth, at.target, moved, listed_.size() - 1); is_error(e))
      return e;
  }
  if (refused_unsaid_ > 0) {
    notice(url_.to_string() + ": skipped " + std::to_string(refused_unsaid_) +
           " more link(s) leading outside the tree in other listings");
  }
  // Parents before children, names in byte order: a walk's order.
  std::sort(entries.begin(), entries.end(),
            [](const ManifestEntry& a, const ManifestEntry& b) { return a.path < b.path; });
  return {};
}

bool Crawler::repeats_an_ancestor(uint64_t print, size_t parent) const {
  for (size_t i = parent; i != kTop; i = listed_[i].parent) {
    if (listed_[i].fingerprint == print) return true;
  }
  return false;
}

// A loop's directory is left out (not made empty in DEST) and --delete
// not applied: a tree that merely looks like its parent loses nothing.
void Crawler::skip_loop(const std::string& path, const std::string& target) {
  if (!warned_loop_) {
    notice(url_at(url_, target) + ": lists the same entries as a directory above it (a link " +
           "loop?): not followed (said once)");
  }
  warned_loop_ = true;
  complete = false;
  auto it = std::find_if(entries.rbegin(), entries.rend(),
                         [&](const ManifestEntry& m) { return m.path == path; });
  if (it != entries.rend()) entries.erase(std::next(it).base());
}

GetError Crawler::connect() {
  if (client) return {};
  auto c = HttpClient::connect(url_, o_.timeout, o_.tls);
  if (!c) return failed(connect_failure(c.status()), c.status());
  client.emplace(std::move(*c));
  return {};
}

// The listing at `at`, following redirects; `moved` becomes where it was
// read when that is not where it was asked.
GetError Crawler::request_listing(const Url& at, Listing& out, std::optional<Url>& moved) {
  std::optional<HttpClient> other;
  auto answer = get_following(client, other, url_, at, {}, o_);
  if (!answer) return std::move(answer).take_error();
  if (answer->url.to_string() != at.to_string()) {
    moved = answer->url;
    moved->target = directory_target(answer->url);
  }
  return read_listing(*answer->client, answer->head, moved ? moved->target : at.target, out);
}

// The body of a listing, bounded by kMaxListingBytes, parsed as its
// Content-Type says.
GetError Crawler::read_listing(HttpClient& c, const ResponseHead& head, const std::string& target,
                               Listing& out) {
  // The start URL is in every message already (the CLI's prefix).
  const std::string where = target == directory_target(url_) ? "" : url_at(url_, target);
  if (head.status != 200) {
    Status s = Status::invalid(refusal(c, head)).at(where);
    client.reset();
    return failed(GetFailure::kHttp, s);
  }
  if (!is_listing_answer(head)) {
    client.reset();
    return failed(GetFailure::kProtocol,
                  Status::invalid("not a directory listing (Content-Type: " +
                                  escape_peer_text(content_type(head), 100) + ")")
                      .at(where));
  }
  BodyReader body = c.body(head);
  std::string text;
  // A listing trickling in under the idle timeout would hold the crawl
  // without end: each one must arrive whole within kListingTimeFactor x
  // --timeout (2 minutes at the default 30 s).
  const auto deadline = std::chrono::steady_clock::now() + kListingTimeFactor * o_.timeout;
  for (;;) {
    if (std::chrono::steady_clock::now() > deadline) {
      client.reset();
      const auto bound =
          std::chrono::duration_cast<std::chrono::seconds>(kListingTimeFactor * o_.timeout);
      return failed(GetFailure::kConnect,
                    Status::invalid("listing not complete after " + std::to_string(bound.count()) +
                                    " s (zcp's bound: " + std::to_string(kListingTimeFactor) +
                                    " x --timeout): not mirrored")
                        .at(where.empty() ? url_.to_string() : where));
    }
    auto n = body.read(text, kListingRead);
    if (!n) {
      client.reset();
      return failed(classify_failure(n.status()), std::move(n).take_status().at(where));
    }
    if (*n == 0) break;
    if (text.size() > kMaxListingBytes) {
      client.reset();
      return failed(
          GetFailure::kProtocol,
          Status::invalid("listing larger than 8 MiB (zcp's bound): not mirrored").at(where));
    }
  }
  if (!head.keep_alive || !body.done()) client.reset();
  if (content_type(head).find("json") != std::string_view::npos) {
    auto parsed = parse_json_listing(text);
    if (!parsed)
      return failed(GetFailure::kProtocol,
                    Status::invalid("not a JSON directory listing").at(where));
    out = std::move(*parsed);
  } else {
    out = parse_html_listing(text, target);
  }
  return {};
}

GetError Crawler::add(const Listing& listing, const std::string& prefix, int depth,
                      const std::string& target, const std::optional<Url>& moved, size_t node) {
  if (listing.refused > 0 && ++refusing_listings_ <= kRefusalNotices) {
    notice(url_at(url_, target) + ": skipped " + std::to_string(listing.refused) +
           " link(s) leading outside the tree");
  } else {
    refused_unsaid_ += listing.refused;
  }
  for (const std::string& name : listing.conflicts) {
    notice(url_at(url_, target) + ": lists both a file and a directory named '" + name +
           "': the directory is mirrored, the file is not");
    ++failures;
  }
  for (const ListedEntry& l : listing.entries) {
    if (entries.size() >= kMaxCrawlEntries) {
      return failed(GetFailure::kProtocol,
                    Status::invalid("more than 1000000 entries (zcp's bound): not mirrored")
                        .at(url_.to_string()));
    }
    ManifestEntry m;
    m.path = prefix.empty() ? l.name : prefix + "/" + l.name;
    if (l.directory) {
      if (depth + 1 > kMaxCrawlDepth) {
        complete = false;
        if (!warned_depth_)
          notice(url_at(url_, target) +
                 ": more than 64 directories deep (a link loop?): not followed");
        warned_depth_ = true;
        continue;
      }
      m.type = 'd';
      m.mode = 0755;
      m.mtime = l.mtime.value_or(-1);
      std::optional<Url> child;
      if (moved) {
        child = moved;
        child->target += encode_path(l.name) + "/";
      }
      queue_.push_back({m.path, depth + 1, std::move(child), node});
    } else {
      m.type = 'f';
      m.mode = 0644;
      m.mtime = -1;  // never "current" by the quick check: If-Modified-Since decides
      m.size = l.size.value_or(kUnlistedSize);
      if (moved) m.target = moved->to_string() + encode_path(l.name);  // where it is asked
    }
    entries.push_back(std::move(m));
  }
  return {};
}

// --dry-run: would this file be fetched? A HEAD with If-Modified-Since
// answers it as the GET would (304: no).
Result<bool> would_fetch(Crawler& c, const Url& url, const ManifestEntry& e,
                         const ManifestIndex& local) {
  auto it = local.find(e.path);
  if (it == local.end() || it->second.type != 'f') return true;
  if (e.size != kUnlistedSize && e.size != it->second.size) return true;
  if (GetError err = c.connect(); is_error(err)) return err.status;
  const std::string target = directory_target(url) + encode_path(e.path);
  Status s =
      c.client->send_head("HEAD", target, {{"If-Modified-Since", http_date(it->second.mtime)}});
  auto head = s ? c.client->read_head(true) : Result<ResponseHead>(s);
  if (!head) {
    c.client.reset();
    return std::move(head).take_status();
  }
  if (!head->keep_alive) c.client.reset();
  return head->status != 304;
}

GetError dry_run(Crawler& c, const Url& url, const SyncPlan& plan, const ManifestIndex& local,
                 const TreeGetOptions& o, TreeGetResult& r) {
  for (const std::string& p : plan.remove) {
    if (o.listed) o.listed('-', p);
    ++r.deleted;
  }
  for (const ManifestEntry& e : plan.transfer) {
    auto fetch = would_fetch(c, url, e, local);
    if (!fetch) return failed(classify_failure(fetch.status()), fetch.status());
    if (!*fetch) {
      ++r.skipped;
      continue;
    }
    if (o.listed) o.listed('+', e.path);
    ++r.files;
    if (e.size != kUnlistedSize) r.bytes += e.size;
  }
  return {};
}


bool same_origin(const Url& a, const Url& b) {
  return a.tls == b.tls && a.host == b.host && a.port == b.port;
}

}  // namespace

GetResultOr<Followed> get_following(std::optional<HttpClient>& c, std::optional<HttpClient>& other,
                                    const Url& start, const Url& at, const HeaderList& headers,
                                    const TreeGetOptions& o) {
  Url now = at;
  for (int hops = 0;; ++hops) {
    std::optional<HttpClient>& conn = same_origin(now, start) ? c : other;
    if (!conn) {
      auto fresh = HttpClient::connect(now, o.timeout, o.tls);
      if (!fresh) return failed(connect_failure(fresh.status()), fresh.status());
      conn.emplace(std::move(*fresh));
    }
    if (Status s = conn->send_head("GET", now.target, headers); !s) {
      conn.reset();
      return failed(GetFailure::kConnect, s);
    }
    auto head = conn->read_head();
    if (!head) {
      conn.reset();
      return failed(classify_failure(head.status()), std::move(head).take_status());
    }
    const std::string location(head->header("Location").value_or(""));
    if (!is_redirect(head->status) || location.empty())
      return Followed{&*conn, std::move(*head), now};
    conn.reset();  // the redirect's body is not read: its connection goes
    if (hops == kMaxRedirects) {
      return failed(GetFailure::kHttp,
                    Status::invalid("more than " + std::to_string(kMaxRedirects) + " redirects")
                        .at(at.to_string()));
    }
    auto next = follow_redirect(now, location);
    if (!next) return failed(GetFailure::kHttp, std::move(next).take_status().at(at.to_string()));
    now = std::move(*next);
  }
}

bool is_tar_answer(const ResponseHead& head) {
  return content_type(head).substr(0, 17) == "application/x-tar";
}

bool is_listing_answer(const ResponseHead& head) {
  std::string_view type = content_type(head);
  return type.find("text/html") != std::string_view::npos ||
         type.find("json") != std::string_view::npos;
}

GetResultOr<TreeGetResult> mirror_listings(const Url& url, HttpClient client,
                                           const ResponseHead& head, const TreeGetOptions& o,
                                           TreeGetResult r,
                                           std::chrono::steady_clock::time_point start) {
  if (o.notice) o.notice(url.to_string() + " is not zcp serve: mirroring its directory listings");
  // 1. Every listing, before DEST is touched.
  Crawler crawler(url, o);
  if (GetError e = crawler.run(std::move(client), head); is_error(e)) return e;
  r.failed = crawler.failures;
  // 2. What DEST has (nothing when missing).
  ManifestIndex local;
  std::error_code ec;
  if (std::filesystem::is_directory(r.dest, ec)) {
    auto scanned = scan_local_tree(r.dest, true);
    if (!scanned) return failed(GetFailure::kWrite, scanned.status());
    local = std::move(*scanned);
  }
  // 3. The plan: every listed file is asked (conditionally when DEST has it).
  const bool delete_extra = o.delete_extra && crawler.complete && crawler.failures == 0;
  if (o.delete_extra && !delete_extra && o.notice) {
    o.notice(crawler.complete ? "--delete not applied: some listed files will not be fetched"
                              : "--delete not applied: some directories were not listed");
  }
  auto plan = plan_sync(crawler.entries, local, false, delete_extra, nullptr);
  if (!plan) return failed(classify_failure(plan.status()), plan.status());
  std::erase_if(plan->remove, has_dot_component);  // as with zcp serve: DEST's dotfiles stay
  plan->bytes = 0;
  for (const ManifestEntry& e : plan->transfer) plan->bytes += e.size == kUnlistedSize ? 0 : e.size;
  r.incremental = true;
  r.directories = plan->dirs.size();
  if (o.dry_run) {
    if (GetError e = dry_run(crawler, url, *plan, local, o, r); is_error(e)) return e;
    r.seconds = seconds_since(start);
    return r;
  }
  // 4. Only now does DEST come to be; then the files, one GET each.
  if (GetError e = make_dest(r.dest); is_error(e)) return e;
  if (GetError e = run_pull(url, std::move(crawler.client), *plan, o, r, PullMode::kListings);
      is_error(e)) {
    return e;
  }
  r.seconds = seconds_since(start);
  return r;
}

}  // namespace zcp
