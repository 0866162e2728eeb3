// One client connection of `zcp serve`, as an explicit state machine:
//
//   kReadingHead --head parsed--> kWriting --response sent, keep-alive--> kReadingHead
//        \--PUT accepted--> kReadingBody --body stored or failed--> kWriting
//        \--PUT to relay--> kClosed (a RelayPool thread owns the socket now)
//        |  \--bad head: error response, then close-->  |
//        \--EOF, timeout, error--> kClosed <--error, short file, no keep-alive
//
// Raw mode starts in kWriting (the whole file) and ends in kClosed. The
// worker owns the socket's epoll registration and asks `interest()` after
// each call; a connection never destroys itself, the worker reaps kClosed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "zcp/base/socket.h"
#include "zcp/engine_spec.h"
#include "zcp/http/http_request.h"
#include "zcp/http/http_response.h"
#include "zcp/send_engine.h"
#include "zcp/server/put_handler.h"
#include "zcp/server/relay.h"
#include "zcp/server/tree_put.h"
#include "zcp/server/request_handler.h"

namespace zcp {

using Clock = std::chrono::steady_clock;

struct ConnectionConfig {
  HandlerConfig handler;
  EngineSpec engine{"sendfile", 0};
  HttpLimits limits;
  std::chrono::milliseconds header_timeout{10000};  // a whole request head (slowloris)
  std::chrono::milliseconds idle_timeout{60000};    // keep-alive wait between requests
  std::chrono::milliseconds send_timeout{60000};    // no progress while sending
  // Fairness: at most this many body bytes per wakeup, so one fast client
  // cannot starve the others on its worker (nginx's sendfile_max_chunk, 2m).
  uint64_t max_bytes_per_wakeup = 2 << 20;
  std::function<void(std::string_view)> access_log;  // null: no log
  bool log_json = false;                              // JSON lines instead of combined format
  std::string raw_file;  // raw mode: send this file on connect, then close
  UploadConfig upload;   // PUT
  RelayPool* relay = nullptr;  // --relay: PUTs naming further hosts; null: refused
  TreePutPool* tree_put = nullptr;  // --upload: PUT DIR/?format=tar (tree_put.h)
};

class Connection {
 public:
  enum class State { kReadingHead, kReadingBody, kWriting, kClosed };

  Connection(UniqueFd fd, SocketAddress peer, const ConnectionConfig& cfg);

  void on_readable();
  void on_writable();
  // Closes the connection when its current deadline has passed.
  void on_tick(Clock::time_point now);
  // Server shutdown: idle connections close now, busy ones after their response.
  void start_draining();
  // The worker cannot watch this connection any more (epoll_ctl failed):
  // log why and close; the worker reaps it after dispatch.
  void abort(std::string_view why) { fail(why); }

  State state() const { return state_; }
  // EPOLLIN, EPOLLOUT, or 0 once closed.
  uint32_t interest() const;
  int fd() const { return fd_.get(); }
  // Called with the socket just before a relay thread takes it over, so
  // the worker can drop it from its epoll set first (the fd stays open).
  std::function<void(int fd)> on_handoff;

 private:
  void begin_head();
  void handle_input();
  void start_response(Response r);
  void start_raw();
  void start_upload(const HttpRequest& req);
  void start_relay(const HttpRequest& req, std::string_view forward);
  void start_tree_put(const HttpRequest& req);
  void upload_step(Upload::Step step);
  bool send_bytes(const std::string& data, size_t& sent, bool more);
  bool write_file(Segment& seg, uint64_t& budget);
  bool refill();
  void finish_response();
  void close();
  void fail(std::string_view note);
  void log_access(std::string_view note);
  void note_request(const HttpRequest& req);

  UniqueFd fd_;
  SocketAddress peer_;
  const ConnectionConfig& cfg_;
  State state_ = State::kReadingHead;
  Clock::time_point deadline_;

  std::string in_;  // received bytes not yet parsed (pipelined requests wait here)
  HttpRequestParser parser_;
  bool head_started_ = false;  // bytes of the next head have arrived
  bool peer_done_ = false;     // the client half-closed: no more requests will come
  bool draining_ = false;

  std::unique_ptr<Upload> upload_;  // kReadingBody

  // The response being written.
  Response response_;
  std::unique_ptr<SendEngine> engine_;
  bool keep_alive_ = false;
  bool http10_ = false;
  // For the access log: raw as sent (access_log.h escapes), and whether a
  // line is owed for the current request.
  bool log_pending_ = false;
  std::string request_line_;  // "GET /a.bin HTTP/1.1", "" when the head did not parse
  std::string referer_, user_agent_;
  std::chrono::system_clock::time_point arrived_;
  std::optional<uint64_t> upload_bytes_;  // a PUT logs what it received
  std::string head_;          // status line and headers
  size_t head_sent_ = 0;
  size_t bytes_sent_ = 0;     // of the current segment of bytes
  uint64_t body_sent_ = 0;
  Clock::time_point started_;
};

}  // namespace zcp
