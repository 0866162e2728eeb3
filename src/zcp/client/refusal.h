// What a server says when it refuses: "405" alone does not tell a user that
// uploads are off; the first line of the body does. Peer text: escaped.
#pragma once

#include <string>

#include "zcp/http/http_client.h"

namespace zcp {

// The first line of a short text (or JSON) body, escaped and capped at 200
// bytes; empty when there is none. Reads at most 1 KiB of the body.
std::string refusal_text(HttpClient& c, const ResponseHead& head);
// "server answered 405 Method Not Allowed: uploads are off (...)", or
// "server answered 404" when the body says nothing.
std::string refusal(HttpClient& c, const ResponseHead& head);

}  // namespace zcp
