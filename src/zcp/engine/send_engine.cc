#include "zcp/send_engine.h"

#include <fmt/format.h>

namespace zcp {

Result<std::unique_ptr<SendEngine>> make_send_engine(const EngineSpec& spec) {
  if (spec.name == "copy") return make_copy_sender(spec.size ? spec.size : kDefaultCopyChunk);
  if (spec.name == "sendfile") {
    if (spec.size != 0) return Status::invalid("sendfile takes no size");
    return make_sendfile_sender();
  }
  if (spec.name == "splice") return make_splice_sender(spec.size ? spec.size : kDefaultPipeSize);
  if (spec.name == "mmap") return make_mmap_sender(spec.size ? spec.size : kDefaultMmapWindow);
  return Status::invalid("unknown send engine '" + spec.name +
                         "' (copy[:SIZE], sendfile, splice[:SIZE], mmap[:SIZE])");
}

Status short_file_status(const char* op, uint64_t at, uint64_t wanted) {
  return {Code::kShortFile, op,
          fmt::format("file ended at byte {}, {} bytes were expected", at, wanted)};
}

}  // namespace zcp
