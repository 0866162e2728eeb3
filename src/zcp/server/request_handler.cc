#include "zcp/server/request_handler.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cctype>
#include <memory>

#include "zcp/http/http_text.h"
#include "zcp/http/validators.h"
#include "zcp/server/dir_listing.h"
#include "zcp/server/manifest.h"
#include "zcp/server/file_cache.h"
#include "zcp/server/path_resolve.h"
#include "zcp/server/range.h"
#include "zcp/tar/tar_stream.h"

namespace zcp {
namespace {

bool wants_json(const HttpRequest& req, const RequestPath& path) {
  if (query_param(path.query, "format") == "json") return true;
  auto accept = req.header("Accept");
  return accept && accept->find("application/json") != std::string_view::npos &&
         accept->find("text/html") == std::string_view::npos;
}

Response redirect_to_directory(const RequestPath& path) {
  Response r = error_response(301);
  std::string location = "/" + percent_encode_path(path.relative) + "/";
  if (!path.query.empty()) location += "?" + path.query;
  r.set("Location", location);
  return r;
}

// Browsers save the stream as "<directory>.tar" ("root.tar" for the root):
// an ASCII fallback, and the name itself per RFC 6266 / RFC 8187.
std::string tar_disposition(const std::string& relative) {
  std::string base = relative == "." ? "root" : relative.substr(relative.rfind('/') + 1);
  std::string ascii;
  for (char c : base) {
    bool plain = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    ascii += plain ? c : '_';
  }
  return "attachment; filename=\"" + ascii + ".tar\"; filename*=UTF-8''" +
         percent_encode_path(base) + ".tar";
}

Response tar_response(const HttpRequest& req, const RequestPath& path, const HandlerConfig& cfg) {
  TarOptions opts;
  opts.dotfiles = cfg.dotfiles;
  opts.keep_links = query_param(path.query, "links") == "keep";  // tree sync (tree_manifest.h)
  opts.only = query_params(path.query, "only");  // a pull re-run's changed files (DESIGN.md)
  const std::string part = query_param(path.query, "part");
  if (!part.empty() && !parse_tree_part(part, &opts.part_index, &opts.part_count)) {
    return error_response(400, "part= must be K/N with 1 <= K <= N <= 64");
  }
  auto source = make_tar_source(cfg.root_fd, path.relative, opts);
  if (!source && source.status().code() == Code::kInvalid && !opts.only.empty()) {
    return error_response(400, "only= must name a path inside the directory");
  }
  if (!source) return error_response(500, source.status().to_string());
  Response r;
  // Says the part was honoured: a server without part= (zcp before it)
  // sends the whole tree and no such header, and the client falls back.
  if (!part.empty()) r.set("Zcp-Part", std::to_string(opts.part_index + 1) + "/" + std::to_string(opts.part_count));
  // Says the only= list was honoured whole: zcp before batches sends the
  // first alone, and its client then asks for the rest one GET each.
  if (!opts.only.empty()) r.set("Zcp-Only", std::to_string(opts.only.size()));
  r.set("Content-Type", "application/x-tar");
  r.set("Content-Disposition", tar_disposition(path.relative));
  bool http10 = req.version_major == 1 && req.version_minor == 0;
  if (http10) {
    r.close = true;  // HTTP/1.0 has no chunked encoding: the end of the body is the close
    r.source = std::move(*source);
  } else {
    r.set("Transfer-Encoding", "chunked");
    r.source = make_chunked_source(std::move(*source));
  }
  return r;
}

Response directory_response(const HttpRequest& req, const RequestPath& path, int dir_fd,
                            const HandlerConfig& cfg) {
  if (path.relative != "." && !path.trailing_slash) return redirect_to_directory(path);
  if (query_param(path.query, "format") == "tar") return tar_response(req, path, cfg);
  if (query_param(path.query, "format") == "manifest") return manifest_response(req, path, cfg);
  auto entries = list_directory(cfg.root_fd, dir_fd, cfg.dotfiles);
  if (!entries) return error_response(500, "cannot list directory");
  if (wants_json(req, path)) {
    return text_response(200, "application/json", render_json_listing(*entries));
  }
  ListingPage page;
  page.upload = cfg.upload;
  page.upload_token = cfg.upload_token;
  parse_listing_order(path.query, &page);
  sort_for_listing(&*entries, page);
  std::string url = path.relative == "." ? "/" : "/" + path.relative + "/";
  Response r =
      text_response(200, "text/html; charset=utf-8", render_html_listing(url, *entries, page));
  r.set("Content-Security-Policy", kListingCsp);
  return r;
}

// RFC 9530 section 4: "Want-Repr-Digest: sha-256=5" (any weight but 0),
// or the older RFC 3230 "Want-Digest: SHA-256".
bool wants_sha256(const HttpRequest& req) {
  for (const auto& [name, value] : req.headers) {
    if (!iequals(name, "Want-Repr-Digest") && !iequals(name, "Want-Digest")) continue;
    size_t start = 0;
    while (start <= value.size()) {
      size_t comma = value.find(',', start);
      if (comma == std::string::npos) comma = value.size();
      std::string_view item = trim_ows(std::string_view(value).substr(start, comma - start));
      std::string_view key = item.substr(0, item.find_first_of("=;"));
      std::string_view rest = item.substr(key.size());
      bool refused = rest == "=0" || rest == ";q=0";
      if (iequals(trim_ows(key), "sha-256") && !refused) return true;
      start = comma + 1;
    }
  }
  return false;
}

// 304 when the client's copy is current (If-None-Match wins over
// If-Modified-Since, as RFC 9110 13.2.2 orders them).
bool not_modified(const HttpRequest& req, const std::string& etag, int64_t mtime) {
  if (auto inm = req.header("If-None-Match")) return etag_list_matches(*inm, etag);
  if (auto ims = req.header("If-Modified-Since")) return not_modified_since(*ims, mtime);
  return false;
}

RangeResult requested_range(const HttpRequest& req, const std::string& etag, int64_t mtime,
                            uint64_t size) {
  auto range = req.header("Range");
  if (!range || req.method != "GET") return {};
  if (auto if_range = req.header("If-Range"); if_range && !if_range_matches(*if_range, etag, mtime)) {
    return {};  // the client's partial copy is stale: send it all
  }
  return parse_range(*range, size);
}

Response file_response(const HttpRequest& req, const RequestPath& path, const OpenFilePtr& file,
                       const HandlerConfig& cfg) {
  const struct stat& st = file->st;
  const auto size = static_cast<uint64_t>(st.st_size);
  const int64_t mtime = st.st_mtim.tv_sec;
  const std::string& etag = file->etag;
  Response r;
  r.headers.reserve(8);  // one allocation for the usual six or seven
  r.set("ETag", etag);
  r.set("Last-Modified", file->last_modified);
  if (not_modified(req, etag, mtime)) {
    r.status = 304;
    return r;
  }
  r.set("Accept-Ranges", "bytes");
  // Worked out once per open file, not per request (a cached entry serves
  // thousands); the entry belongs to this worker's thread alone.
  if (file->content_type.empty()) file->content_type = cfg.mime->lookup(path.relative);
  r.set("Content-Type", file->content_type);
  if (cfg.digests) {
    // The digest of the whole representation (RFC 9530), also on 206. A
    // client that asks for it (Want-Repr-Digest) waits for the hash rather
    // than get none; the others never pay for it.
    if (file->repr_digest.empty()) {
      auto d = cfg.digests->lookup(file->fd.get(), st);
      if (!d && wants_sha256(req)) d = cfg.digests->lookup_now(file->fd.get(), st);
      if (d) file->repr_digest = repr_digest_value(*d);  // for the same (dev, inode, size, mtime)
    }
    if (!file->repr_digest.empty()) r.set("Repr-Digest", file->repr_digest);
  }
  RangeResult range = requested_range(req, etag, mtime, size);
  uint64_t first = 0, count = size;
  if (range.kind == RangeResult::Kind::kUnsatisfiable) {
    Response bad = error_response(416);
    bad.set("Content-Range", "bytes */" + std::to_string(size));
    return bad;
  }
  // Several ranges get the whole file with 200 (RFC 9110 allows ignoring
  // Range); multipart/byteranges buys clients nothing they use.
  if (range.kind == RangeResult::Kind::kSatisfiable && range.ranges.size() == 1) {
    first = range.ranges[0].first;
    count = range.ranges[0].length();
    r.status = 206;
    r.set("Content-Range", "bytes " + std::to_string(first) + "-" +
                               std::to_string(range.ranges[0].last) + "/" + std::to_string(size));
  }
  r.set("Content-Length", std::to_string(count));
  if (count == 0 || req.method == "HEAD") return r;
  // Both alias `file` (the cache's entry or a fresh one): no allocation.
  if (file->has_bytes && count <= cfg.copy_below) {
    r.body.push_back(
        Segment::shared_bytes(std::shared_ptr<const std::string>(file, &file->bytes), first, count));
  } else {
    r.body.push_back(Segment::file_range(std::shared_ptr<UniqueFd>(file, &file->fd), first, count,
                                         path.relative));
  }
  return r;
}

Response route(const HttpRequest& req, const HandlerConfig& cfg) {
  if (req.method != "GET" && req.method != "HEAD") {
    Response r = error_response(405, req.method);
    r.set("Allow", "GET, HEAD");
    return r;
  }
  PathError perr;
  auto path = parse_request_path(req.target, &perr);
  if (!path) return error_response(perr.status, perr.reason);
  if (!cfg.dotfiles && has_dot_segment(path->relative)) return error_response(404);
  // The same open_beneath either way, after the same checks: the cache
  // cannot let a path through that a fresh open would refuse.
  auto file = cfg.files ? cfg.files->open(path->relative, FileCache::Clock::now(), &perr)
                        : open_fresh(cfg.root_fd, path->relative, cfg.copy_below, &perr);
  if (!file) {
    Response r = error_response(perr.status);
    if (perr.status == 503) r.set("Retry-After", "1");
    return r;
  }
  const struct stat& st = (*file)->st;
  if (S_ISDIR(st.st_mode)) return directory_response(req, *path, (*file)->fd.get(), cfg);
  if (!S_ISREG(st.st_mode)) return error_response(403);
  // "/a.bin/" names a directory that is not there (openat2 with a trailing
  // slash would say ENOTDIR; "/a.bin/." loses its dot before it).
  if (path->trailing_slash) return error_response(404, "not a directory");
  return file_response(req, *path, *file, cfg);
}

}  // namespace

Response handle_request(const HttpRequest& req, const HandlerConfig& cfg) {
  Response r = route(req, cfg);
  if (req.method == "HEAD") {
    r.head_only = true;
    r.body.clear();
    r.source.reset();
  }
  if ((req.content_length && *req.content_length > 0) || req.chunked) r.close = true;
  return r;
}

}  // namespace zcp
