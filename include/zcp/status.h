// Status and Result<T>: how the core reports failure without exceptions.
// A Status names the failing call, what it acted on and errno's text, and
// prints like `sendfile /srv/a.bin -> 127.0.0.1:5123: Broken pipe`.
#pragma once

#include <cerrno>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace zcp {

enum class Code {
  kOk = 0,
  kWouldBlock,    // non-blocking fd not ready: resume later at offset + moved
  kSystem,        // a syscall failed; errno() says why
  kShortFile,     // the file ended before `count` bytes were read
  kPeerClosed,    // the peer closed before the transfer finished
  kInvalid,       // bad argument or input (a parse error, an unknown engine)
  kUnsupported,   // the kernel or fd type cannot do this
  kTlsHandshake,  // the TLS handshake failed: no common version or
                  // suite, not TLS at all, a peer that closed or lied mid-handshake
  kTlsUntrusted,  // the peer's certificate is not trusted: expired,
                  // wrong host name, unknown issuer, self-signed
  kTlsPinMismatch,  // the peer's public key is not the pinned one
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(Code code, std::string op, std::string message = {}, int err = 0)
      : code_(code), err_(err), op_(std::move(op)), message_(std::move(message)) {}

  static Status ok() { return {}; }
  // The failing call `op` with the current errno (or `err`).
  static Status from_errno(std::string op, int err = errno) {
    return {err == EAGAIN ? Code::kWouldBlock : Code::kSystem, std::move(op), {}, err};
  }
  static Status invalid(std::string message) {
    return {Code::kInvalid, {}, std::move(message)};
  }

  bool is_ok() const { return code_ == Code::kOk; }
  bool would_block() const { return code_ == Code::kWouldBlock; }
  explicit operator bool() const { return is_ok(); }
  Code code() const { return code_; }
  int error_number() const { return err_; }
  const std::string& op() const { return op_; }
  const std::string& subject() const { return subject_; }

  // Whether trying again (new connection, same request) can succeed: wdt's
  // retryable split. Network trouble is; a bad argument or a full disk is not.
  bool retryable() const;

  // Names what the failing call acted on: a path, an address, or both.
  Status& at(std::string subject) & {
    subject_ = std::move(subject);
    return *this;
  }
  Status&& at(std::string subject) && {
    subject_ = std::move(subject);
    return std::move(*this);
  }

  std::string to_string() const;

 private:
  Code code_ = Code::kOk;
  int err_ = 0;
  std::string op_;       // "sendfile", "open", "connect" ...
  std::string subject_;  // "/srv/a.bin -> 127.0.0.1:5123"
  std::string message_;  // used when errno does not say it all
};

// A value or the Status that explains why there is none. `E` is another
// error type where callers need more than a Status (the downloader's
// GetError carries the kind of failure beside it); default-constructed E
// stands for "no error".
template <typename T, typename E = Status>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}     // NOLINT: implicit by design
  Result(E error) : v_(std::move(error)) {}     // NOLINT

  bool is_ok() const { return v_.index() == 0; }
  explicit operator bool() const { return is_ok(); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& value() const& { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const E& status() const {
    static const E kNoError{};
    return is_ok() ? kNoError : std::get<1>(v_);
  }
  E take_status() && { return std::get<1>(std::move(v_)); }
  const E& error() const { return status(); }
  E take_error() && { return std::move(*this).take_status(); }

 private:
  std::variant<T, E> v_;
};

}  // namespace zcp
