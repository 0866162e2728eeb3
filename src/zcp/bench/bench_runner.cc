#include "zcp/bench/bench_runner.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "zcp/base/socket.h"
#include "zcp/base/stats.h"
#include "zcp/bench/random_file.h"
#include "zcp/fd.h"
#include "zcp/recv_engine.h"

namespace zcp {
namespace {

// What a child process reports through its pipe.
struct ChildReport {
  int ok = 0;
  double seconds = 0;
  uint64_t bytes = 0;
  EngineStats stats;
  char error[256] = {};
};

void report_and_exit(int fd, ChildReport& r, const Status& s) {
  r.ok = s.is_ok() ? 1 : 0;
  if (!s) snprintf(r.error, sizeof(r.error), "%s", s.to_string().c_str());
  ssize_t n = ::write(fd, &r, sizeof(r));
  ::_exit(n == sizeof(r) && r.ok ? 0 : 1);
}

// Server child: one connection gets the whole file, then close.
// TCP_NOTSENT_LOWAT keeps at most `lowat` bytes queued but unsent. Without
// it, one sendfile call queues a whole send buffer, and over loopback the
// receiver's ACKs then transmit that backlog from the receiver's own
// context: the receiver, already the bottleneck, does the sender's work.
// With a low mark the sender transmits its own data as room opens up.
// Measured (docs/BENCHMARKS.md): sendfile 1 GiB runs 0.60 -> 0.32 s median,
// copy:8K unchanged (its sends never queue much).
[[noreturn]] void serve_once(int listen_fd, const std::string& path, const EngineSpec& spec,
                             uint64_t lowat, int report_fd) {
  ChildReport r;
  auto engine = make_send_engine(spec);
  auto file = open_file(path, O_RDONLY);
  if (!engine || !file) {
    report_and_exit(report_fd, r, engine ? file.status() : engine.status());
  }
  struct stat st {};
  ::fstat(file->get(), &st);
  auto conn = accept_connection(listen_fd);
  if (!conn) report_and_exit(report_fd, r, conn.status());
  int mark = static_cast<int>(std::min<uint64_t>(lowat, INT32_MAX));
  if (lowat > 0 && ::setsockopt(conn->get(), IPPROTO_TCP, TCP_NOTSENT_LOWAT, &mark, sizeof(mark)) != 0) {
    report_and_exit(report_fd, r, Status::from_errno("setsockopt TCP_NOTSENT_LOWAT"));
  }
  Progress p = (*engine)->send(file->get(), 0, static_cast<uint64_t>(st.st_size), conn->get());
  r.bytes = p.moved;
  r.stats = (*engine)->stats();
  report_and_exit(report_fd, r, p.status);
  ::_exit(1);
}

// Receivers that land bytes in a file get an unnamed one (O_TMPFILE) in
// `dir`: it vanishes with the process, so a run leaves nothing behind.
Result<UniqueFd> open_sink(const EngineSpec& spec, const std::string& dir) {
  if (spec.name.rfind("discard", 0) == 0) return UniqueFd();
  return open_file(dir, O_TMPFILE | O_RDWR, 0600);
}

// Client child: connect, receive until EOF, report the wall time.
[[noreturn]] void receive_once(const SocketAddress& addr, const EngineSpec& spec,
                               const std::string& dir, int report_fd) {
  ChildReport r;
  auto engine = make_recv_engine(spec);
  if (!engine) report_and_exit(report_fd, r, engine.status());
  auto sink = open_sink(spec, dir);
  if (!sink) report_and_exit(report_fd, r, sink.status());
  auto start = std::chrono::steady_clock::now();
  auto conn = connect_tcp(addr);
  if (!conn) report_and_exit(report_fd, r, conn.status());
  Progress p = (*engine)->receive(conn->get(), sink->get(), 0, kUntilEof);
  r.seconds = seconds_since(start);
  r.bytes = p.moved;
  r.stats = (*engine)->stats();
  report_and_exit(report_fd, r, p.status);
  ::_exit(1);
}

double cpu_seconds(const rusage& ru) {
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

// Waits up to `timeout_ms` for a child's report (a run can stall: TCP on
// loopback with odd buffer sizes has been seen crawling at 11 MB/s), then
// reaps it; its report and CPU time land in `report` and `cpu`.
Status collect(pid_t pid, int read_fd, const char* who, int timeout_ms, ChildReport& report,
               double& cpu) {
  pollfd pfd{read_fd, POLLIN, 0};
  int ready;
  while ((ready = ::poll(&pfd, 1, timeout_ms)) < 0 && errno == EINTR) {
  }
  ssize_t n = -1;
  if (ready == 1) {
    n = ::read(read_fd, &report, sizeof(report));
  } else {
    ::kill(pid, SIGKILL);
  }
  int wstatus = 0;
  rusage ru{};
  while (::wait4(pid, &wstatus, 0, &ru) < 0 && errno == EINTR) {
  }
  cpu = cpu_seconds(ru);
  if (ready == 0) {
    return Status(Code::kSystem, who, "run timed out after " + std::to_string(timeout_ms / 1000) + " s");
  }
  if (n != static_cast<ssize_t>(sizeof(report))) {
    return Status(Code::kSystem, who, "process died without a report");
  }
  if (!report.ok) return Status(Code::kSystem, who, report.error);
  return {};
}

std::string scratch_dir(const BenchOptions& opts) {
  if (!opts.dir.empty()) return opts.dir;
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}

// Pins the calling process to one CPU (modulo the CPUs it may use).
void pin_to_cpu(int index) {
  cpu_set_t allowed;
  if (::sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return;
  int count = CPU_COUNT(&allowed);
  if (count < 2) return;
  int want = index % count;
  for (int cpu = 0, seen = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    if (seen++ == want) {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpu, &one);
      ::sched_setaffinity(0, sizeof(one), &one);
      return;
    }
  }
}

Result<pid_t> spawn(const std::function<void(int)>& body, UniqueFd& read_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Status::from_errno("pipe2");
  read_end.reset(fds[0]);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[1]);
    return Status::from_errno("fork");
  }
  if (pid == 0) {
    read_end.reset();
    body(fds[1]);
    ::_exit(1);
  }
  ::close(fds[1]);
  return pid;
}

Result<RunSample> run_pair_once(const BenchOptions& opts, const std::string& path,
                                const SocketAddress& where, const EngineSpec& send,
                                const EngineSpec& recv) {
  const std::string dir = scratch_dir(opts);
  auto listener = listen_tcp(where, {.backlog = 4});
  if (!listener) return std::move(listener).take_status();
  auto addr = local_address(listener->get());
  if (!addr) return std::move(addr).take_status();
  UniqueFd server_report, client_report;
  auto server = spawn(
      [&](int fd) {
        if (opts.pin) pin_to_cpu(0);
        serve_once(listener->get(), path, send, opts.notsent_lowat, fd);
      },
      server_report);
  if (!server) return std::move(server).take_status();
  listener->reset();  // the child holds it; the client connects into its backlog
  auto client = spawn(
      [&](int fd) {
        if (opts.pin) pin_to_cpu(1);
        receive_once(*addr, recv, dir, fd);
      },
      client_report);
  if (!client) {
    ::kill(*server, SIGKILL);
    ::waitpid(*server, nullptr, 0);
    return std::move(client).take_status();
  }
  RunSample sample;
  ChildReport sr, cr;
  const int timeout_ms = opts.timeout_seconds * 1000;
  Status cs = collect(*client, client_report.get(), "bench client", timeout_ms, cr, sample.recv_cpu);
  if (!cs) ::kill(*server, SIGKILL);  // e.g. the client could not connect
  Status ss = collect(*server, server_report.get(), "bench server", timeout_ms, sr, sample.send_cpu);
  if (!ss) return ss;
  if (!cs) return cs;
  sample.seconds = cr.seconds;
  sample.bytes = cr.bytes;
  sample.send_stats = sr.stats;
  sample.recv_stats = cr.stats;
  return sample;
}

Result<std::string> prepare_file(const BenchOptions& opts, uint64_t& size, bool& created) {
  if (!opts.file.empty()) {
    struct stat st {};
    if (::stat(opts.file.c_str(), &st) != 0) return Status::from_errno("stat").at(opts.file);
    if (!S_ISREG(st.st_mode)) return Status::invalid("not a regular file: " + opts.file);
    size = static_cast<uint64_t>(st.st_size);
    created = false;
    return opts.file;
  }
  std::string tmpl = scratch_dir(opts) + "/zcp-bench-XXXXXX";
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return Status::from_errno("mkstemp").at(tmpl);
  ::close(fd);
  if (Status s = write_random_file(tmpl, opts.size); !s) {
    ::unlink(tmpl.c_str());
    return s;
  }
  size = opts.size;
  created = true;
  return tmpl;
}

void finish_pair(PairResult& pair, uint64_t size, double baseline_median) {
  std::vector<double> secs, scpu, rcpu;
  for (const auto& r : pair.runs) {
    secs.push_back(r.seconds);
    scpu.push_back(r.send_cpu);
    rcpu.push_back(r.recv_cpu);
  }
  pair.seconds = summarize(secs);
  pair.send_cpu = summarize(scpu);
  pair.recv_cpu = summarize(rcpu);
  if (pair.seconds.median > 0) {
    pair.gbps = static_cast<double>(size) / pair.seconds.median / 1e9;
    pair.speedup = baseline_median / pair.seconds.median;
  }
}

}  // namespace

Result<BenchReport> run_bench(const BenchOptions& opts, const RunCallback& on_run) {
  if (opts.runs < 1) return Status::invalid("--runs must be at least 1");
  if (opts.senders.empty() || opts.receivers.empty()) return Status::invalid("no engines chosen");
  BenchReport report;
  report.runs = opts.runs;
  report.notsent_lowat = opts.notsent_lowat;
  // Build every engine once up front so a bad name fails before any run.
  for (const auto& s : opts.senders) {
    auto se = make_send_engine(s);
    if (!se) return std::move(se).take_status();
    for (const auto& r : opts.receivers) {
      auto re = make_recv_engine(r);
      if (!re) return std::move(re).take_status();
      report.pairs.push_back({(*se)->name(), (*re)->name(), (*se)->cpu_copies(),
                              (*re)->cpu_copies(), {}, {}, {}, {}, 0, 0});
    }
  }
  auto path = prepare_file(opts, report.size, report.created);
  if (!path) return std::move(path).take_status();
  report.file = *path;
  SocketAddress where = opts.ipv6 ? SocketAddress::loopback_v6(0) : SocketAddress::loopback_v4(0);

  Status status;
  for (int run = -opts.warmup; run < opts.runs && status.is_ok(); ++run) {
    size_t i = 0;
    for (const auto& s : opts.senders) {
      for (const auto& r : opts.receivers) {
        PairResult& pair = report.pairs[i++];
        auto sample = run_pair_once(opts, report.file, where, s, r);
        if (!sample) {
          status = std::move(sample).take_status().at(pair.sender + " -> " + pair.receiver);
          break;
        }
        if (sample->bytes != report.size) {
          status = Status(Code::kPeerClosed, pair.sender + " -> " + pair.receiver,
                           "client received " + std::to_string(sample->bytes) + " of " +
                               std::to_string(report.size) + " bytes");
          break;
        }
        if (run >= 0) pair.runs.push_back(*sample);
        if (on_run) on_run(pair, run, run < 0, *sample);
      }
      if (!status.is_ok()) break;
    }
  }
  if (report.created) ::unlink(report.file.c_str());
  if (!status.is_ok()) return status;
  // Baseline per receiver: the first sender's pair with that receiver
  // (pairs are sender-major), summarized first so the others can use it.
  size_t nrecv = opts.receivers.size();
  for (size_t i = 0; i < nrecv; ++i) finish_pair(report.pairs[i], report.size, 0);
  for (size_t i = 0; i < report.pairs.size(); ++i) {
    finish_pair(report.pairs[i], report.size, report.pairs[i % nrecv].seconds.median);
  }
  return report;
}

}  // namespace zcp
