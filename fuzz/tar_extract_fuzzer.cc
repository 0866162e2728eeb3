// The client's whole tar path (zcp get -r) in memory: the input is the
// body of a tar response (all of it already "read past the head", the
// socket at EOF), extracted into a scratch DEST. Nothing may appear beside
// DEST, nothing beneath it may be a symlink, and without -p no file or
// directory may carry setuid, setgid or sticky bits.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "zcp/http/body_reader.h"
#include "zcp/recv_engine.h"
#include "zcp/tar/tar_extract.h"

namespace fs = std::filesystem;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// DEST two levels down, so a "../" escape lands where the check sees it;
// /dev/shm when there is one (extraction is file system work).
struct Fixture {
  fs::path scratch, dest;
  int eof_fd = -1;  // the "socket": a pipe whose writer is closed
  Fixture() {
    std::string tmpl =
        (fs::is_directory("/dev/shm") ? "/dev/shm" : fs::temp_directory_path().string()) +
        std::string("/zcp-fuzz-tar-XXXXXX");
    check(::mkdtemp(tmpl.data()) != nullptr);
    scratch = tmpl;
    dest = scratch / "a" / "dest";
    int p[2];
    check(::pipe2(p, O_CLOEXEC) == 0);
    ::close(p[1]);
    eof_fd = p[0];
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(scratch, ec);
  }
};

void check_tree(const Fixture& f, bool preserve) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(f.scratch, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    std::string rel = it->path().lexically_relative(f.scratch).string();
    check(rel == "a" || rel == "a/dest" || rel.rfind("a/dest/", 0) == 0);
    struct stat st {};
    check(::lstat(it->path().c_str(), &st) == 0);
    check(!S_ISLNK(st.st_mode));
    check(preserve || (st.st_mode & 07000) == 0);
    if (S_ISDIR(st.st_mode)) ::chmod(it->path().c_str(), 0700);  // so the wipe can enter
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture f;
  std::error_code ec;
  fs::remove_all(f.scratch / "a", ec);
  check(fs::create_directories(f.dest, ec));
  const bool preserve = size > 0 && (data[size - 1] & 1);
  zcp::BodyReader body(f.eof_fd, zcp::Framing::kUntilClose, 0,
                       std::string(reinterpret_cast<const char*>(data), size));
  auto engine = zcp::make_copy_receiver(4096);
  (void)zcp::extract_tar(body, f.dest.string(), *engine, nullptr, {preserve, 022});
  check_tree(f, preserve);
  return 0;
}
