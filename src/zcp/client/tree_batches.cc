#include "zcp/client/tree_batches.h"

#include "zcp/client/tree_plan.h"

namespace zcp {

std::vector<Batch> plan_batches(const std::string& dir_target,
                                const std::vector<const ManifestEntry*>& files, size_t max_target) {
  const std::string base = dir_target + "?format=tar&links=keep";
  std::vector<Batch> batches;
  for (size_t from = 0; from < files.size();) {
    Batch b{base, from, from};
    for (; b.to < files.size(); ++b.to) {
      std::string item = "&only=" + encode_path(files[b.to]->path);
      if (b.target.size() + item.size() > max_target) break;
      b.target += item;
    }
    if (b.to == from) b = Batch{{}, from, from + 1};
    from = b.to;
    batches.push_back(std::move(b));
  }
  return batches;
}

}  // namespace zcp
