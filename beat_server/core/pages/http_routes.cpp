#include "beat_server/core/pages/http_routes.hpp"

#include <nlohmann/json.hpp>

#include "beat_server/core/pages/host_page.hpp"
#include "beat_server/core/pages/hosts_json.hpp"
#include "beat_server/core/pages/metrics_page.hpp"
#include "beat_server/core/pages/plans_json.hpp"
#include "beat_server/core/pages/status_page.hpp"
#include "common/wire.hpp"

namespace beat {

namespace {

constexpr std::string_view kHostsPrefix = "/hosts/";
constexpr std::string_view kHostPagePrefix = "/host/";
constexpr const char* kJson = "application/json";

int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

HttpResponse response(int status, const char* content_type, std::string body) {
    HttpResponse r;
    r.status = status;
    r.content_type = content_type;
    r.body = std::move(body);
    return r;
}

// A 200 whose body `stream` writes in slices.
HttpResponse streamed(const char* content_type, std::unique_ptr<BodySource> stream) {
    HttpResponse r = response(200, content_type, {});
    r.stream = std::move(stream);
    return r;
}

// 404 with a JSON body naming the host, when there is a name to give.
HttpResponse unknown_host(const std::optional<std::string>& name) {
    nlohmann::json body = {{"error", "unknown host"}};
    if (name) body["host"] = *name;
    return response(404, kJson,
                    body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

HttpResponse one_host(std::string_view encoded, const StatusView& view) {
    // Every byte takes at most three characters: a longer name cannot be a host's, and is not
    // decoded (nor echoed back).
    if (encoded.size() > 3 * kMaxNameLength) return unknown_host(std::nullopt);
    const std::optional<std::string> name = percent_decode(encoded);
    if (!name) return text_response(400, "malformed percent-escape in the host name\n");
    const HostRecord* host = view.monitor.registry().find(*name);
    if (!host) return unknown_host(name);
    return response(200, kJson, render_host_json(*host, view) + "\n");
}

// GET /host/<name>: the host's page over the range the query asks for.
HttpResponse host_page(std::string_view encoded, std::string_view query, const StatusView& view) {
    constexpr const char* kHtml = "text/html; charset=utf-8";
    const std::optional<std::int64_t> range = parse_chart_range(query);
    if (!range) return text_response(400, "range must be one of 1h, 6h, 24h, 7d\n");
    if (encoded.size() > 3 * kMaxNameLength)
        return response(404, kHtml, render_unknown_host_page(""));
    const std::optional<std::string> name = percent_decode(encoded);
    if (!name) return text_response(400, "malformed percent-escape in the host name\n");
    const HostRecord* host = view.monitor.registry().find(*name);
    if (!host) return response(404, kHtml, render_unknown_host_page(*name));
    return response(200, kHtml, render_host_page(*host, view, *range));
}

// What lives at a path.
enum class Page { none, status, metrics, hosts, host, host_page, plans, healthz };

Page page_of(std::string_view path) noexcept {
    if (path == "/") return Page::status;
    if (path == "/metrics") return Page::metrics;
    if (path == "/hosts") return Page::hosts;
    if (path == "/plans") return Page::plans;
    if (path == "/healthz") return Page::healthz;
    if (path.size() > kHostsPrefix.size() && path.starts_with(kHostsPrefix)) return Page::host;
    if (path.size() > kHostPagePrefix.size() && path.starts_with(kHostPagePrefix))
        return Page::host_page;
    return Page::none;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size()) return std::nullopt;
        const int hi = hex_digit(text[i + 1]);
        const int lo = hex_digit(text[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

HttpResponse route(const HttpRequest& request, const StatusView& view) {
    const std::string_view target = request.target;
    if (target.empty() || target.front() != '/') return text_response(400);
    const std::string_view path = target.substr(0, target.find('?'));
    const Page page = page_of(path);
    if (page == Page::none) return text_response(404);
    if (request.method != "GET" && request.method != "HEAD") {
        HttpResponse r = text_response(405);
        r.headers.emplace_back("Allow", "GET, HEAD");
        return r;
    }
    switch (page) {
        case Page::status:
            return response(200, "text/html; charset=utf-8", render_status_page(view));
        case Page::metrics:
            return streamed(kExpositionContentType, stream_metrics(view));
        case Page::hosts:
            return streamed(kJson, stream_hosts_json(view));
        case Page::host:
            return one_host(path.substr(kHostsPrefix.size()), view);
        case Page::host_page: {
            const std::size_t q = target.find('?');
            return host_page(
                path.substr(kHostPagePrefix.size()),
                q == std::string_view::npos ? std::string_view() : target.substr(q + 1), view);
        }
        case Page::plans:
            return response(200, kJson, render_plans_json(view) + "\n");
        case Page::healthz:
            return text_response(200, "ok\n");
        case Page::none:
            break;
    }
    return text_response(404);
}

}  // namespace beat
