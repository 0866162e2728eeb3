#include "zcp/recv_engine.h"

namespace zcp {

Result<std::unique_ptr<RecvEngine>> make_recv_engine(const EngineSpec& spec) {
  if (spec.name == "copy") return make_copy_receiver(spec.size ? spec.size : kDefaultRecvChunk);
  if (spec.name == "splice") {
    return make_splice_receiver(spec.size ? spec.size : kDefaultPipeSize);
  }
  if (spec.name == "discard") {
    return make_discard_receiver(spec.size ? spec.size : kDefaultDiscardChunk);
  }
  if (spec.name == "discard-splice") {
    return make_discard_splice_receiver(spec.size ? spec.size : kDefaultPipeSize);
  }
  return Status::invalid("unknown receive engine '" + spec.name +
                         "' (copy[:SIZE], splice[:SIZE], discard[:SIZE], discard-splice[:SIZE])");
}

}  // namespace zcp
