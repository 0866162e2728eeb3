#include "zcp/http/http_response.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace zcp {
namespace {

// A source that hands out `batches` one next() call at a time.
class Scripted final : public BodySource {
 public:
  explicit Scripted(std::vector<std::vector<Segment>> batches) : batches_(std::move(batches)) {}
  Result<bool> next(std::deque<Segment>& out) override {
    if (at_ == batches_.size()) return false;
    for (Segment& s : batches_[at_]) out.push_back(std::move(s));
    return ++at_ < batches_.size();
  }

 private:
  std::vector<std::vector<Segment>> batches_;
  size_t at_ = 0;
};

// What a chunked decoder makes of `wire`: the body, or "BAD" and where.
std::string dechunk(const std::string& wire) {
  std::string body;
  size_t at = 0;
  for (;;) {
    size_t eol = wire.find("\r\n", at);
    if (eol == std::string::npos) return "BAD: no chunk line at " + std::to_string(at);
    size_t n = std::stoul(wire.substr(at, eol - at), nullptr, 16);
    at = eol + 2;
    if (n == 0) return wire.substr(at) == "\r\n" ? body : "BAD: trailer";
    if (wire.compare(at + n, 2, "\r\n") != 0) return "BAD: chunk end at " + std::to_string(at + n);
    body += wire.substr(at, n);
    at += n + 2;
  }
}

struct Sent {
  std::string wire;
  std::vector<size_t> sends;  // in-memory segments per run between file ranges
  std::vector<const char*> buffers;  // where each in-memory segment's bytes live
};

// Drains `source` as the connection does: what one next() call gives, its
// runs of in-memory segments (one sendmsg each, up to 16) and file ranges.
Sent drain(BodySource& source) {
  Sent s;
  std::deque<Segment> out;
  size_t run = 0;
  for (bool more = true; more;) {
    auto next = source.next(out);
    EXPECT_TRUE(next.is_ok());
    if (!next) break;
    more = *next;
    for (; !out.empty(); out.pop_front()) {
      Segment& seg = out.front();
      if (seg.is_file()) {
        if (run) s.sends.push_back(run);
        run = 0;
        std::string buf(seg.count, '\0');
        EXPECT_EQ(::pread(seg.file->get(), buf.data(), buf.size(), static_cast<off_t>(seg.offset)),
                  static_cast<ssize_t>(buf.size()));
        s.wire += buf;
        continue;
      }
      ++run;
      s.buffers.push_back(seg.data.data());
      s.wire += seg.bytes_view();
    }
    if (run) s.sends.push_back(run);  // the connection sends what one next() gave
    run = 0;
  }
  return s;
}

TEST(ChunkedSourceTest, GathersPiecesWithoutCopyingLargeOnes) {
  test::TempDir tmp;
  const std::string file_bytes = test::pattern_bytes(70000);
  test::write_file(tmp.file("f"), file_bytes);
  auto file = std::make_shared<UniqueFd>(test::open_or_die(tmp.file("f"), O_RDONLY));

  std::vector<std::vector<Segment>> batches;
  std::string body;
  std::vector<const char*> large;  // the 4,608-byte pieces' buffers
  for (int i = 0; i < 40; ++i) {   // a tar header alone, then a small file's member
    std::string header(512, static_cast<char>('A' + i % 26));
    std::string member = test::pattern_bytes(4608, static_cast<uint64_t>(i));
    body += header + member;
    large.push_back(member.data());
    std::vector<Segment> batch;
    batch.push_back(Segment::bytes(std::move(header)));
    batch.push_back(Segment::bytes(std::move(member)));
    batches.push_back(std::move(batch));
  }
  std::vector<Segment> with_file;
  with_file.push_back(Segment::bytes("line\n"));
  with_file.push_back(Segment::bytes(""));  // dropped: a zero chunk would end the body
  with_file.push_back(Segment::file_range(file, 0, file_bytes.size(), "f"));
  body += "line\n" + file_bytes;
  batches.push_back(std::move(with_file));
  batches.push_back({Segment::bytes("end")});
  body += "end";
  // The moves above keep each large string's heap buffer.
  for (size_t i = 0; i < large.size(); ++i) {
    ASSERT_EQ(batches[i][1].data.data(), large[i]);
  }

  auto chunked = make_chunked_source(std::make_unique<Scripted>(std::move(batches)));
  Sent sent = drain(*chunked);
  EXPECT_EQ(dechunk(sent.wire), body);
  for (const char* p : large) {
    EXPECT_NE(std::find(sent.buffers.begin(), sent.buffers.end(), p), sent.buffers.end())
        << "a large piece was copied";
  }
  // Each run of in-memory segments fits one sendmsg (16 iovecs) and the
  // 40 members take few of them.
  size_t total = 0;
  for (size_t n : sent.sends) {
    EXPECT_LE(n, 16U);
    total += n;
  }
  EXPECT_LE(sent.sends.size(), 8U) << "members went one send each";
  EXPECT_GT(total, 40U);
}

TEST(ChunkedSourceTest, ManyTinyPiecesBecomeOneChunk) {
  std::vector<std::vector<Segment>> batches;
  std::string body;
  for (int i = 0; i < 1000; ++i) {
    std::string line = "manifest line " + std::to_string(i) + "\n";
    body += line;
    batches.push_back({Segment::bytes(std::move(line))});
  }
  auto chunked = make_chunked_source(std::make_unique<Scripted>(std::move(batches)));
  Sent sent = drain(*chunked);
  EXPECT_EQ(dechunk(sent.wire), body);
  ASSERT_EQ(sent.sends.size(), 1U);
  EXPECT_LE(sent.sends[0], 4U) << "tiny pieces are copied together";
}

}  // namespace
}  // namespace zcp
