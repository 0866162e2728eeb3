// zcp get's engine room: fetch one URL into a file so that nothing corrupt
// is ever left under the final name. One stream or N parallel ranges, each
// spliced straight into its offset of DEST.part; a record kept with the
// .part (user.zcp.resume) names the bytes that landed, so -c fetches only
// the missing ranges (Range + If-Range); Content-Length and (optionally)
// Repr-Digest checked before the rename.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "zcp/engine_spec.h"
#include "zcp/status.h"
#include "zcp/tls_options.h"
#include "zcp/url.h"

namespace zcp {

class HttpClient;  // the core's HTTP/1.1 exchange (private)

// Why a transfer failed, in the terms a caller acts on (curl's: the
// connection, the HTTP answer, the local write, the verification).
enum class GetFailure {
  kNone, kUsage, kConnect, kHttp, kProtocol, kWrite,
  kVerify,    // --verify: the bytes differ from the server's sha-256
  kNoDigest,  // --verify: the server sends no digest (nothing was fetched)
  kRedirect,  // internal: a 3xx with Location (Status::subject()); download() follows it
  kTlsHandshake,  // https: the TLS handshake failed
  kTlsUntrusted,  // https: the server's certificate is not trusted
  kTlsPin,        // https: the server's key does not match --pin
};

// A failed transfer: what failed (the Status) and its kind, decided where
// the failure happened (the write that returned ENOSPC, the head that made
// no sense), not guessed later from the message.
struct GetError {
  GetFailure kind = GetFailure::kNone;
  Status status;
  std::string to_string() const { return status.to_string(); }
};

template <typename T>
using GetResultOr = Result<T, GetError>;

// Redirects download() follows, as curl -L (never to another scheme).
inline constexpr int kMaxRedirects = 10;

// Keeps the last idle keep-alive connection, so several URLs on one
// server in one command share it.
class ClientPool {
 public:
  ClientPool();
  ~ClientPool();
  ClientPool(const ClientPool&) = delete;
  ClientPool& operator=(const ClientPool&) = delete;

  // The idle connection if it goes to `url`'s server.
  std::optional<HttpClient> take(const Url& url);
  void give(HttpClient client);

 private:
  std::unique_ptr<HttpClient> idle_;
};

// Lets another thread (the CLI's signal watcher) save what a running
// download holds before the process ends: save() writes the resume record
// now and says which .part keeps how many bytes (a .part holding nothing
// is removed). Thread-safe; the downloader arms it while a .part is open.
class DownloadCheckpoint {
 public:
  struct Kept {
    std::string part_path;
    uint64_t bytes = 0;
    uint64_t size = 0;  // the whole file, 0 if unknown
  };
  // nullopt when no download is running.
  std::optional<Kept> save();
  void arm(std::function<Kept()> save_fn);
  void disarm();

 private:
  std::mutex mu_;
  std::function<Kept()> save_fn_;
};

struct GetOptions {
  std::string dest;  // a file path, or "-" for stdout
  bool resume = false;
  bool fsync = false;
  bool verify = false;
  int streams = 0;  // 0: automatic (one stream below kParallelThreshold)
  EngineSpec engine{"splice", 0};
  std::chrono::milliseconds timeout{30000};
  TlsOptions tls;  // https:// URLs: how the server is trusted
  // Called with (bytes landed so far, total or 0 if unknown); from several
  // threads when parallel, so it must be thread-safe.
  std::function<void(uint64_t, uint64_t)> progress;
  std::function<void(const std::string&)> notice;  // "server's file changed: starting over"
  ClientPool* pool = nullptr;  // reuse keep-alive connections across calls
  DownloadCheckpoint* checkpoint = nullptr;  // armed while DEST.part is open
};

struct GetResult {
  std::string dest;
  uint64_t bytes = 0;        // bytes received this time
  uint64_t size = 0;         // final file size
  uint64_t resumed_from = 0;
  int streams = 1;
  bool verified = false;
  bool already_complete = false;  // -c: DEST matched the server's size and date
  double seconds = 0;
  // How the body reached DEST: "splice" (plain, no user-space copy),
  // "ktls" (TLS decrypted by the kernel, spliced), "userspace" (TLS in
  // OpenSSL: read into a buffer, then written), "copy" (--engine copy).
  std::string path;
};

// The kind of a failure that arrives as a bare Status from code that does
// not know its side (a tar member's write, an upload's answer): a local
// errno (ENOSPC, EACCES, ...) is kWrite, nonsense from the server kProtocol,
// anything else on the network (refused, reset, timed out) kConnect.
GetFailure classify_failure(const Status& s);

// A connection that could not be opened: a TLS failure's own kind
// (handshake, trust, pin), else kConnect.
GetFailure connect_failure(const Status& s);

inline constexpr uint64_t kParallelThreshold = 256ULL << 20;

// Streams for a file of kParallelThreshold or more when GetOptions::streams
// is 0: one per CPU, 2 to 4. Landing in the page cache costs the receiver a
// copy per byte, so a stream keeps a CPU busy; on 2 CPUs 2 streams beat 4
// into ext4 (docs/BENCHMARKS.md, disk landing), and 1 leaves a CPU idle.
int default_streams();

GetResultOr<GetResult> download(const Url& url, const GetOptions& opts);

// The experiment's client: connect, read until EOF into `dest` (atomic).
GetResultOr<GetResult> download_raw(const std::string& host_port, const GetOptions& opts);

}  // namespace zcp
