// zcp put -r: a local tree to zcp serve --upload. The server's manifest of
// the target (GET DIR/?format=manifest; 404: nothing there yet) is planned
// against the local tree (tree_plan.h), and one PUT DIR/?format=tar
// carries only what differs (a first copy: N PUTs of ?part=K/N side by
// side, then one of the directories alone), built with the server's own tar writer
// (tar_stream.h: headers in memory, bodies sent with sendfile), links
// inside the tree as links, --delete as ZCP.delete members.
#pragma once

#include <string>

#include "zcp/client/tree_download.h"

namespace zcp {

// `url` names the target directory; it is created beneath the server's
// root. Options and results as for a pull (bytes: content bytes sent).
GetResultOr<TreeGetResult> upload_tree(const std::string& dir, const Url& url,
                                       const TreeGetOptions& opts);

}  // namespace zcp
