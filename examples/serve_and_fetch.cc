// A program embedding libzcp: serve a directory on a free loopback port,
// fetch one file from it into another file, and check the bytes arrived.
//   serve_and_fetch DIR NAME DEST
// Built against the installed package (find_package(zcp) or pkg-config) by
// the test suite; exits 0 when DEST holds exactly DIR/NAME.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include <zcp/downloader.h>
#include <zcp/server.h>
#include <zcp/url.h>

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int fail(const char* what, const zcp::Status& why) {
  std::fprintf(stderr, "serve_and_fetch: %s: %s\n", what, why.to_string().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: serve_and_fetch DIR NAME DEST\n");
    return 2;
  }
  zcp::ServerConfig config;
  config.root = argv[1];
  config.listen = "127.0.0.1:0";  // any free port
  config.workers = 1;
  auto server = zcp::Server::create(config);
  if (!server) return fail("serve", server.status());
  zcp::Status served;
  std::thread serving([&] { served = (*server)->run(); });

  std::string url_text = "http://" + (*server)->address().to_string() + "/" + argv[2];
  auto url = zcp::parse_url(url_text);
  if (!url) return fail("url", url.status());
  zcp::GetOptions options;
  options.dest = argv[3];
  auto got = zcp::download(*url, options);  // on failure: got.error().kind and .status

  (*server)->stop();
  serving.join();
  if (!got) return fail("download", got.error().status);
  if (!served) return fail("server", served);
  bool same = slurp(std::string(argv[1]) + "/" + argv[2]) == slurp(argv[3]);
  std::printf("fetched %s: %llu bytes, %s\n", url_text.c_str(),
              static_cast<unsigned long long>(got->bytes), same ? "identical" : "DIFFERENT");
  return same ? 0 : 1;
}
