// The HTML directory listing (render_html_listing, declared in
// dir_listing.h): one self-contained page, inline style and script, no
// external resources. It works without script (sorting by links that ask
// the server, ?sort=&order=); the script sorts in place and uploads.
// A row is ~145 bytes plus the name twice: 10,000 entries make ~1.7 MB.
#include <fmt/format.h>

#include <ctime>

#include "zcp/base/byte_size.h"
#include "zcp/server/dir_listing.h"
#include "zcp/server/path_resolve.h"

namespace zcp {
namespace {

constexpr std::string_view kStyle = R"CSS(
:root{color-scheme:light dark;--fg:#1f2328;--mute:#636c76;--line:#d8dee4;--bg:#fff;--hov:#f3f6f9;--a:#0969da;--dir:#d4a72c}
@media(prefers-color-scheme:dark){:root{--fg:#e6edf3;--mute:#8d96a0;--line:#30363d;--bg:#0d1117;--hov:#161b22;--a:#4493f8}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1040px;margin:0 auto;padding:28px 20px}
a{color:var(--a);text-decoration:none}a:hover{text-decoration:underline}
h1{font-size:22px;font-weight:600;margin:0;overflow-wrap:anywhere}
h1 .p{color:var(--mute);font-weight:400}h1 .s{color:var(--mute);margin:0 2px}
.bar{display:flex;flex-wrap:wrap;gap:8px 12px;align-items:center;margin:14px 0 18px;color:var(--mute);font-size:14px}
.bar .n{margin-right:auto}
.b{display:inline-block;border:1px solid var(--line);border-radius:6px;padding:3px 12px;background:var(--hov);color:var(--fg);font:inherit;cursor:pointer}
.b:hover{text-decoration:none;border-color:var(--mute)}
#up{display:flex;flex-wrap:wrap;gap:8px;align-items:center;border:1px dashed var(--line);border-radius:8px;padding:12px;margin:0 0 18px;font-size:14px}
#up input[type=password]{font:inherit;padding:3px 8px;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
#log{margin:0 0 18px;padding:0;list-style:none;font-size:14px}#log .ok{color:#1a7f37}#log .err{color:#cf222e}
table{width:100%;border-collapse:collapse;table-layout:fixed}
th,td{padding:7px 10px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
th{font-size:13px;font-weight:600;color:var(--mute);border-bottom-width:2px}
th form,.v{display:flex;gap:8px;margin:0}th:nth-child(2) form{justify-content:flex-end}
th button{font:inherit;color:inherit;background:none;border:0;padding:0;cursor:pointer}th button:hover{color:var(--a)}
th[aria-sort=ascending] button::after{content:" \25B2"}th[aria-sort=descending] button::after{content:" \25BC"}
th:nth-child(2),td:nth-child(2){width:7rem;text-align:right;font-variant-numeric:tabular-nums}
th:nth-child(3),td:nth-child(3){width:14rem;color:var(--mute);font-variant-numeric:tabular-nums}
tbody tr:hover{background:var(--hov)}
td:first-child a::before{content:"";display:inline-block;width:11px;height:14px;margin:0 10px 0 2px;vertical-align:-2px;border:1.5px solid var(--mute);border-radius:2px 5px 2px 2px}
tr.d td:first-child a::before{width:15px;height:12px;margin:0 11px 0 0;border:0;border-radius:2px;background:var(--dir)}
tr.u td:first-child a::before{visibility:hidden}
footer{margin-top:14px;color:var(--mute);font-size:13px}
@media(max-width:640px){main{padding:16px 10px}th:nth-child(3),td:nth-child(3){display:none}th:nth-child(2),td:nth-child(2){width:5.5rem}}
)CSS";

// Sorting in place: the same order as sort_for_listing (directories first,
// ties by name, all reversed when descending), and the URL updated so a
// reload keeps it.
constexpr std::string_view kSortScript = R"JS(
(function(){
var tb=document.querySelector('tbody'),th=document.querySelectorAll('th'),K=['name','size','mtime'];
function nm(r){return r.cells[0].textContent}
function cmp(p,q){return p<q?-1:p>q?1:0}
function ncmp(a,b){return cmp(a.toLowerCase(),b.toLowerCase())||cmp(a,b)}
function key(r,k){if(k==1)return r.cells[1].title?parseInt(r.cells[1].title,10):-1;var t=r.querySelector('time');return t?Date.parse(t.dateTime):0}
function sort(k,desc){
 var up=tb.querySelector('tr.u'),rs=[].slice.call(tb.rows).filter(function(r){return r!=up});
 var v=rs.map(function(r){return {r:r,d:r.className=='d',n:nm(r),k:k?key(r,k):0}});
 v.sort(function(a,b){if(a.d!=b.d)return a.d?-1:1;var c=cmp(a.k,b.k)||ncmp(a.n,b.n);return desc?-c:c});
 var f=document.createDocumentFragment();if(up)f.appendChild(up);v.forEach(function(e){f.appendChild(e.r)});tb.appendChild(f);
 th.forEach(function(h,i){var on=i==k;if(on)h.setAttribute('aria-sort',desc?'descending':'ascending');else h.removeAttribute('aria-sort');
  h.querySelector('button').value=(on?!desc:i>0)?'desc':'asc'});
 history.replaceState(null,'','?sort='+K[k]+'&order='+(desc?'desc':'asc'));
}
th.forEach(function(h,i){h.querySelector('form').addEventListener('submit',function(e){e.preventDefault();var s=h.getAttribute('aria-sort');sort(i,s?s=='ascending':i>0)})});
})();
)JS";

// Uploads one file after another: PUT to this directory's URL plus the
// encoded name, with the token when the page has a field for it.
constexpr std::string_view kUploadScript = R"JS(
(function(){
var fm=document.getElementById('up'),fi=document.getElementById('files'),tk=document.getElementById('token'),log=document.getElementById('log');
function size(n){return n<1024?n+' B':n<1048576?(n/1024).toFixed(1)+' KiB':(n/1048576).toFixed(1)+' MiB'}
fm.addEventListener('submit',async function(e){
 e.preventDefault();var fs=[].slice.call(fi.files),btn=fm.querySelector('button');if(!fs.length)return;btn.disabled=true;var ok=0;
 for(var i=0;i<fs.length;i++){var f=fs[i],li=document.createElement('li');li.textContent='['+(i+1)+'/'+fs.length+'] '+f.name+' ('+size(f.size)+'): uploading\u2026';log.appendChild(li);
  var h={'Content-Type':'application/octet-stream'};if(tk&&tk.value)h['Authorization']='Bearer '+tk.value;
  try{var r=await fetch(encodeURIComponent(f.name),{method:'PUT',headers:h,body:f});
   if(r.ok){ok++;li.className='ok';li.textContent='['+(i+1)+'/'+fs.length+'] '+f.name+': uploaded ('+r.status+')'}
   else{li.className='err';li.textContent='['+(i+1)+'/'+fs.length+'] '+f.name+': '+r.status+(r.status==401?' (wrong or missing token)':'')+' '+(await r.text()).slice(0,200)}}
  catch(x){li.className='err';li.textContent=f.name+': '+x}}
 btn.disabled=false;fm.dataset.done=ok+'/'+fs.length;
 if(ok){var a=document.createElement('a');a.href='';a.textContent='Reload the listing';var l=document.createElement('li');l.appendChild(a);log.appendChild(l)}
});
})();
)JS";

// The length of the valid UTF-8 sequence at text[i] (2 to 4), or 0.
size_t utf8_sequence(std::string_view text, size_t i) {
  auto at = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  unsigned char c = at(0);
  size_t len = c >= 0xF0 && c <= 0xF4   ? 4
               : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xC2 && c < 0xE0  ? 2
                                        : 0;
  if (len == 0 || i + len > text.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((at(k) & 0xC0) != 0x80) return 0;
  }
  // No overlong forms, surrogates or code points past U+10FFFF.
  if (c == 0xE0 && at(1) < 0xA0) return 0;
  if (c == 0xED && at(1) >= 0xA0) return 0;
  if (c == 0xF0 && at(1) < 0x90) return 0;
  if (c == 0xF4 && at(1) >= 0x90) return 0;
  return len;
}

// Text and attribute values alike: markup characters and controls as
// references (one line per row whatever a name holds), bytes that are not
// UTF-8 as U+FFFD.
std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '&':
        out += "&amp;";
        continue;
      case '<':
        out += "&lt;";
        continue;
      case '>':
        out += "&gt;";
        continue;
      case '"':
        out += "&quot;";
        continue;
      case '\'':
        out += "&#39;";
        continue;
      default:
        break;
    }
    if (c < 0x20 || c == 0x7F) {
      out += fmt::format("&#x{:X};", c);
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (size_t len = utf8_sequence(text, i); len > 0) {
      out.append(text.substr(i, len));
      i += len - 1;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD
    }
  }
  return out;
}

struct Times {
  std::string iso;    // 2026-12-01T10:00:00Z, for <time datetime>
  std::string shown;  // 2026-12-01 10:00 UTC
};

Times format_mtime(int64_t mtime) {
  time_t t = static_cast<time_t>(mtime);
  struct tm tm;
  if (::gmtime_r(&t, &tm) == nullptr) return {};
  char iso[40], shown[40];
  size_t a = std::strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
  size_t b = std::strftime(shown, sizeof(shown), "%Y-%m-%d %H:%M UTC", &tm);
  return {std::string(iso, a), std::string(shown, b)};
}

void append_row(std::string* out, const DirEntry& entry) {
  bool is_dir = entry.type == DirEntry::Type::kDirectory;
  const char* slash = is_dir ? "/" : "";
  std::string size = "<td>-</td>";
  if (entry.type == DirEntry::Type::kFile) {
    size = fmt::format("<td title=\"{} bytes\">{}</td>", entry.size, human_byte_size(static_cast<double>(entry.size)));
  }
  Times t = format_mtime(entry.mtime);
  fmt::format_to(
      std::back_inserter(*out),
      "<tr{}><td><a href=\"{}{}\">{}{}</a></td>{}<td><time datetime=\"{}\">{}</time></td>"
      "</tr>\n",
      is_dir ? " class=\"d\"" : "", percent_encode_path(entry.name), slash, html_escape(entry.name),
      slash, size, t.iso, t.shown);
}

// "Index of /a/b/" with each ancestor a relative link ("../../" is the root).
std::string breadcrumb(const std::string& url_path) {
  std::vector<std::string_view> parts;
  std::string_view rest(url_path);
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    if (!part.empty()) parts.push_back(part);
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  auto up = [&](size_t levels) {
    std::string href;
    for (size_t i = 0; i < levels; ++i) href += "../";
    return href.empty() ? std::string("./") : href;
  };
  std::string out =
      "<h1><span class=\"p\">Index of </span><a href=\"" + up(parts.size()) + "\">/</a>";
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string name = html_escape(parts[i]);
    if (i + 1 == parts.size()) {
      out += "<span aria-current=\"page\">" + name + "</span><span class=\"s\">/</span>";
    } else {
      out +=
          "<a href=\"" + up(parts.size() - 1 - i) + "\">" + name + "</a><span class=\"s\">/</span>";
    }
  }
  return out + "</h1>\n";
}

// "3 folders, 12 files, 4.2M" and the buttons for the other views. GET
// forms, not links: wget -r and crawlers follow every <a href> (a tar of
// each directory would repeat the whole tree), but submit no forms.
std::string toolbar(const std::vector<DirEntry>& entries) {
  uint64_t dirs = 0, files = 0, bytes = 0;
  for (const DirEntry& e : entries) {
    if (e.type == DirEntry::Type::kDirectory) ++dirs;
    if (e.type == DirEntry::Type::kFile) ++files, bytes += e.size;
  }
  return fmt::format(
      "<div class=\"bar\"><span class=\"n\">{} {}, {} {}, {}</span><form class=\"v\">"
      "<button class=\"b\" name=\"format\" value=\"tar\">Download .tar</button>"
      "<button class=\"b\" name=\"format\" value=\"json\">JSON</button></form></div>\n",
      dirs, dirs == 1 ? "folder" : "folders", files, files == 1 ? "file" : "files",
      human_byte_size(static_cast<double>(bytes)));
}

std::string upload_form(const ListingPage& page) {
  std::string token =
      page.upload_token ? "<input type=\"password\" id=\"token\" placeholder=\"Token\" "
                          "autocomplete=\"current-password\" aria-label=\"Upload token\" required>"
                        : "";
  return "<form id=\"up\"><label>Upload to this folder: <input type=\"file\" id=\"files\" multiple "
         "required></label>" +
         token + "<button class=\"b\" type=\"submit\">Upload</button></form><ul id=\"log\"></ul>\n";
}

// The header row: each column a GET form that sorts by it (the current one
// toggles its order; forms rather than links for the reason in toolbar());
// aria-sort marks the current order.
std::string header_row(const ListingPage& page) {
  struct Col {
    const char* label;
    const char* key;
    ListingPage::Sort sort;
  };
  static constexpr Col kCols[] = {{"Name", "name", ListingPage::Sort::kName},
                                  {"Size", "size", ListingPage::Sort::kSize},
                                  {"Modified", "mtime", ListingPage::Sort::kMtime}};
  std::string out = "<thead><tr>";
  for (const Col& col : kCols) {
    bool on = col.sort == page.sort;
    bool next_desc = on ? !page.descending : col.sort != ListingPage::Sort::kName;
    std::string aria =
        on ? fmt::format(" aria-sort=\"{}\"", page.descending ? "descending" : "ascending") : "";
    out += fmt::format(
        "<th{}><form><input type=\"hidden\" name=\"sort\" value=\"{}\">"
        "<button name=\"order\" value=\"{}\">{}</button></form></th>",
        aria, col.key, next_desc ? "desc" : "asc", col.label);
  }
  return out + "</tr></thead>\n";
}

}  // namespace

std::string render_html_listing(const std::string& url_path, const std::vector<DirEntry>& entries,
                                const ListingPage& page) {
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<title>Index of {}</title><style>{}</style></head>\n<body><main>\n",
      html_escape(url_path), kStyle);
  out += breadcrumb(url_path);
  out += toolbar(entries);
  if (page.upload) out += upload_form(page);
  out += "<table>\n" + header_row(page) + "<tbody>\n";
  if (url_path != "/" && !url_path.empty()) {
    out += "<tr class=\"u\"><td><a href=\"../\">../</a></td><td>-</td><td></td></tr>\n";
  }
  out.reserve(out.size() + entries.size() * 160);
  for (const DirEntry& entry : entries) append_row(&out, entry);
  out += "</tbody></table>\n<footer>zcp serve</footer></main>\n<script>";
  out += kSortScript;
  if (page.upload) out += kUploadScript;
  out += "</script></body></html>\n";
  return out;
}

}  // namespace zcp
