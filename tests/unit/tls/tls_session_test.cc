// TlsSession against a real in-process peer over loopback TCP: handshakes
// (blocking and stepwise non-blocking), bytes both ways, send_file, and the
// client's refusals (expired, wrong name, unknown CA, self-signed, pin
// mismatch, a plaintext peer), each with its Code and words.
#include "zcp/tls/tls_session.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <thread>

#include "support/test_support.h"
#include "zcp/tls/cert_gen.h"
#include "zcp/tls/ktls.h"

namespace zcp {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kTimeout{5000};

Credential must(Result<Credential> r) {
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return r ? *r : Credential{};
}

struct Pki {
  Credential ca;
  Credential leaf;  // signed by ca, for localhost / 127.0.0.1 / ::1
};

Pki make_pki(CertSpec leaf_spec = {}) {
  CertSpec ca_spec;
  ca_spec.is_ca = true;
  // Each CA its own name: a look-alike name would make OpenSSL try the
  // wrong CA's key ("signature failure") instead of "unknown issuer".
  static int serial = 0;
  ca_spec.dns_names = {"ca" + std::to_string(++serial) + ".test"};
  ca_spec.ip_names = {};
  Pki p;
  p.ca = must(make_certificate(ca_spec));
  p.leaf = must(make_certificate(leaf_spec, &p.ca));
  return p;
}

TlsContext server_ctx(const Credential& c) {
  auto ctx = TlsContext::for_server_pem(c.cert_pem + "", c.key_pem);
  EXPECT_TRUE(ctx.is_ok()) << ctx.status().to_string();
  return std::move(*ctx);
}

// The two ends of `pair` made non-blocking, with a session each before
// the handshake: a self-signed server and a client pinned to its key. (An
// SSL keeps its SSL_CTX alive, so the contexts may go.) Empty on failure.
struct Stepped {
  std::unique_ptr<TlsSession> c, s;
};
Stepped stepped_sessions(const test::SocketPair& pair) {
  Credential self = must(make_self_signed());
  EXPECT_TRUE(set_nonblocking(pair.client.get()).is_ok());
  EXPECT_TRUE(set_nonblocking(pair.server.get()).is_ok());
  TlsContext sctx = server_ctx(self);
  TlsOptions o;
  o.pin = self.pin;
  auto cctx = TlsContext::for_client(o);
  if (!cctx) return {};
  auto c = TlsSession::client(*cctx, pair.client.get(), "127.0.0.1");
  auto s = TlsSession::server(sctx, pair.server.get());
  if (!c || !s) return {};
  return {std::move(*c), std::move(*s)};
}

class TlsSessionTest : public test::FdLeakCheck {
 protected:
  // The CA's PEM as a --cacert file.
  std::string cacert_file(const Credential& ca) {
    std::string path = dir_.file("ca.pem");
    test::write_file(path, ca.cert_pem);
    return path;
  }
  // Runs a blocking server handshake on a thread, then `serve(session)`;
  // the client handshakes here as `host` with `o`. Returns the client's
  // handshake Status.
  Status connect(const Credential& server_cred, const TlsOptions& o, const std::string& host,
                 const std::function<void(TlsSession&)>& serve = {},
                 const std::function<void(TlsSession&)>& use = {}) {
    auto pair = test::loopback_pair();
    TlsContext sctx = server_ctx(server_cred);
    std::thread server([&] {
      auto s = TlsSession::server(sctx, pair.server.get());
      if (!s) return;
      if ((*s)->handshake_within(kTimeout).is_ok() && serve) serve(**s);
      ::shutdown(pair.server.get(), SHUT_RDWR);
    });
    auto cctx = TlsContext::for_client(o);
    EXPECT_TRUE(cctx.is_ok()) << cctx.status().to_string();
    Status st = cctx.status();
    if (cctx) {
      auto c = TlsSession::client(*cctx, pair.client.get(), host);
      EXPECT_TRUE(c.is_ok());
      st = (*c)->handshake_within(kTimeout);
      if (st && use) use(**c);
    }
    ::shutdown(pair.client.get(), SHUT_RDWR);
    server.join();
    return st;
  }

  test::TempDir dir_;
};

TEST_F(TlsSessionTest, TrustedByCacertBytesBothWays) {
  Pki pki = make_pki();
  TlsOptions o;
  o.cacert = cacert_file(pki.ca);
  std::string got_by_server;
  std::string got_by_client;
  Status st = connect(
      pki.leaf, o, "127.0.0.1",
      [&](TlsSession& s) {
        char buf[64];
        auto n = s.read(buf, sizeof(buf));
        if (n) got_by_server.assign(buf, *n);
        EXPECT_TRUE(s.write("pong").is_ok());
        s.shutdown();
      },
      [&](TlsSession& c) {
        EXPECT_TRUE(c.write("ping").is_ok());
        std::string all;
        char buf[64];
        for (;;) {
          auto n = c.read(buf, sizeof(buf));
          ASSERT_TRUE(n.is_ok()) << n.status().to_string();
          if (*n == 0) break;
          all.append(buf, *n);
        }
        got_by_client = all;
        EXPECT_TRUE(c.version() == "TLSv1.3") << c.version();
        EXPECT_FALSE(c.cipher().empty());
        EXPECT_EQ(c.peer_pin(), pki.leaf.pin);
        // Without the kernel's tls ULP nothing can be offloaded.
        if (!kernel_tls().available) {
          EXPECT_FALSE(c.ktls_send());
          EXPECT_FALSE(c.ktls_recv());
          EXPECT_EQ(c.splice_fd(), -1);
        }
      });
  EXPECT_TRUE(st.is_ok()) << st.to_string();
  EXPECT_EQ(got_by_server, "ping");
  EXPECT_EQ(got_by_client, "pong");
}

TEST_F(TlsSessionTest, HostNameTrustedByCacert) {
  Pki pki = make_pki();
  TlsOptions o;
  o.cacert = cacert_file(pki.ca);
  Status st = connect(pki.leaf, o, "localhost");
  EXPECT_TRUE(st.is_ok()) << st.to_string();
}

TEST_F(TlsSessionTest, ExpiredIsUntrusted) {
  CertSpec spec;
  spec.not_before = -10 * 86400;
  spec.not_after = -86400;
  Pki pki = make_pki(spec);
  TlsOptions o;
  o.cacert = cacert_file(pki.ca);
  Status st = connect(pki.leaf, o, "127.0.0.1");
  EXPECT_EQ(st.code(), Code::kTlsUntrusted) << st.to_string();
  EXPECT_NE(st.to_string().find("has expired"), std::string::npos) << st.to_string();
}

TEST_F(TlsSessionTest, WrongHostNameIsUntrusted) {
  Pki pki = make_pki();
  TlsOptions o;
  o.cacert = cacert_file(pki.ca);
  Status st = connect(pki.leaf, o, "wrong.example");
  EXPECT_EQ(st.code(), Code::kTlsUntrusted) << st.to_string();
  EXPECT_NE(st.to_string().find("not for host name 'wrong.example'"), std::string::npos)
      << st.to_string();
  // An IP address the certificate does not list, likewise.
  CertSpec only_dns;
  only_dns.ip_names = {};
  Pki dns_only = make_pki(only_dns);
  o.cacert = cacert_file(dns_only.ca);
  st = connect(dns_only.leaf, o, "127.0.0.1");
  EXPECT_EQ(st.code(), Code::kTlsUntrusted) << st.to_string();
  EXPECT_NE(st.to_string().find("not for host name '127.0.0.1'"), std::string::npos);
}

TEST_F(TlsSessionTest, UnknownCaIsUntrusted) {
  Pki pki = make_pki();
  Pki other = make_pki();
  TlsOptions o;
  o.cacert = cacert_file(other.ca);
  Status st = connect(pki.leaf, o, "127.0.0.1");
  EXPECT_EQ(st.code(), Code::kTlsUntrusted) << st.to_string();
  EXPECT_NE(st.to_string().find("unknown issuer"), std::string::npos) << st.to_string();
}

TEST_F(TlsSessionTest, SelfSignedIsUntrustedUnlessInsecureOrPinned) {
  Credential self = must(make_self_signed());
  TlsOptions o;
  o.cacert = cacert_file(make_pki().ca);
  Status st = connect(self, o, "127.0.0.1");
  EXPECT_EQ(st.code(), Code::kTlsUntrusted) << st.to_string();
  EXPECT_NE(st.to_string().find("self-signed"), std::string::npos) << st.to_string();

  TlsOptions insecure = o;
  insecure.insecure = true;
  st = connect(self, insecure, "127.0.0.1");
  EXPECT_TRUE(st.is_ok()) << st.to_string();

  TlsOptions pinned = o;
  pinned.pin = self.pin;
  st = connect(self, pinned, "127.0.0.1");
  EXPECT_TRUE(st.is_ok()) << st.to_string();
}

TEST_F(TlsSessionTest, PinMismatchEvenWhenInsecure) {
  Pki pki = make_pki();
  TlsOptions o;
  o.cacert = cacert_file(pki.ca);
  o.pin = must(make_self_signed()).pin;
  o.insecure = true;
  Status st = connect(pki.leaf, o, "127.0.0.1");
  EXPECT_EQ(st.code(), Code::kTlsPinMismatch) << st.to_string();
  EXPECT_NE(st.to_string().find(pki.leaf.pin), std::string::npos) << st.to_string();
}

TEST_F(TlsSessionTest, PlaintextPeerFailsTheHandshake) {
  auto pair = test::loopback_pair();
  std::thread peer([&] {
    char buf[4096];
    [[maybe_unused]] ssize_t n = ::recv(pair.server.get(), buf, sizeof(buf), 0);
    const char answer[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    [[maybe_unused]] ssize_t w =
        ::send(pair.server.get(), answer, sizeof(answer) - 1, MSG_NOSIGNAL);
    ::shutdown(pair.server.get(), SHUT_RDWR);
  });
  auto ctx = TlsContext::for_client({});
  ASSERT_TRUE(ctx.is_ok()) << ctx.status().to_string();
  auto c = TlsSession::client(*ctx, pair.client.get(), "localhost");
  ASSERT_TRUE(c.is_ok());
  Status st = (*c)->handshake_within(kTimeout);
  peer.join();
  EXPECT_EQ(st.code(), Code::kTlsHandshake) << st.to_string();
  EXPECT_NE(st.to_string().find("plain HTTP"), std::string::npos) << st.to_string();
}

TEST_F(TlsSessionTest, PeerClosingMidHandshake) {
  auto pair = test::loopback_pair();
  pair.server.reset();
  auto ctx = TlsContext::for_client({});
  ASSERT_TRUE(ctx.is_ok());
  auto c = TlsSession::client(*ctx, pair.client.get(), "localhost");
  ASSERT_TRUE(c.is_ok());
  Status st = (*c)->handshake_within(kTimeout);
  EXPECT_EQ(st.code(), Code::kTlsHandshake) << st.to_string();
}

TEST_F(TlsSessionTest, SilentPeerTimesOut) {
  auto pair = test::loopback_pair();
  auto ctx = TlsContext::for_client({});
  ASSERT_TRUE(ctx.is_ok());
  auto c = TlsSession::client(*ctx, pair.client.get(), "localhost");
  ASSERT_TRUE(c.is_ok());
  Status st = (*c)->handshake_within(milliseconds(200));
  EXPECT_EQ(st.error_number(), ETIMEDOUT) << st.to_string();
}

// The server's epoll loop drives the handshake a step at a time: both ends
// non-blocking, one thread, each step until both are done.
TEST_F(TlsSessionTest, StepwiseNonBlockingHandshake) {
  auto pair = test::loopback_pair();
  Stepped st = stepped_sessions(pair);
  ASSERT_TRUE(st.c && st.s);
  auto& c = st.c;
  auto& s = st.s;
  HandshakeStep cs = HandshakeStep::kWantRead, ss = HandshakeStep::kWantRead;
  int want_reads = 0;
  for (int i = 0; i < 1000 && (cs != HandshakeStep::kDone || ss != HandshakeStep::kDone); ++i) {
    if (cs != HandshakeStep::kDone) cs = c->handshake();
    if (ss != HandshakeStep::kDone) ss = s->handshake();
    ASSERT_NE(cs, HandshakeStep::kError) << c->error().to_string();
    ASSERT_NE(ss, HandshakeStep::kError) << s->error().to_string();
    want_reads += (cs == HandshakeStep::kWantRead) + (ss == HandshakeStep::kWantRead);
  }
  EXPECT_EQ(cs, HandshakeStep::kDone);
  EXPECT_EQ(ss, HandshakeStep::kDone);
  EXPECT_GT(want_reads, 0);
  // Nothing to read yet: kWouldBlock, not an error or a timeout.
  char buf[16];
  auto r = s->read(buf, sizeof(buf));
  EXPECT_TRUE(r.status().would_block()) << r.status().to_string();
}

// Without kTLS, send_file goes pread + SSL_write; the bytes arrive intact.
TEST_F(TlsSessionTest, SendFileUserspacePath) {
  Credential self = must(make_self_signed());
  std::string data = test::pattern_bytes(3 * 1024 * 1024 + 17);
  std::string path = dir_.file("body.bin");
  test::write_file(path, data);
  TlsOptions o;
  o.pin = self.pin;
  std::string got;
  Status st = connect(
      self, o, "127.0.0.1",
      [&](TlsSession& s) {
        UniqueFd f = test::open_or_die(path, O_RDONLY);
        uint64_t moved = 0;
        Status sent = s.send_file(f.get(), 5, data.size() - 5, &moved);
        EXPECT_TRUE(sent.is_ok()) << sent.to_string();
        EXPECT_EQ(moved, data.size() - 5);
        s.shutdown();
      },
      [&](TlsSession& c) {
        std::vector<char> buf(kTlsBodyBuffer);
        for (;;) {
          auto n = c.read(buf.data(), buf.size());
          ASSERT_TRUE(n.is_ok()) << n.status().to_string();
          if (*n == 0) break;
          got.append(buf.data(), *n);
        }
      });
  EXPECT_TRUE(st.is_ok()) << st.to_string();
  EXPECT_TRUE(test::same_bytes(got, data.substr(5)));
}

// The server's way: a non-blocking socket whose buffer fills, send_file
// resumed at offset + moved after each EAGAIN (the bytes still in the
// session's read buffer go out, not a second pread of other bytes), then
// a second file on the very same descriptor number, from an offset inside
// what the first file's last read covered (a Range request), gets its own
// bytes.
TEST_F(TlsSessionTest, SendFileResumesAfterWouldBlockAndForgetsTheFile) {
  auto pair = test::loopback_pair();
  int small = 64 * 1024;  // so EAGAIN comes many times per buffer-full
  ASSERT_EQ(::setsockopt(pair.server.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
  Stepped st = stepped_sessions(pair);
  ASSERT_TRUE(st.c && st.s);
  auto& c = st.c;
  auto& s = st.s;
  HandshakeStep cs = HandshakeStep::kWantRead, ss = HandshakeStep::kWantRead;
  for (int i = 0; i < 1000 && (cs != HandshakeStep::kDone || ss != HandshakeStep::kDone); ++i) {
    if (cs != HandshakeStep::kDone) cs = c->handshake();
    if (ss != HandshakeStep::kDone) ss = s->handshake();
  }
  ASSERT_TRUE(cs == HandshakeStep::kDone && ss == HandshakeStep::kDone);

  std::vector<char> buf(kTlsBodyBuffer);
  auto send_from = [&](const std::string& data, uint64_t from, const std::string& name,
                       int* fd_number) {
    std::string path = dir_.file(name);
    test::write_file(path, data);
    UniqueFd f = test::open_or_die(path, O_RDONLY);
    *fd_number = f.get();
    std::string got;
    uint64_t sent = from;
    int would_block = 0;
    while (got.size() < data.size() - from) {
      if (sent < data.size()) {
        uint64_t moved = 0;
        Status st = s->send_file(f.get(), sent, data.size() - sent, &moved);
        sent += moved;
        if (!st) {
          EXPECT_TRUE(st.would_block()) << st.to_string();
          ++would_block;
        }
      }
      auto n = c->read(buf.data(), buf.size());
      if (n) got.append(buf.data(), *n);
      else EXPECT_TRUE(n.status().would_block()) << n.status().to_string();
    }
    EXPECT_GT(would_block, 0) << "the socket never filled: the test proves nothing";
    return got;
  };
  // a's reads: 256 KiB each from 0, the last one [2 MiB, 2 MiB + 100 KiB).
  std::string a = test::pattern_bytes(2 * 1024 * 1024 + 100 * 1024, 1);
  std::string b = test::pattern_bytes(3 * 1024 * 1024, 2);
  const uint64_t from = 2 * 1024 * 1024 + 50 * 1024;
  int fd_a = -1, fd_b = -1;
  EXPECT_TRUE(test::same_bytes(send_from(a, 0, "a.bin", &fd_a), a));
  EXPECT_TRUE(test::same_bytes(send_from(b, from, "b.bin", &fd_b), b.substr(from)));
  EXPECT_EQ(fd_a, fd_b) << "the second file did not reuse the descriptor number";
}

// Needs the kernel's tls ULP: then the same handshake offloads AES-GCM.
TEST_F(TlsSessionTest, KernelOffloadWhenAvailable) {
  if (!kernel_tls().available) GTEST_SKIP() << kernel_tls().why_not;
  Credential self = must(make_self_signed());
  TlsOptions o;
  o.pin = self.pin;
  bool send_on = false;
  Status st = connect(self, o, "127.0.0.1", {}, [&](TlsSession& c) { send_on = c.ktls_send(); });
  EXPECT_TRUE(st.is_ok()) << st.to_string();
  EXPECT_TRUE(send_on);
}

TEST_F(TlsSessionTest, BadCacertFileNamesIt) {
  TlsOptions o;
  o.cacert = dir_.file("missing.pem");
  auto ctx = TlsContext::for_client(o);
  ASSERT_FALSE(ctx.is_ok());
  EXPECT_NE(ctx.status().to_string().find("--cacert " + o.cacert), std::string::npos);
}

TEST_F(TlsSessionTest, ServerFilesWithChain) {
  Pki pki = make_pki();
  std::string cert = dir_.file("chain.pem"), key = dir_.file("key.pem");
  test::write_file(cert, pki.leaf.cert_pem + pki.ca.cert_pem);
  test::write_file(key, pki.leaf.key_pem);
  auto ctx = TlsContext::for_server_files(cert, key);
  EXPECT_TRUE(ctx.is_ok()) << ctx.status().to_string();
  // A key that is not the certificate's.
  test::write_file(key, pki.ca.key_pem);
  auto bad = TlsContext::for_server_files(cert, key);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().to_string().find("mismatch"), std::string::npos)
      << bad.status().to_string();
}

}  // namespace
}  // namespace zcp
