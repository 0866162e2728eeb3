#include "zcp/fanout/chain.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "zcp/base/stats.h"
#include "zcp/http/http_text.h"

namespace zcp {
namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

constexpr size_t kMaxReport = 1 << 20;  // a report of 64 hosts is a few KiB
constexpr size_t kMaxReason = 200;      // of an error body, in a host's error
// A report or refusal body follows its head at once; a host that trickles
// one (a byte per SO_RCVTIMEO) must not hold a relay for longer.
constexpr auto kBodyDeadline = std::chrono::seconds(10);
// A link that broke mid-body: an answer the host sent before it stopped
// reading is there already, or never comes.
constexpr auto kBrokenLinkWait = std::chrono::seconds(1);

void fail(HopResult& r, int status, std::string why) {
  r.ok = false;
  r.status = status;
  r.error = std::move(why);
}

// The hosts after `from` never got the stream.
void unreached(std::vector<HopResult>& results, size_t from, const std::string& why) {
  for (size_t i = from; i < results.size(); ++i) fail(results[i], 0, why);
}

// An error body as one short line.
std::string reason_text(int status, std::string body) {
  for (char& c : body) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  body = std::string(trim_ows(body));
  if (body.size() > kMaxReason) body = body.substr(0, kMaxReason) + "...";
  return body.empty() ? fmt::format("HTTP {}", status) : fmt::format("HTTP {}: {}", status, body);
}

Result<std::string> read_small_body(HttpClient& c, const ResponseHead& head) {
  return c.small_body(head, kMaxReport, kBodyDeadline);
}

// Why a host could not be used, by the kind of failure.
std::string connect_failure(const Status& s) {
  switch (s.code()) {
    case Code::kTlsUntrusted:
      return "certificate not trusted: " + s.to_string();
    case Code::kTlsPinMismatch:
      return "pin mismatch: " + s.to_string();
    case Code::kTlsHandshake:
      return "TLS handshake failed: " + s.to_string();
    default:
      return "unreachable: " + s.to_string();
  }
}

// The kind of a TLS failure as a word a report can carry ("" otherwise).
std::string failure_word(const Status& s) {
  switch (s.code()) {
    case Code::kTlsUntrusted: return "tls-untrusted";
    case Code::kTlsPinMismatch: return "tls-pin";
    case Code::kTlsHandshake: return "tls-handshake";
    default: return "";
  }
}

// Sends the PUT head to `url` and waits for 100 Continue. Returns the
// connection if the host accepted, else records why not in `r`.
std::optional<HttpClient> try_hop(const std::vector<Url>& hops, size_t i, const ChainPut& put,
                                  HopResult& r) {
  const Url& url = hops[i];
  auto client = HttpClient::connect_with(url, put.timeout, put.tls.get());
  if (!client) {
    fail(r, 0, connect_failure(client.status()));
    r.failure = failure_word(client.status());
    return std::nullopt;
  }
  // Watched while we wait on it; unwatched (before it closes) unless it
  // becomes the link.
  struct Watched {
    SocketWatch* watch;
    int fd;
    bool keep = false;
    ~Watched() {
      if (watch && !keep) watch->remove(fd);
    }
  } watched{put.watch, client->fd()};
  if (put.watch) put.watch->add(client->fd());
  std::vector<std::pair<std::string, std::string>> h{{"Content-Length", std::to_string(put.length)},
                                                     {"Expect", "100-continue"}};
  if (!put.authorization.empty()) h.emplace_back("Authorization", put.authorization);
  if (i + 1 < hops.size()) h.emplace_back(std::string(kForwardHeader), format_forward(hops, i + 1));
  if (Status s = client->send_head("PUT", url.target, h); !s) {
    fail(r, 0, "unreachable: " + s.to_string());
    return std::nullopt;
  }
  auto wait = put.continue_wait + kSetupPerHost * static_cast<int64_t>(hops.size() - i - 1);
  if (!client->wait_readable(wait)) {
    watched.keep = true;
    return std::move(*client);
  }
  auto head = client->read_any_head();
  if (!head) {
    fail(r, 0, "unreachable: " + head.status().to_string());
    return std::nullopt;
  }
  // A final answer already there after 100 Continue came before any body
  // byte was sent: the host cannot have stored the file, whatever its
  // status says (it was counted as stored with the full size). Plain
  // links only: over TLS a readable socket may hold just session tickets.
  if (head->status == 100 &&
      (client->tls() || !client->wait_readable(std::chrono::milliseconds(0)))) {
    watched.keep = true;
    return std::move(*client);
  }
  if (head->status == 100) {
    head = client->read_any_head();
    if (!head) {
      fail(r, 0, "unreachable: " + head.status().to_string());
      return std::nullopt;
    }
    if (head->status < 200) {  // another interim head (103): still waiting for the body
      watched.keep = true;
      return std::move(*client);
    }
  }
  auto body = read_small_body(*client, *head);
  if (head->status >= 200 && head->status < 300) {
    fail(r, head->status,
         fmt::format("answered {} before the body was sent: nothing stored", head->status));
    return std::nullopt;
  }
  fail(r, head->status, "refused: " + reason_text(head->status, body ? *body : ""));
  return std::nullopt;
}

}  // namespace

Result<std::vector<Url>> parse_forward(std::string_view header) {
  std::vector<Url> hops;
  size_t pos = 0;
  while (pos < header.size()) {
    size_t start = header.find_first_not_of(" \t", pos);
    if (start == std::string_view::npos) break;
    size_t end = header.find_first_of(" \t", start);
    if (end == std::string_view::npos) end = header.size();
    if (hops.size() == kMaxChainHosts) {
      return Status::invalid(fmt::format("more than {} hosts to forward to", kMaxChainHosts));
    }
    std::string_view word = header.substr(start, end - start);
    // Hosts go by spaces; a comma is HTTP's list form, never ours (a URL
    // with a comma in its path would have it percent-encoded by the sender).
    if (word.find(',') != std::string_view::npos) {
      return Status::invalid("'" + std::string(word) + "': hosts are separated by spaces, not commas");
    }
    auto url = parse_url(word);
    if (!url) return std::move(url).take_status();
    hops.push_back(std::move(*url));
    pos = end;
  }
  return hops;
}

std::string format_forward(const std::vector<Url>& hops, size_t from) {
  std::string out;
  for (size_t i = from; i < hops.size(); ++i) {
    if (!out.empty()) out += ' ';
    // A comma in a path goes as %2C (the same name to the server), so the
    // header never holds one: parse_forward refuses commas as a list form.
    for (char c : hops[i].to_string()) {
      if (c == ',') {
        out += "%2C";
      } else {
        out += c;
      }
    }
  }
  return out;
}

std::string report_json(const std::vector<HopResult>& results) {
  Json hosts = Json::array();
  for (size_t i = 0; i < results.size(); ++i) {
    const HopResult& r = results[i];
    Json h{{"ok", r.ok},
           {"status", r.status},
           {"bytes", r.bytes},
           {"seconds", r.seconds},
           {"error", r.error}};
    if (i > 0) h["url"] = r.url;
    if (!r.failure.empty()) h["failure"] = r.failure;
    if (!r.path.empty()) h["path"] = r.path;
    hosts.push_back(std::move(h));
  }
  // Host-supplied strings may hold any bytes: replace, never throw.
  return Json{{"hosts", std::move(hosts)}}.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// One entry; nullopt when a field is there with the wrong type (a
// report comes from another host: anything may be in it).
static std::optional<HopResult> parse_entry(const Json& h) {
  if (!h.is_object()) return std::nullopt;
  HopResult r;
  for (const auto& [key, v] : h.items()) {
    if (key == "ok") {
      if (!v.is_boolean()) return std::nullopt;
      r.ok = v.get<bool>();
    } else if (key == "status") {
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 999)
        return std::nullopt;
      r.status = v.get<int>();
    } else if (key == "bytes") {
      if (!v.is_number_unsigned()) return std::nullopt;
      r.bytes = v.get<uint64_t>();
    } else if (key == "seconds") {
      if (!v.is_number()) return std::nullopt;
      r.seconds = v.get<double>();
    } else if (key == "error") {
      if (!v.is_string()) return std::nullopt;
      r.error = v.get<std::string>();
    } else if (key == "failure") {
      // Only the words this side knows: another host may send anything.
      if (!v.is_string()) return std::nullopt;
      const auto& w = v.get_ref<const std::string&>();
      if (w == "tls-untrusted" || w == "tls-pin" || w == "tls-handshake") r.failure = w;
    } else if (key == "path") {
      if (!v.is_string()) return std::nullopt;
      r.path = v.get<std::string>();
    }
  }
  if (!r.ok && r.error.empty()) r.error = "failed (no reason given)";
  return r;
}

std::optional<std::vector<HopResult>> parse_report(std::string_view body, size_t count) {
  Json doc = Json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  auto hosts = doc.find("hosts");
  if (hosts == doc.end() || !hosts->is_array() || hosts->size() != count) return std::nullopt;
  std::vector<HopResult> out;
  for (const Json& h : *hosts) {
    auto entry = parse_entry(h);
    if (!entry) return std::nullopt;
    out.push_back(std::move(*entry));
  }
  return out;
}

ChainLink open_chain(const std::vector<Url>& hops, const ChainPut& put,
                     std::vector<HopResult>& results) {
  ChainLink link;
  link.started = Clock::now();
  link.length = put.length;
  for (size_t i = 0; i < hops.size(); ++i) results[i].url = hops[i].to_string();
  for (size_t i = 0; i < hops.size(); ++i) {
    link.client = try_hop(hops, i, put, results[i]);
    if (link.client) {
      link.index = i;
      return link;
    }
  }
  return link;
}

void finish_chain(ChainLink& link, const Status& sent, std::vector<HopResult>& results) {
  if (!link.client) return;
  const size_t i = link.index;
  const std::string behind = "not reached: the chain broke at " + results[i].url;
  if (!sent && !link.client->wait_readable(kBrokenLinkWait)) {
    fail(results[i], 0, "connection lost: " + sent.to_string());
    unreached(results, i + 1, behind);
    return;
  }
  auto head = link.client->read_head();
  if (!head) {
    fail(results[i], 0, "connection lost: " + (sent ? head.status() : sent).to_string());
    unreached(results, i + 1, behind);
    return;
  }
  auto body = read_small_body(*link.client, *head);
  bool stored = head->status == 200 || head->status == 201 || head->status == 204;
  bool reported = false;
  if (i + 1 < results.size()) {
    auto report = body ? parse_report(*body, results.size() - i) : std::nullopt;
    if (report) {
      reported = true;
      for (size_t k = 0; k < report->size(); ++k) {
        std::string url = std::move(results[i + k].url);
        results[i + k] = std::move((*report)[k]);
        results[i + k].url = std::move(url);
      }
    } else {
      unreached(results, i + 1, "no report from " + results[i].url);
    }
  }
  HopResult& self = results[i];
  if (!sent) {
    fail(self, head->status, "connection lost: " + sent.to_string());
  } else if (!stored) {
    // A relay's report says why in its own words; anything else, its body.
    fail(self, head->status,
         reported && !self.error.empty() ? self.error
                                         : reason_text(head->status, body ? *body : ""));
  } else if (!reported) {
    // The last host (no report) or a relay whose report was unreadable:
    // its status says it stored; the time is as seen from here.
    self.ok = true;
    self.error.clear();
    self.status = head->status;
    self.bytes = link.length;
    self.seconds = seconds_since(link.started);
  }
}

}  // namespace zcp
