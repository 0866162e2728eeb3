// The temporary name a file is written under before it is renamed into
// place: NAME.part, or, when that would pass NAME_MAX (255 bytes), a
// shortened stable one, so whatever name fits, its temporary name fits.
// Used by zcp get's DEST.part and by the tree extractor alike.
#pragma once

#include <string>

namespace zcp {

// "dir/NAME" -> "dir/NAME.part"; for a NAME of more than 250 bytes, its first
// 200 bytes (whole UTF-8 characters) + "~" + 16 hex digits of FNV-1a of the
// whole NAME + ".part": the same every run, so -c finds it again.
std::string part_name_for(const std::string& dest);

}  // namespace zcp
