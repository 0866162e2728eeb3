// One client connection of `zcp serve`, as an explicit state machine. Every
// change of state goes through `enter()`; the states and where they lead:
//
//   kHandshake    TLS servers only, where a connection is born: the first
//                 bytes are sniffed (a plain HTTP request gets nginx's 400
//                 and a close), then the TLS handshake steps without
//                 blocking; all of it within header_timeout (slowloris).
//                 -> kReadingHead handshake done
//                 -> kClosed      timeout, plain HTTP, garbage, failed handshake
//   kReadingHead  waiting for (the rest of) a request head; the first within
//                 header_timeout, later ones after up to idle_timeout idle.
//                 -> kWriting     a head parsed (or refused: error response)
//                 -> kReadingBody a PUT accepted
//                 -> kClosed      EOF, timeout, reset, a PUT handed to a relay
//   kReadingBody  a PUT's body going into its temporary file.
//                 -> kWriting     body stored, or failed (error response)
//                 -> kClosed      the client went away, stalled upload
//   kWriting      head and body going out, at most max_bytes_per_wakeup of
//                 body per call.
//                 -> kReadingHead response sent, keep-alive (a pipelined
//                                 request may be answered at once)
//                 -> kClosed      sent without keep-alive, error, short file
//   kClosed       final; the worker reaps it after dispatch.
//
// Raw mode starts in kWriting (the whole file) and ends in kClosed. The
// worker owns the socket's epoll registration and asks `interest()` after
// each call; a connection never destroys itself.
//
// All bytes to and from the client pass through three functions,
// read_some(), write_iov() and send_file_range(); with TLS each goes
// through the TlsSession instead (connection_tls.cc), as do PUT bodies
// (which without TLS Upload splices from the socket itself). In io_uring
// mode (ring_io.h, worker_uring.cc) read_some() hands out what the
// worker's multishot RECV delivered, and bytes that end a write go by the
// worker's SEND straight from head_ and the cached body (ring_write_bytes).
#pragma once

#include <sys/uio.h>

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
#include "zcp/server/ring_io.h"
#include "zcp/server/tree_put.h"
#include "zcp/server/request_handler.h"

namespace zcp {

class TlsContext;
class TlsSession;

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
  const TlsContext* tls = nullptr;  // HTTPS; null: plain HTTP
  // Driven by the io_uring loop (worker_uring.cc): request heads arrive
  // by RECV and in-memory replies leave by SEND (ring_io.h). Not with TLS.
  bool io_uring = false;
};

class Connection {
 public:
  enum class State { kHandshake, kReadingHead, kReadingBody, kWriting, kClosed };

  Connection(UniqueFd fd, SocketAddress peer, const ConnectionConfig& cfg);
  ~Connection();

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
  // Plaintext OpenSSL already holds: epoll will not report it, so the
  // worker calls on_readable() again while this is true.
  bool buffered_input() const { return tls_ != nullptr && tls_has_pending(); }
  // Called with the socket just before a relay thread takes it over, so
  // the worker can drop it from its epoll set first (the fd stays open).
  std::function<void(int fd)> on_handoff;

  // io_uring mode: the buffers the worker's SQEs name; null under epoll.
  RingIo* ring() { return ring_.get(); }
  // Waiting for a head and the client may still send one: the worker's
  // multishot RECV is wanted.
  bool wants_input() const { return state_ == State::kReadingHead && !peer_done_; }
  // Received bytes not yet parsed (pipelined requests): the worker stops
  // receiving past a bound.
  size_t unparsed_bytes() const { return in_.size(); }
  // io_uring mode: the multishot RECV a PUT waited for has stopped, and
  // what it received is in ring()->in: start the upload (or hand the
  // socket to a relay or tree upload) as handle_input would have.
  void resume_handover();
  // The worker's SEND finished (all of it, or failed): go on with what
  // waited for it, a pipelined request or the rest of the response.
  void on_send_done();
  // io_uring mode: close() keeps the socket open while SQEs name it (its
  // number must not be reused under them); the worker calls this once the
  // last completion arrived. Under epoll close() already did it.
  void release_socket();

 private:
  // --- the state machine
  void enter(State next);  // the one place state_ changes
  void begin_head();
  void handle_input();
  void start_response(Response r);
  void start_raw();
  void start_upload(const HttpRequest& req);
  void start_relay(const HttpRequest& req, std::string_view forward);
  void start_tree_put(const HttpRequest& req);
  void upload_step(Upload::Step step);
  void stalled_upload();
  void answer_upload(Response r);
  bool write_bytes();
  bool write_file(Segment& seg, uint64_t& budget);
  bool refill();
  void finish_response();
  void close();
  void fail(std::string_view note);
  void log_access(std::string_view note);
  void note_request(const HttpRequest& req);


  // --- the socket: every byte of a request head or a response passes here
  struct Io {
    enum class Kind { kDone, kWouldBlock, kEof, kError } kind;
    size_t bytes = 0;
  };
  Io read_some(char* buf, size_t len);
  Io write_iov(const iovec* iov, int count, bool more);
  Progress send_file_range(int file_fd, uint64_t offset, uint64_t count);
  Io ring_read(char* buf, size_t len);
  Io ring_write(const iovec* iov, int count);
  std::optional<bool> ring_write_bytes();
  bool ring_hold_for_socket();

  // --- TLS (connection_tls.cc)
  void start_tls_wait();
  void on_handshake();
  void sniff_plain();
  void refuse_plain_http();
  bool tls_has_pending() const;
  Io tls_read(char* buf, size_t len);
  Io tls_write(const iovec* iov, int count);
  Progress tls_send_file(int file_fd, uint64_t offset, uint64_t count);
  void tls_close();

  // io_uring mode: no request is parsed while a SEND is pending, so
  // replies leave in order and nothing else reads the socket meanwhile.
  // A PUT waiting for the RECV to stop (RingIo::handover) holds it too.
  bool input_held() const { return ring_ && (ring_->send_busy() || ring_->handover); }

  UniqueFd fd_;
  std::unique_ptr<RingIo> ring_;  // io_uring mode only
  SocketAddress peer_;
  const ConnectionConfig& cfg_;
  State state_ = State::kReadingHead;
  Clock::time_point deadline_;

  std::string in_;  // received bytes not yet parsed (pipelined requests wait here)
  HttpRequestParser parser_;
  bool head_started_ = false;  // bytes of the next head have arrived
  bool answered_ = false;      // a response was started: later heads get idle_timeout first
  bool peer_done_ = false;     // the client half-closed: no more requests will come
  bool draining_ = false;

  std::unique_ptr<Upload> upload_;  // kReadingBody
  std::unique_ptr<SendEngine> engine_;  // made on the first file range, kept

  std::unique_ptr<TlsSession> tls_;  // after the first bytes looked like TLS
  bool tls_want_write_ = false;      // kHandshake waits for EPOLLOUT
  bool tls_up_ = false;              // handshake done: close_notify on close
  const char* tls_path_ = "";        // "userspace" or "ktls", for the access log
  std::string tls_out_;              // head + small segments gathered for one SSL_write

  // The response being written: one assignment starts the next.
  struct Reply {
    Response response;
    size_t head_sent = 0;
    size_t seg_sent = 0;     // of the front in-memory segment
    uint64_t body_sent = 0;  // body bytes, for the access log
    bool keep_alive = false;
    Clock::time_point started;
  };
  Reply reply_;
  // The head's text, outside Reply so its buffer is reused request after
  // request (no allocation per response).
  std::string head_;

  // What the access log keeps of the current request (raw as sent;
  // access_log.h escapes). Filled only when there is a log to write or a
  // relay to tell; one assignment resets it.
  struct LogRecord {
    bool pending = false;  // a line is owed for the current request
    std::string request_line;  // "GET /a.bin HTTP/1.1", "" when the head did not parse
    std::string referer, user_agent;
    std::chrono::system_clock::time_point arrived;
    std::optional<uint64_t> upload_bytes;  // a PUT logs what it received
  };
  LogRecord log_;
};

}  // namespace zcp
