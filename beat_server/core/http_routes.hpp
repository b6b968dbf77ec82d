// The HTTP port's routes: which request gets which page. Pure: the I/O side passes the request
// and the server's state, and writes back what this returns.
#pragma once

#include "beat_server/core/http_message.hpp"
#include "beat_server/core/server_status.hpp"

namespace beat {

// Answers `request` from `view`:
//   GET /metrics       the Prometheus text exposition (metrics_page.hpp)
//   GET /hosts         every host as JSON (hosts_json.hpp); GET /hosts/<name> one host, or 404
//   GET /healthz       200 "ok" while the server runs
//   GET /              the HTML status page (status_page.hpp)
// HEAD is answered like GET (the caller drops the body). Other methods on a known path get 405
// with an Allow header; unknown paths 404. The query string is ignored; <name> is percent-decoded.
HttpResponse route(const HttpRequest& request, const StatusView& view);

}  // namespace beat
