#include "zcp/client/tree_plan.h"

#include <fcntl.h>

#include <cerrno>
#include <unordered_set>

#include "zcp/http/body_reader.h"

namespace zcp {
namespace {

bool same_content(const ManifestEntry& s, const ManifestEntry& d) {
  if (s.type == 'l') return s.target == d.target;
  return s.size == d.size && s.mtime == d.mtime;
}

// Whether `path` lies beneath one of the (sorted-walk) removed prefixes.
bool under(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}

// Whether the destination holds anything beneath the directory `dir`.
bool holds_entries(const ManifestIndex& dest, const std::string& dir) {
  for (const auto& [path, e] : dest) {
    if (under(path, dir)) return true;
  }
  return false;
}

}  // namespace

Result<SyncPlan> plan_sync(const std::vector<ManifestEntry>& source, const ManifestIndex& dest,
                           bool checksum, bool delete_extra, const ShaOf& sha_of) {
  SyncPlan plan;
  std::unordered_set<std::string> in_source;
  in_source.reserve(source.size() * 2);
  std::string replaced_dir;  // the last destination directory replaced: its contents go with it
  for (const ManifestEntry& s : source) {
    if (s.type == 'o') continue;  // not part of the source tree (a pull never asks for these)
    in_source.insert(s.path);
    auto it = dest.find(s.path);
    const bool gone_with_parent = !replaced_dir.empty() && under(s.path, replaced_dir);
    const ManifestEntry* d = (it == dest.end() || gone_with_parent) ? nullptr : &it->second;
    if (d && d->type != s.type) {
      // A directory becoming a file takes what is in it along: files the
      // source never had. As rsync does, only --delete may remove them.
      if (d->type == 'd' && !delete_extra && holds_entries(dest, s.path)) {
        return Status(Code::kInvalid, "replace",
                      "a directory with files in it here, not one on the source: "
                      "not replaced without --delete",
                      EISDIR)
            .at(s.path);
      }
      plan.replace.push_back(s.path);
      if (d->type == 'd') replaced_dir = s.path;
      d = nullptr;
    }
    if (s.type == 'd') {
      plan.dirs.push_back(s);
      continue;
    }
    ++plan.files_total;
    bool current = d && same_content(s, *d);
    if (d && s.type == 'f' && checksum) {
      current = s.size == d->size;
      if (current) {
        auto a = sha_of(s, true);
        if (!a) return std::move(a).take_status();
        auto b = sha_of(*d, false);
        if (!b) return std::move(b).take_status();
        current = *a == *b;
      }
    }
    if (current) {
      ++plan.skipped;
      if (s.type == 'f' && (s.mode != d->mode || s.mtime != d->mtime)) plan.touch.push_back(s);
      continue;
    }
    plan.transfer.push_back(s);
    plan.bytes += s.size;
  }
  if (delete_extra) {
    // Top-most only: removing a directory removes what is in it.
    std::vector<std::string> extra;
    for (const auto& [path, e] : dest) {
      if (!in_source.count(path)) extra.push_back(path);
    }
    std::sort(extra.begin(), extra.end());
    for (const std::string& p : extra) {
      if (!plan.remove.empty() && under(p, plan.remove.back())) continue;
      plan.remove.push_back(p);
    }
  }
  return plan;
}

namespace {

Result<std::vector<ManifestEntry>> walk(const std::string& dir, bool dotfiles, bool all_links) {
  auto root = open_file(dir, O_PATH | O_DIRECTORY);
  if (!root) return std::move(root).take_status();
  WalkOptions o;
  o.dotfiles = dotfiles;
  o.all_links = all_links;
  auto w = TreeWalker::open(root->get(), ".", o);
  if (!w) return std::move(w).take_status().at(dir);
  std::vector<ManifestEntry> out;
  for (;;) {
    auto e = w->next();
    if (!e) return std::move(e).take_status();
    if (!*e) return out;
    out.push_back(std::move(**e));
  }
}

}  // namespace

Result<std::vector<ManifestEntry>> walk_local_tree(const std::string& dir, bool dotfiles) {
  return walk(dir, dotfiles, false);
}

Result<ManifestIndex> scan_local_tree(const std::string& dir, bool dotfiles) {
  auto all = walk(dir, dotfiles, true);
  if (!all) return std::move(all).take_status();
  ManifestIndex index;
  index.reserve(all->size() * 2);
  for (ManifestEntry& e : *all) {
    std::string key = e.path;
    index.emplace(std::move(key), std::move(e));
  }
  return index;
}

Result<std::vector<ManifestEntry>> read_manifest(BodyReader& body) {
  std::vector<ManifestEntry> out;
  std::string buf;
  size_t pos = 0;
  bool magic = false;
  for (;;) {
    size_t nl = buf.find('\n', pos);
    if (nl == std::string::npos) {
      buf.erase(0, pos);
      pos = 0;
      if (buf.size() > kMaxManifestLine) return Status(Code::kInvalid, "manifest", "line too long");
      auto n = body.read(buf, 64 * 1024);
      if (!n) return std::move(n).take_status();
      if (*n == 0) return Status(Code::kPeerClosed, "manifest", "ends before its end line");
      continue;
    }
    std::string_view line(buf.data() + pos, nl - pos);
    pos = nl + 1;
    if (!magic) {
      if (line != kManifestMagic) return Status(Code::kInvalid, "manifest", "not a zcp manifest");
      magic = true;
      continue;
    }
    if (is_manifest_end(line)) return out;
    auto e = parse_manifest_line(line);
    if (!e) return std::move(e).take_status();
    out.push_back(std::move(*e));
  }
}

std::string encode_path(const std::string& path) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-' || c == '~' || c == '/';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace zcp
