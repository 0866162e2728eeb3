#include "zcp/client/listing_parse.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "zcp/http/validators.h"

namespace zcp {
namespace {

constexpr size_t kNameMax = 255;  // NAME_MAX: a longer name cannot land

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

size_t find_ci(std::string_view text, std::string_view word, size_t from) {
  for (size_t i = from; i + word.size() <= text.size(); ++i) {
    size_t k = 0;
    while (k < word.size() && lower(text[i + k]) == word[k]) ++k;
    if (k == word.size()) return i;
  }
  return std::string_view::npos;
}

// The value of attribute `name` inside a tag's text (after "<a"), quoted
// or not; nullopt when absent.
std::optional<std::string_view> attribute(std::string_view tag, std::string_view name) {
  for (size_t at = find_ci(tag, name, 0); at != std::string_view::npos;
       at = find_ci(tag, name, at + 1)) {
    if (at == 0 || !space(tag[at - 1])) continue;
    size_t i = at + name.size();
    while (i < tag.size() && space(tag[i])) ++i;
    if (i >= tag.size() || tag[i] != '=') continue;
    ++i;
    while (i < tag.size() && space(tag[i])) ++i;
    if (i >= tag.size()) return std::nullopt;
    if (tag[i] == '"' || tag[i] == '\'') {
      size_t close = tag.find(tag[i], i + 1);
      if (close == std::string_view::npos) return std::nullopt;
      return tag.substr(i + 1, close - i - 1);
    }
    size_t stop = i;
    while (stop < tag.size() && !space(tag[stop])) ++stop;
    return tag.substr(i, stop - i);
  }
  return std::nullopt;
}

// HTML character references in an attribute: the named five and &#N; /
// &#xN; below 128 (servers percent-encode everything else).
std::string decode_entities(std::string_view s) {
  static const std::pair<std::string_view, char> kNamed[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  for (size_t i = 0; i < s.size();) {
    bool done = false;
    if (s[i] == '&') {
      for (const auto& [text, c] : kNamed) {
        if (s.substr(i, text.size()) == text) {
          out += c;
          i += text.size();
          done = true;
          break;
        }
      }
      size_t semi = s.find(';', i);
      if (!done && i + 2 < s.size() && s[i + 1] == '#' && semi != std::string_view::npos) {
        bool hex = s[i + 2] == 'x' || s[i + 2] == 'X';
        std::string_view digits = s.substr(i + (hex ? 3 : 2), semi - i - (hex ? 3 : 2));
        unsigned v = 0;
        auto [p, ec] =
            std::from_chars(digits.data(), digits.data() + digits.size(), v, hex ? 16 : 10);
        if (ec == std::errc() && p == digits.data() + digits.size() && v > 0 && v < 128) {
          out += static_cast<char>(v);
          i = semi + 1;
          done = true;
        }
      }
    }
    if (!done) out += s[i++];
  }
  return out;
}

bool acceptable_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.size() <= kNameMax;
}

enum class Href { kChild, kIgnored, kRefused };

// What one href is: a child of the listed directory (into `e`), a link the
// listing always has (sorting, the parent), or one leading elsewhere.
Href classify(const std::string& raw, std::string_view self_path, ListedEntry& e) {
  if (raw.empty() || raw[0] == '?' || raw[0] == '#') return Href::kIgnored;
  if (raw == ".." || raw == "../" || raw == "." || raw == "./") return Href::kIgnored;
  if (raw[0] == '/') {
    bool ancestor = raw.back() == '/' && self_path.substr(0, raw.size()) == raw;
    return ancestor ? Href::kIgnored : Href::kRefused;
  }
  std::string_view h = raw;
  if (h.substr(0, 2) == "./") {
    h.remove_prefix(2);  // nginx writes "./a:b" so that a colon is no scheme
  } else if (h.find(':') < h.find('/')) {
    return Href::kRefused;  // a scheme: http://other/, javascript:...
  }
  if (h.find_first_of("?#") != std::string_view::npos) return Href::kRefused;
  e.directory = !h.empty() && h.back() == '/';
  if (e.directory) h.remove_suffix(1);
  if (h.find('/') != std::string_view::npos) return Href::kRefused;
  auto name = decode_path_component(h);
  if (!name || !acceptable_name(*name)) return Href::kRefused;
  e.name = std::move(*name);
  return Href::kChild;
}

// nginx's autoindex line: "<a href=..>name</a>   01-Dec-2026 16:11   1234":
// the exact size (autoindex_exact_size on, its default) is the last word.
std::optional<uint64_t> nginx_size(std::string_view html, size_t after_tag) {
  size_t close = find_ci(html, "</a>", after_tag);
  if (close == std::string_view::npos) return std::nullopt;
  size_t eol = html.find('\n', close);
  std::string_view line =
      html.substr(close + 4, eol == std::string_view::npos ? eol : eol - close - 4);
  std::vector<std::string_view> words;
  for (size_t i = 0; i < line.size();) {
    while (i < line.size() && space(line[i])) ++i;
    size_t j = i;
    while (j < line.size() && !space(line[j])) ++j;
    if (j > i) words.push_back(line.substr(i, j - i));
    i = j;
  }
  if (words.size() != 3 || words[0].size() != 11 || words[0][2] != '-' || words[1].size() != 5) {
    return std::nullopt;
  }
  uint64_t size = 0;
  auto [p, ec] = std::from_chars(words[2].data(), words[2].data() + words[2].size(), size);
  if (ec != std::errc() || p != words[2].data() + words[2].size()) return std::nullopt;
  return size;
}

}  // namespace

std::optional<std::string> decode_path_component(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    unsigned v = 0;
    if (i + 2 >= text.size()) return std::nullopt;
    auto [p, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, v, 16);
    if (ec != std::errc() || p != text.data() + i + 3) return std::nullopt;
    out += static_cast<char>(v);
    i += 2;
  }
  if (out.find('/') != std::string::npos || out.find('\0') != std::string::npos)
    return std::nullopt;
  return out;
}

namespace {

// Adds `e` unless its name is listed already. The same name as a file and
// as a directory cannot both land: the directory stays (it may hold a
// tree, and it does not depend on the listing's order), the file is named
// in out.conflicts once.
void keep(Listing& out, std::unordered_map<std::string, size_t>& seen, ListedEntry e) {
  auto [it, fresh] = seen.emplace(e.name, out.entries.size());
  if (fresh) {
    out.entries.push_back(std::move(e));
    return;
  }
  ListedEntry& first = out.entries[it->second];
  if (first.directory == e.directory) return;
  if (std::find(out.conflicts.begin(), out.conflicts.end(), e.name) == out.conflicts.end()) {
    out.conflicts.push_back(e.name);
  }
  if (e.directory) first = std::move(e);
}

}  // namespace

Listing parse_html_listing(std::string_view html, std::string_view self_path) {
  Listing out;
  std::unordered_map<std::string, size_t> seen;
  for (size_t pos = find_ci(html, "<a", 0); pos != std::string_view::npos;
       pos = find_ci(html, "<a", pos)) {
    size_t end = html.find('>', pos);
    if (end == std::string_view::npos) break;
    std::string_view tag = html.substr(pos + 2, end - pos - 2);
    pos = end + 1;
    if (tag.empty() || !space(tag[0])) continue;  // <abbr>, <address>
    auto href = attribute(tag, "href");
    if (!href) continue;
    ListedEntry e;
    Href kind = classify(decode_entities(*href), self_path, e);
    if (kind == Href::kRefused) ++out.refused;
    if (kind != Href::kChild) continue;
    if (!e.directory) e.size = nginx_size(html, pos);
    // Apache links each name twice (icon and text): the first one counts.
    keep(out, seen, std::move(e));
  }
  return out;
}

std::optional<Listing> parse_json_listing(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);  // no exceptions in the core
  if (j.is_discarded() || !j.is_array()) return std::nullopt;
  Listing out;
  std::unordered_map<std::string, size_t> seen;
  for (const auto& item : j) {
    if (!item.is_object()) return std::nullopt;
    auto name = item.find("name");
    auto type = item.find("type");
    if (name == item.end() || type == item.end() || !name->is_string() || !type->is_string()) {
      return std::nullopt;
    }
    ListedEntry e;
    e.name = name->get_ref<const std::string&>();
    const auto& t = type->get_ref<const std::string&>();
    if (t != "file" && t != "directory") continue;  // links to nowhere, devices
    e.directory = t == "directory";
    if (!acceptable_name(e.name) ||
        e.name.find_first_of(std::string_view("/\0", 2)) != std::string::npos) {
      ++out.refused;
      continue;
    }
    auto size = item.find("size");
    if (!e.directory && size != item.end() && size->is_number_unsigned())
      e.size = size->get<uint64_t>();
    auto mtime = item.find("mtime");
    if (mtime != item.end() && mtime->is_string()) {
      e.mtime = parse_http_date(mtime->get_ref<const std::string&>());
    } else if (mtime != item.end() && mtime->is_number_integer()) {
      e.mtime = mtime->get<int64_t>();
    }
    keep(out, seen, std::move(e));
  }
  return out;
}

}  // namespace zcp
