// The server side of PUT (`zcp serve --upload`): checks (auth, length,
// size limit, path), then receives the body with the splice receive engine
// into an unnamed O_TMPFILE in the target's directory, fsyncs it, and only
// then links it in and renames it over the target. A connection that dies
// mid-body leaves nothing: an O_TMPFILE has no name until the last step.
#pragma once

#include <cstdint>
#include <atomic>
#include <memory>
#include <string>
#include <variant>

#include "zcp/base/stream.h"
#include "zcp/fd.h"
#include "zcp/http/http_request.h"
#include "zcp/http/http_response.h"
#include "zcp/recv_engine.h"

namespace zcp {

struct UploadConfig {
  bool enabled = false;       // --upload
  std::string token;          // --token: require "Authorization: Bearer TOKEN"
  uint64_t max_bytes = 0;     // --max-upload (0: no limit)
  bool dotfiles = false;
  int root_fd = -1;
  // Bumped after every rename that stored a file, so the workers' open-file
  // caches drop what they hold (file_cache.h): a GET right after a PUT sees
  // the new file whichever worker serves it. Null: nobody listens.
  std::atomic<uint64_t>* stored = nullptr;
};

class Upload {
 public:
  // A prepared upload, or the response that refuses it (401, 403, 404,
  // 405, 409, 411, 413, 414, 500, 503, 507), decided from the head alone.
  // Missing parent directories are created (upload_dir.h).
  static std::variant<std::unique_ptr<Upload>, Response> begin(const HttpRequest& req,
                                                               const UploadConfig& cfg);

  enum class Step { kNeedMore, kComplete, kFailed };
  // Body bytes that arrived with the head (takes what belongs to the body).
  Step take_buffered(std::string& in);
  // Non-blocking socket: moves what is there; kNeedMore on EAGAIN.
  Step receive(int sock_fd);
  // The same through a stream that must be read (TLS in user space):
  // read() into a buffer, pwrite at the body's offset.
  Step receive_from(ByteStream& in);
  // After kComplete: fsync, link, rename; 201 (new), 204 (replaced) or an error.
  Response finish();
  // After kFailed: the error response (507 when the disk is full).
  Response failure_response() const;
  bool peer_closed() const { return peer_closed_; }
  uint64_t received() const { return received_; }

  // For a relay, which moves the body itself (tee_pump): the temporary
  // file, the body's length, and the outcome it reports before finish().
  int file_fd() const { return file_.get(); }
  uint64_t length() const { return length_; }
  void mark_received(uint64_t n) { received_ = n; }
  const Status& error() const { return error_; }  // after kFailed
  Response fail_with(Status why);

 private:
  Upload() = default;
  Step account(const Progress& p);

  UniqueFd dir_;    // the target's directory
  std::string name_;  // the target's name in it
  UniqueFd file_;   // O_TMPFILE
  uint64_t length_ = 0, received_ = 0;
  std::unique_ptr<RecvEngine> engine_;
  Status error_;
  bool peer_closed_ = false;
  std::atomic<uint64_t>* stored_ = nullptr;  // UploadConfig::stored
};

}  // namespace zcp
