// The HTTP port's routes: which request gets which page. Pure: the I/O side passes the request
// and the server's state, and writes back what this returns.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "beat_server/core/http/http_message.hpp"
#include "beat_server/core/pages/server_status.hpp"

namespace beat {

// Answers `request` from `view`:
//   GET /metrics       the Prometheus text exposition (metrics_page.hpp), streamed: the
//                      response's body is a BodySource that writes it in slices
//   GET /hosts         every host as JSON (hosts_json.hpp), streamed the same way
//   GET /hosts/<name>  one host, or 404 with a JSON body {"error": "unknown host", "host": <name>}
//   GET /host/<name>   the host's HTML page (host_page.hpp), over the range ?range=1h (the
//                      default), 6h, 24h or 7d (anything else: 400); an unknown host gets a 404
//                      HTML page naming it
//   GET /plans         the plans in force as JSON (plans_json.hpp)
//   GET /healthz       200 "ok": the loop answering is the health signal, so it reads nothing
//   GET /              the HTML status page (status_page.hpp)
// HEAD is answered like GET (the caller drops the body, and writes nothing of a streamed one).
// Other methods on a known path get 405 with "Allow: GET, HEAD"; unknown paths 404. A target that
// is not a path (absolute-form, authority-form, "*") gets 400. The query string is ignored but by
// /host/<name>; <name> is percent-decoded, and a malformed escape ('%' without two hex digits)
// gets 400; a name longer than 3 x kMaxNameLength characters is not decoded and gets the 404 (no
// host can have it). No response sets Cache-Control: serialize() and serialize_head()
// (http_message.hpp) mark them all "no-store".
HttpResponse route(const HttpRequest& request, const StatusView& view);

// `text` with each %XX escape replaced by the byte it names ('+' stays as it is: it means a space
// in query strings only); nullopt when an escape is malformed. O(text size).
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace beat
