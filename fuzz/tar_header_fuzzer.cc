// The pure half of the client's tar path, in memory: the input is walked
// block by block as tar_extract does (checksum, header, pax and GNU long
// name bodies applied to the next member), and every name that
// safe_components accepts must stay beneath DEST; extracted_mode never
// yields type bits, nor special bits without -p.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "zcp/tar/tar_extract.h"
#include "zcp/tar/tar_header.h"
#include "zcp/tar/tar_parse.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_name(const std::string& name) {
  auto parts = zcp::safe_components(name);
  if (!parts) return;
  for (const std::string& p : *parts) {
    check(!p.empty() && p != "." && p != ".." && p.find('/') == p.npos && p.find('\0') == p.npos);
  }
  std::string joined = zcp::join_components(*parts, parts->size());
  check(joined.empty() || joined.front() != '/');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  zcp::TarOverrides pending;
  for (size_t at = 0; at + zcp::kTarBlock <= in.size();) {
    std::string_view block = in.substr(at, zcp::kTarBlock);
    at += zcp::kTarBlock;
    if (zcp::is_zero_block(block)) break;
    (void)zcp::tar_checksum_ok(block);  // not required here: reach the parser
    auto m = zcp::parse_tar_header(block);
    if (!m) continue;
    check(m->mode <= 07777);
    std::string_view body = in.substr(at, std::min<uint64_t>(m->size, in.size() - at));
    at += body.size() + (zcp::kTarBlock - body.size() % zcp::kTarBlock) % zcp::kTarBlock;
    if (m->type == 'x') {
      if (!zcp::parse_pax(body, pending)) pending = {};
      continue;
    }
    if (m->type == 'L') {
      pending.path = std::string(body.substr(0, body.find('\0')));
      continue;
    }
    if (pending.path) m->name = *pending.path;
    pending = {};
    check_name(m->name);
    (void)zcp::tar_kind(*m);
    for (uint32_t mask : {0u, 022u, 077u, 0777u}) {
      check(zcp::extracted_mode(m->mode, {false, mask}) <= 0777);
      check(zcp::extracted_mode(m->mode, {true, mask}) == (m->mode & 07777));
    }
  }
  timespec t{};
  if (zcp::parse_pax_time(in.substr(0, 64), t)) check(t.tv_nsec >= 0 && t.tv_nsec < 1000000000);
  return 0;
}
