// The fan-out chain of `zcp put FILE URL1 ... URLn`: the sender talks only
// to the first host; the request names the rest in a Zcp-Forward header,
// and each relay (zcp serve --upload --relay) forwards the stream to the
// next host while it stores its own copy. Every relay answers with the
// outcome of itself and of every host after it, so the sender learns all.
//
//   request:  PUT /path HTTP/1.1
//             Content-Length: N
//             Expect: 100-continue
//             Zcp-Forward: URL2 URL3 ...     (absolute http or https URLs, by spaces)
//   response: this hop's own status (201, 507 ...; a relay says 200 for a
//             replaced copy, as 204 may carry no body) and, from a relay,
//             Content-Type: application/json
//             {"hosts":[{"ok":true,"status":201,"bytes":N,"seconds":S,"error":"",
//                        "path":"splice"},
//                       {"url":"http://...", ...}, ...]}
//             itself first, then one entry per forwarded URL, in order.
//
// Each link is plain or TLS on its own: whoever opens it (the sender, or a
// relay for its onward link) checks an https host with its own trust
// settings (zcp put's --cacert/--pin/-k; zcp serve's --relay-cacert and
// --relay-pin), and a host it does not trust is skipped like one it cannot
// reach.
//
// The last host gets no Zcp-Forward: any server that takes a PUT will do.
// This file holds what the sender and the relays share: setting up the
// link to the next reachable host, and collecting the report behind it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zcp/hop_result.h"
#include "zcp/http/http_client.h"
#include "zcp/url.h"

namespace zcp {

class TlsContext;

inline constexpr std::string_view kForwardHeader = "Zcp-Forward";
inline constexpr size_t kMaxChainHosts = 64;
// A relay answers 100 Continue only once its own next host has accepted,
// and gives each host it tries this long to connect: so a host before it
// waits for 100 Continue this long per host behind the one it asked.
inline constexpr std::chrono::milliseconds kSetupPerHost{3000};

// How long a relay lets its next host take no bytes before dropping it
// (and going on storing its own copy). A host that hangs instead of dying
// blocks every hop before it at once, so the limit shrinks towards the end
// of the chain: the hop nearest the hang gives up first, and the ones
// before it (and the sender, see put_chain) never time out.
inline constexpr std::chrono::milliseconds kStallPerHost{3000};
inline std::chrono::milliseconds stall_limit(size_t hosts_after) {
  return kStallPerHost * static_cast<int64_t>(hosts_after);
}

// Told about every socket the chain code opens and closes, so a server
// shutting down can cut them (RelayPool); may be null.
class SocketWatch {
 public:
  virtual void add(int fd) = 0;
  virtual void remove(int fd) = 0;

 protected:
  ~SocketWatch() = default;
};

// The URLs of a Zcp-Forward header; kInvalid when one is not an http or
// https URL or there are more than kMaxChainHosts.
Result<std::vector<Url>> parse_forward(std::string_view header);
// hops[from..] as a Zcp-Forward value.
std::string format_forward(const std::vector<Url>& hops, size_t from);

// The JSON report (the first entry is the reporting host: its URL is
// whatever its upstream called it, so it carries none).
std::string report_json(const std::vector<HopResult>& results);
// A relay's report with exactly `count` entries; nullopt when it is not one.
std::optional<std::vector<HopResult>> parse_report(std::string_view body, size_t count);

struct ChainPut {
  std::string authorization;  // the Authorization value to send ("Bearer T"), or empty
  uint64_t length = 0;        // body bytes
  std::chrono::milliseconds timeout{30000};  // connect, and any wait without progress
  // How long a host may take to answer Expect: 100-continue, plus
  // kSetupPerHost for each host behind it. Silence past it means an old or
  // foreign server: the body goes anyway (as curl does).
  std::chrono::milliseconds continue_wait{2000};
  SocketWatch* watch = nullptr;  // the link's socket stays watched: unwatch before closing it
  // How https:// hops are trusted; null: they fail (no trust to check with).
  std::shared_ptr<const TlsContext> tls;
};

// An open request to the first host that accepted it (answered 100 Continue).
struct ChainLink {
  std::optional<HttpClient> client;  // empty: no host accepted
  size_t index = 0;                  // hops[index] is at the other end
  uint64_t length = 0;               // of the body
  std::chrono::steady_clock::time_point started;
};

// Tries hops[0], hops[1], ... until one accepts the PUT of `target`-less
// URLs (each hop's own path); a host that cannot be reached or refuses is
// recorded as failed in results[i] (results.size() == hops.size()) and
// skipped, so the chain closes over it. A TLS refusal is recorded in the
// words of the check that failed ("certificate not trusted: ...", "pin
// mismatch: ..."), never as a silent fallback to http.
ChainLink open_chain(const std::vector<Url>& hops, const ChainPut& put,
                     std::vector<HopResult>& results);

// After the body went out (`sent` tells whether all of it did): reads the
// link's answer and fills results[link.index..]; hosts behind a broken
// link are failed "not reached". A link that failed mid-body gets only a
// second to show an answer it already sent (a hung host never will). The
// connection stays open: the caller closes it.
void finish_chain(ChainLink& link, const Status& sent, std::vector<HopResult>& results);

}  // namespace zcp
