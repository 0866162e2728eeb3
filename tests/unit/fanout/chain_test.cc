// The fan-out chain's shared pieces: the Zcp-Forward header, the JSON
// report, and open_chain/finish_chain against real in-process servers
// (relays, plain uploaders, refusing hosts, a closed port) on loopback,
// asserting every host's outcome, the stored bytes and no descriptor leaked.
#include "zcp/fanout/chain.h"

#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/test_support.h"

namespace zcp {
namespace {

constexpr std::chrono::milliseconds kTimeout{10000};

std::vector<std::string> urls_of(const std::vector<Url>& hops) {
  std::vector<std::string> out;
  for (const Url& u : hops) out.push_back(u.to_string());
  return out;
}

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

// --- Zcp-Forward ---------------------------------------------------------------

TEST(ParseForward, UrlsSeparatedBySpacesAndTabs) {
  auto hops = parse_forward(
      " \thttp://127.0.0.1:8081/a.bin   http://example.org/b%20c\t\thttp://[::1]:9/d?x=1 \t");
  ASSERT_TRUE(hops.is_ok()) << hops.status().to_string();
  ASSERT_EQ(hops->size(), 3U);
  EXPECT_EQ((*hops)[0].host, "127.0.0.1");
  EXPECT_EQ((*hops)[0].port, 8081);
  EXPECT_EQ((*hops)[0].target, "/a.bin");
  EXPECT_EQ((*hops)[1].host, "example.org");
  EXPECT_EQ((*hops)[1].port, 80);
  EXPECT_EQ((*hops)[1].target, "/b%20c");
  EXPECT_EQ((*hops)[2].host, "::1");
  EXPECT_EQ((*hops)[2].port, 9);
  EXPECT_EQ((*hops)[2].target, "/d?x=1");
}

TEST(ParseForward, EmptyIsNoHops) {
  for (const char* text : {"", " ", "\t \t"}) {
    auto hops = parse_forward(text);
    ASSERT_TRUE(hops.is_ok()) << "'" << text << "': " << hops.status().to_string();
    EXPECT_TRUE(hops->empty()) << "'" << text << "'";
  }
}

TEST(ParseForward, TakesHttpsHops) {
  auto hops = parse_forward("https://a.example/x http://127.0.0.1:8081/y https://[::1]:8443/z");
  ASSERT_TRUE(hops.is_ok()) << hops.status().to_string();
  ASSERT_EQ(hops->size(), 3U);
  EXPECT_TRUE((*hops)[0].tls);
  EXPECT_EQ((*hops)[0].port, 443);
  EXPECT_FALSE((*hops)[1].tls);
  EXPECT_TRUE((*hops)[2].tls);
  EXPECT_EQ(format_forward(*hops, 0),
            "https://a.example/x http://127.0.0.1:8081/y https://[::1]:8443/z");
}

TEST(ParseForward, RefusesWhatIsNotAnHttpUrl) {
  for (const char* text : {"ftp://example.org/a", "garbage", "http://127.0.0.1:1/a not-a-url",
                           "http://", "http://a:99999/x"}) {
    auto hops = parse_forward(text);
    ASSERT_FALSE(hops.is_ok()) << "'" << text << "' parsed";
    EXPECT_EQ(hops.status().code(), Code::kInvalid) << text;
  }
}

// Hosts go by spaces. A comma list (HTTP's usual form) would make one
// mangled URL of two hosts: refused. A comma in a path travels as %2C.
TEST(ParseForward, CommasAreRefusedAndSentEncoded) {
  for (const char* text : {"http://a/q1, http://a/q2", "http://a/s1,http://a/s2"}) {
    auto hops = parse_forward(text);
    ASSERT_FALSE(hops.is_ok()) << "'" << text << "' parsed";
    EXPECT_NE(hops.status().to_string().find("not commas"), std::string::npos)
        << hops.status().to_string();
  }
  auto url = parse_url("http://a.example/my,file");
  ASSERT_TRUE(url.is_ok());
  std::string sent = format_forward({*url}, 0);
  EXPECT_EQ(sent, "http://a.example/my%2Cfile");
  auto back = parse_forward(sent);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ((*back)[0].file_name(), "my,file");
}

TEST(ParseForward, AtMostMaxChainHosts) {
  std::string text;
  for (size_t i = 0; i < kMaxChainHosts; ++i)
    text += " http://10.0.0.1:" + std::to_string(1000 + i) + "/f";
  auto full = parse_forward(text);
  ASSERT_TRUE(full.is_ok()) << full.status().to_string();
  EXPECT_EQ(full->size(), kMaxChainHosts);
  auto over = parse_forward(text + " http://10.0.0.2/f");
  ASSERT_FALSE(over.is_ok());
  EXPECT_EQ(over.status().code(), Code::kInvalid);
  EXPECT_NE(over.status().to_string().find("more than 64"), std::string::npos)
      << over.status().to_string();
}

TEST(FormatForward, RoundTrips) {
  const std::string canonical =
      "http://127.0.0.1:8081/a.bin http://example.org/b%20c http://[::1]:9/d?x=1";
  auto hops = parse_forward(canonical);
  ASSERT_TRUE(hops.is_ok());
  EXPECT_EQ(format_forward(*hops, 0), canonical);
  // Messy spacing and an explicit :80 come back in one canonical form,
  // which parses to the same hops.
  auto messy = parse_forward("\thttp://example.org:80/x  \t http://10.1.2.3:7/y%41/\xc3\xbc ");
  ASSERT_TRUE(messy.is_ok()) << messy.status().to_string();
  std::string formatted = format_forward(*messy, 0);
  EXPECT_EQ(formatted, "http://example.org/x http://10.1.2.3:7/y%41/%C3%BC");
  auto again = parse_forward(formatted);
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(urls_of(*again), urls_of(*messy));
}

TEST(FormatForward, SkipsTheFirstFrom) {
  auto hops = parse_forward("http://a:1/x http://b:2/y http://c:3/z");
  ASSERT_TRUE(hops.is_ok());
  EXPECT_EQ(format_forward(*hops, 1), "http://b:2/y http://c:3/z");
  EXPECT_EQ(format_forward(*hops, 2), "http://c:3/z");
  EXPECT_EQ(format_forward(*hops, 3), "");
  EXPECT_EQ(format_forward(*hops, 4), "");
  EXPECT_EQ(format_forward({}, 0), "");
}

// --- the JSON report -------------------------------------------------------------

std::vector<HopResult> sample_results() {
  std::vector<HopResult> r(3);
  r[0] = {"http://self.example/not-sent", true, 201, 12345, 1.25, "", "splice"};
  r[1] = {"https://b.example:8443/x", false, 507, 0, 0.5, "507 Insufficient Storage: disk full",
          "userspace"};
  r[2] = {"http://c.example/x", true, 204, (1ULL << 40) + 7, 3.0, "", ""};  // the last: no path
  r[1].failure = "tls-untrusted";
  return r;
}

TEST(Report, RoundTrips) {
  auto in = sample_results();
  std::string json = report_json(in);
  auto out = parse_report(json, in.size());
  ASSERT_TRUE(out.has_value()) << json;
  ASSERT_EQ(out->size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    SCOPED_TRACE("entry " + std::to_string(i));
    EXPECT_EQ((*out)[i].ok, in[i].ok);
    EXPECT_EQ((*out)[i].status, in[i].status);
    EXPECT_EQ((*out)[i].bytes, in[i].bytes);
    EXPECT_DOUBLE_EQ((*out)[i].seconds, in[i].seconds);
    EXPECT_EQ((*out)[i].error, in[i].error);
    EXPECT_EQ((*out)[i].path, in[i].path);
    EXPECT_EQ((*out)[i].failure, in[i].failure);
  }
}

// A failure kind from another host is one of ours or nothing: it picks
// the sender's exit code.
TEST(Report, UnknownFailureWordIsDropped) {
  auto out = parse_report(
      R"({"hosts":[{"ok":true,"status":201},{"ok":false,"status":0,"error":"x","failure":"rm -rf"}]})", 2);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ((*out)[1].failure, "");
}

TEST(Report, FirstEntryCarriesNoUrl) {
  auto in = sample_results();
  auto doc = nlohmann::json::parse(report_json(in));
  ASSERT_TRUE(doc["hosts"].is_array());
  ASSERT_EQ(doc["hosts"].size(), 3U);
  EXPECT_FALSE(doc["hosts"][0].contains("url")) << doc.dump();
  EXPECT_EQ(doc["hosts"][1]["url"], in[1].url);
  EXPECT_EQ(doc["hosts"][2]["url"], in[2].url);
}

TEST(Report, CountMismatchIsNoReport) {
  std::string json = report_json(sample_results());
  EXPECT_FALSE(parse_report(json, 2).has_value());
  EXPECT_FALSE(parse_report(json, 4).has_value());
  EXPECT_FALSE(parse_report(json, 0).has_value());
  auto none = parse_report(R"({"hosts":[]})", 0);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
}

TEST(Report, GarbageIsNoReport) {
  for (const char* body :
       {"", "garbage", "{", "[]", "42", "\"hosts\"", "null", "{}", R"({"hosts":{}})",
        R"({"hosts":"x"})", R"({"hosts":[1]})", R"({"hosts":[{"ok":true}, []]})",
        R"({"Hosts":[{"ok":true}]})", "{\"hosts\":[{\"ok\":true}]} trailing"}) {
    EXPECT_FALSE(parse_report(body, 1).has_value()) << body;
  }
}

TEST(Report, FailedEntryWithoutErrorGetsOne) {
  auto r = parse_report(
      R"({"hosts":[{"ok":false,"status":500},{"ok":false},{"ok":true,"status":201}]})", 3);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE((*r)[0].error.empty());
  EXPECT_EQ((*r)[0].status, 500);
  EXPECT_FALSE((*r)[1].error.empty());
  EXPECT_EQ((*r)[1].status, 0);
  EXPECT_TRUE((*r)[2].ok);
  EXPECT_TRUE((*r)[2].error.empty());
  // Missing fields read as a failure, never as success.
  auto empty = parse_report(R"({"hosts":[{}]})", 1);
  ASSERT_TRUE(empty.has_value());
  EXPECT_FALSE((*empty)[0].ok);
  EXPECT_FALSE((*empty)[0].error.empty());
}

TEST(Report, InvalidUtf8InAnErrorDoesNotThrow) {
  auto in = sample_results();
  in[1].error = std::string("bad \xff\xfe bytes \xc3", 13);
  in[2].url = std::string("http://c.example/\x80", 18);
  std::string json;
  ASSERT_NO_THROW(json = report_json(in));
  auto out = parse_report(json, 3);
  ASSERT_TRUE(out.has_value()) << "report_json must emit valid JSON: " << json;
  EXPECT_TRUE(starts_with((*out)[1].error, "bad ")) << (*out)[1].error;
  EXPECT_NE((*out)[1].error.find("\xEF\xBF\xBD"), std::string::npos) << "U+FFFD replaces bad bytes";
  EXPECT_NE((*out)[1].error.find(" bytes "), std::string::npos);
  // A report that itself holds invalid UTF-8 is no report, not an exception.
  std::optional<std::vector<HopResult>> raw;
  EXPECT_NO_THROW(raw = parse_report("{\"hosts\":[{\"ok\":false,\"error\":\"\xff\"}]}", 1));
  EXPECT_FALSE(raw.has_value());
}

// Regression: parse_report once read fields with nlohmann::json::value(),
// which throws type_error when a field has the wrong type ("ok":"yes", "status":"201", "error":null
// ...). The header promises nullopt for "not a report", and the core has no exceptions: in a relay
// the throw escapes RelayPool::run's thread (std::terminate kills `zcp serve`), in `zcp put` it
// escapes main. One bad or hostile next host takes the whole chain's relays down. They now read as
// nullopt.
TEST(Report, WrongFieldTypesAreNoReportNotAnException) {
  for (const char* body :
       {R"({"hosts":[{"ok":"yes"}]})", R"({"hosts":[{"ok":true,"status":"201"}]})",
        R"({"hosts":[{"ok":true,"bytes":"12"}]})", R"({"hosts":[{"seconds":"1"}]})",
        R"({"hosts":[{"ok":false,"error":null}]})", R"({"hosts":[{"ok":false,"error":5}]})"}) {
    std::optional<std::vector<HopResult>> r;
    EXPECT_NO_THROW(r = parse_report(body, 1)) << body;
  }
}

// --- open_chain / finish_chain against real servers -------------------------------

struct HostSpec {
  bool upload = true;
  bool relay = false;
  std::string token;
};
HostSpec relay_host(std::string token = "") { return {true, true, std::move(token)}; }
HostSpec plain_host(std::string token = "") {
  return {true, false, std::move(token)};
}  // --upload only
HostSpec readonly_host() { return {false, false, ""}; }

// One zcp server with a root of its own.
struct Host {
  test::TempDir root;
  std::unique_ptr<test::RunningServer> server;
  std::string url(const std::string& path) const {
    return "http://" + server->address().to_string() + path;
  }
};

// A fake next host: takes one PUT, answers 100 Continue, reads the body,
// answers `response` and closes. For reports no zcp server would send.
class FakeHost {
 public:
  explicit FakeHost(std::string response) : response_(std::move(response)) {
    auto l = listen_tcp(SocketAddress::loopback_v4(0));
    EXPECT_TRUE(l.is_ok());
    listener_ = std::move(*l);
    port_ = local_address(listener_.get())->port();
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeHost() {
    ::shutdown(listener_.get(), SHUT_RDWR);  // wakes accept if nobody came
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  uint64_t body_bytes() const { return body_; }

 private:
  void serve() {
    auto c = accept_connection(listener_.get());
    if (!c) return;
    ASSERT_TRUE(set_blocking_with_timeout(c->get(), kTimeout));
    std::string in;
    char buf[65536];
    while (in.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(c->get(), buf, sizeof(buf), 0);
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
    }
    size_t at = in.find("Content-Length: ");
    uint64_t length = at == std::string::npos ? 0 : std::stoull(in.substr(at + 16));
    body_ = in.size() - in.find("\r\n\r\n") - 4;
    if (!send_all(c->get(), "HTTP/1.1 100 Continue\r\n\r\n")) return;
    while (body_ < length) {
      ssize_t n = ::recv(c->get(), buf, sizeof(buf), 0);
      if (n <= 0) return;
      body_ += static_cast<uint64_t>(n);
    }
    (void)send_all(c->get(), response_);
  }

  std::string response_;
  UniqueFd listener_;
  uint16_t port_ = 0;
  uint64_t body_ = 0;
  std::thread thread_;
};

std::string json_response(int status, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

class ChainTest : public test::FdLeakCheck {
 protected:
  void TearDown() override {
    hosts_.clear();  // stops and joins servers (and their relays) before the count
    test::FdLeakCheck::TearDown();
  }

  Host& start(HostSpec spec) {
    auto h = std::make_unique<Host>();
    ServerConfig cfg;
    cfg.root = h->root.path();
    cfg.listen = "127.0.0.1:0";
    cfg.workers = 1;
    cfg.upload = spec.upload;
    cfg.relay = spec.relay;
    cfg.token = spec.token;
    h->server = std::make_unique<test::RunningServer>(std::move(cfg));
    EXPECT_TRUE(h->server->ok());
    hosts_.push_back(std::move(h));
    return *hosts_.back();
  }

  // A URL whose port nobody listens on (bound, then closed).
  static std::string closed_url(const std::string& path) {
    auto l = listen_tcp(SocketAddress::loopback_v4(0));
    EXPECT_TRUE(l.is_ok());
    return "http://" + local_address(l->get())->to_string() + path;
  }

  struct Put {
    std::vector<HopResult> results;
    bool linked = false;
    size_t index = 0;
    Status sent;
  };
  // What `zcp put` does: open the chain, send `body`, read the outcome.
  static Put put(const std::vector<std::string>& urls, const std::string& body,
                 const std::string& authorization = "") {
    std::vector<Url> hops;
    for (const auto& u : urls) {
      auto url = parse_url(u);
      EXPECT_TRUE(url.is_ok()) << u;
      hops.push_back(url ? *url : Url{});
    }
    Put p;
    p.results.resize(hops.size());
    ChainPut cp;
    cp.authorization = authorization;
    cp.length = body.size();
    cp.timeout = kTimeout;
    ChainLink link = open_chain(hops, cp, p.results);
    p.linked = link.client.has_value();
    p.index = link.index;
    if (link.client) {
      p.sent = send_all(link.client->fd(), body);
      finish_chain(link, p.sent, p.results);
    }
    for (size_t i = 0; i < urls.size(); ++i) EXPECT_EQ(p.results[i].url, hops[i].to_string());
    return p;
  }

  static void expect_stored(const HopResult& r, const std::string& body, int status = 201) {
    EXPECT_TRUE(r.ok) << r.url << ": " << r.error;
    EXPECT_EQ(r.status, status) << r.url;
    EXPECT_EQ(r.bytes, body.size()) << r.url;
    EXPECT_GT(r.seconds, 0.0) << r.url;
    EXPECT_TRUE(r.error.empty()) << r.url << ": " << r.error;
  }
  static void expect_file(const Host& h, const std::string& name, const std::string& body) {
    std::string path = h.root.file(name);
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    EXPECT_TRUE(test::same_bytes(test::read_file(path), body)) << path;
  }
  // Nothing at all was stored (no temporary file left with a name either).
  static void expect_empty(const Host& h) {
    EXPECT_TRUE(std::filesystem::is_empty(h.root.path())) << h.root.path();
  }
  static void expect_skipped(const HopResult& r, int status, std::string_view why) {
    EXPECT_FALSE(r.ok) << r.url;
    EXPECT_EQ(r.status, status) << r.url << ": " << r.error;
    EXPECT_TRUE(starts_with(r.error, why)) << r.url << ": " << r.error;
    EXPECT_EQ(r.bytes, 0U) << r.url;
  }

  std::vector<std::unique_ptr<Host>> hosts_;
};

TEST_F(ChainTest, OneHostIsAPlainPut) {
  Host& c = start(plain_host());
  std::string body = test::pattern_bytes((1 << 20) + 3, 1);
  Put p = put({c.url("/one.bin")}, body);
  ASSERT_TRUE(p.linked);
  EXPECT_TRUE(p.sent.is_ok()) << p.sent.to_string();
  expect_stored(p.results[0], body);
  expect_file(c, "one.bin", body);
}

// Two relays and a plain last host: one send, three identical copies; a
// second put of the same name replaces all three (204 everywhere).
TEST_F(ChainTest, RelaysStoreAndPassOn) {
  Host& a = start(relay_host());
  Host& b = start(relay_host());
  Host& c = start(plain_host());
  std::string body = test::pattern_bytes((3 << 20) + 1, 2);
  Put p = put({a.url("/x.bin"), b.url("/y.bin"), c.url("/z.bin")}, body);
  ASSERT_TRUE(p.linked);
  EXPECT_EQ(p.index, 0U);
  for (const HopResult& r : p.results) expect_stored(r, body);
  expect_file(a, "x.bin", body);
  expect_file(b, "y.bin", body);
  expect_file(c, "z.bin", body);

  std::string again = test::pattern_bytes(70001, 3);
  Put q = put({a.url("/x.bin"), b.url("/y.bin"), c.url("/z.bin")}, again);
  for (const HopResult& r : q.results) expect_stored(r, again, 204);
  expect_file(a, "x.bin", again);
  expect_file(b, "y.bin", again);
  expect_file(c, "z.bin", again);
}

TEST_F(ChainTest, EmptyBodyGoesDownTheChain) {
  Host& a = start(relay_host());
  Host& c = start(plain_host());
  Put p = put({a.url("/e"), c.url("/e")}, "");
  expect_stored(p.results[0], "");
  expect_stored(p.results[1], "");
  expect_file(a, "e", "");
  expect_file(c, "e", "");
}

// Closed ports are skipped, by the sender (first entry) and by a relay
// (third entry, from the relay's report); the chain closes over them.
TEST_F(ChainTest, UnreachableHostsAreSkipped) {
  Host& a = start(relay_host());
  Host& c = start(plain_host());
  std::string body = test::pattern_bytes((1 << 20) + 7, 4);
  Put p = put({closed_url("/f"), a.url("/f"), closed_url("/f"), c.url("/f")}, body);
  ASSERT_TRUE(p.linked);
  EXPECT_EQ(p.index, 1U);
  expect_skipped(p.results[0], 0, "unreachable");
  expect_stored(p.results[1], body);
  expect_skipped(p.results[2], 0, "unreachable");
  expect_stored(p.results[3], body);
  expect_file(a, "f", body);
  expect_file(c, "f", body);
}

// A host without --upload (405) and one whose token does not match (401)
// are skipped before any byte is sent; so is a refusing host behind a relay.
TEST_F(ChainTest, RefusingHostsAreSkipped) {
  Host& locked = start(relay_host("other"));
  Host& readonly = start(readonly_host());
  Host& a = start(relay_host());
  Host& readonly2 = start(readonly_host());
  Host& c = start(plain_host());
  std::string body = test::pattern_bytes(300007, 5);
  Put p = put({locked.url("/r"), readonly.url("/r"), a.url("/r"), readonly2.url("/r"), c.url("/r")},
              body, "Bearer right");
  ASSERT_TRUE(p.linked);
  EXPECT_EQ(p.index, 2U);
  expect_skipped(p.results[0], 401, "refused");
  EXPECT_NE(p.results[0].error.find("Authorization"), std::string::npos) << p.results[0].error;
  expect_skipped(p.results[1], 405, "refused");
  EXPECT_NE(p.results[1].error.find("uploads are off"), std::string::npos) << p.results[1].error;
  expect_stored(p.results[2], body);
  expect_skipped(p.results[3], 405, "refused");  // seen by the relay
  expect_stored(p.results[4], body);
  expect_empty(locked);
  expect_empty(readonly);
  expect_empty(readonly2);
  expect_file(a, "r", body);
  expect_file(c, "r", body);
}

// The right token passes every hop (each checks it).
TEST_F(ChainTest, TokenIsPassedAlong) {
  Host& a = start(relay_host("s3cret"));
  Host& c = start(plain_host("s3cret"));
  std::string body = test::pattern_bytes(5000, 6);
  Put p = put({a.url("/t"), c.url("/t")}, body, "Bearer s3cret");
  expect_stored(p.results[0], body);
  expect_stored(p.results[1], body);
  expect_file(c, "t", body);
}

// --upload without --relay: refused (403) when hosts follow it, fine last.
TEST_F(ChainTest, NonRelayOnlyLast) {
  Host& plain = start(plain_host());
  Host& a = start(relay_host());
  Host& c = start(plain_host());
  std::string body = test::pattern_bytes(123457, 7);
  Put p = put({plain.url("/n"), a.url("/n"), c.url("/n")}, body);
  ASSERT_TRUE(p.linked);
  EXPECT_EQ(p.index, 1U);
  expect_skipped(p.results[0], 403, "refused");
  EXPECT_NE(p.results[0].error.find("relay"), std::string::npos) << p.results[0].error;
  expect_empty(plain);
  expect_stored(p.results[1], body);
  expect_stored(p.results[2], body);

  Put q = put({a.url("/m"), plain.url("/m")}, body);
  expect_stored(q.results[0], body);
  expect_stored(q.results[1], body);
  expect_file(plain, "m", body);
}

TEST_F(ChainTest, NoHostAccepts) {
  Host& readonly = start(readonly_host());
  Host& plain = start(plain_host());
  Put p = put({closed_url("/z"), readonly.url("/z"), plain.url("/z"), closed_url("/z")}, "data");
  EXPECT_FALSE(p.linked);
  expect_skipped(p.results[0], 0, "unreachable");
  expect_skipped(p.results[1], 405, "refused");
  expect_skipped(p.results[2], 403, "refused");  // not last, no --relay
  expect_skipped(p.results[3], 0, "unreachable");
  expect_empty(readonly);
  expect_empty(plain);
  // finish_chain on a link to nobody changes nothing.
  ChainLink none;
  auto before = p.results;
  finish_chain(none, Status(), p.results);
  for (size_t i = 0; i < before.size(); ++i) EXPECT_EQ(p.results[i].error, before[i].error);
}

// A relay on a full disk still passes every byte on; its own entry fails
// with 507 and says why in a line of text.
TEST_F(ChainTest, RelayOnAFullDiskStillForwards) {
  test::SmallTmpfs fs("64k");
  if (!fs.mounted()) GTEST_SKIP() << fs.why();
  auto full = std::make_unique<Host>();
  {
    ServerConfig cfg;
    cfg.root = fs.file("");
    cfg.listen = "127.0.0.1:0";
    cfg.workers = 1;
    cfg.upload = cfg.relay = true;
    full->server = std::make_unique<test::RunningServer>(std::move(cfg));
    ASSERT_TRUE(full->server->ok());
  }
  Host& c = start(plain_host());
  std::string body = test::pattern_bytes(2 << 20, 8);
  Put p = put({full->url("/d"), c.url("/d")}, body);
  full.reset();
  EXPECT_FALSE(p.results[0].ok);
  EXPECT_EQ(p.results[0].status, 507) << p.results[0].error;
  EXPECT_EQ(p.results[0].bytes, 0U);
  // Regression: for a relay that answered a failure status with a report,
  // the relay's own error from the report was overwritten by reason_text(status, body): "HTTP 507:
  // {"hosts":[{...".
  EXPECT_EQ(p.results[0].error.find("{\"hosts\""), std::string::npos)
      << "the error is the raw JSON report: " << p.results[0].error;
  expect_stored(p.results[1], body);
  expect_file(c, "d", body);
}

// A next host whose report lists the wrong number of hosts: it stored
// (its status says so) but the hosts behind it are unknown.
TEST_F(ChainTest, ReportWithWrongCountMarksTheRestUnknown) {
  FakeHost fake(json_response(
      201, R"({"hosts":[{"ok":true,"status":201,"bytes":4,"seconds":0.1,"error":""}]})"));
  std::string body = "abcd";
  Put p = put({fake.url("/w"), closed_url("/w")}, body);
  ASSERT_TRUE(p.linked);
  EXPECT_EQ(fake.body_bytes(), body.size());
  EXPECT_TRUE(p.results[0].ok) << p.results[0].error;
  EXPECT_EQ(p.results[0].status, 201);
  EXPECT_FALSE(p.results[1].ok);
  EXPECT_EQ(p.results[1].status, 0);
  EXPECT_TRUE(starts_with(p.results[1].error, "no report from")) << p.results[1].error;
}

// Regression (see Report.WrongFieldTypes...): a next host whose report has
// a field of the wrong type made finish_chain throw.
TEST_F(ChainTest, HostileReportDoesNotThrow) {
  FakeHost fake(json_response(201, R"({"hosts":[{"ok":"yes"},{"ok":true,"status":"201"}]})"));
  std::string body = "abcd";
  std::vector<Url> hops{*parse_url(fake.url("/h")), *parse_url(closed_url("/h"))};
  std::vector<HopResult> results(2);
  ChainPut cp;
  cp.length = body.size();
  cp.timeout = kTimeout;
  ChainLink link = open_chain(hops, cp, results);
  ASSERT_TRUE(link.client.has_value());
  Status sent = send_all(link.client->fd(), body);
  EXPECT_NO_THROW(finish_chain(link, sent, results));
  EXPECT_FALSE(results[1].ok);
}

// Regression (parse_report, reached through relay.cc): a relay whose next
// host answered a report with a wrong-typed field died: the type_error
// escapes RelayPool::run and std::terminate takes the whole `zcp serve`
// down. Runs in a forked child (no thread is alive at the fork; the relay
// and the fake host start inside it); the roots belong to the parent.
TEST_F(ChainTest, RelaySurvivesAHostileReport) {
  test::TempDir root;
  EXPECT_EXIT(
      {
        FakeHost fake(json_response(201, R"({"hosts":[{"ok":"yes"},{"ok":true}]})"));
        ServerConfig cfg;
        cfg.root = root.path();
        cfg.listen = "127.0.0.1:0";
        cfg.workers = 1;
        cfg.upload = cfg.relay = true;
        test::RunningServer relay(std::move(cfg));
        Put p =
            put({"http://" + relay.address().to_string() + "/h", fake.url("/h"), closed_url("/h")},
                "abcd");
        std::_Exit(p.results[0].ok && !p.results[2].ok ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace zcp
