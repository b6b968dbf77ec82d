#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "beat_server/core/pages/http_routes.hpp"
#include "beat_server/core/pages/metrics_page.hpp"
#include "beat_server/core/report/log_reporter.hpp"
#include "tests/unit/server/pages/body_reader.hpp"

using namespace beat;
using nlohmann::json;

namespace {

// A server core that knows the hosts "web1", "rack/7" and "café", restored as after a restart.
struct Core {
    Core() : monitor(MonitorConfig{}, store, events) {
        for (const char* name : {"web1", "rack/7", "caf\xc3\xa9"}) {
            HostSnapshot h;
            h.name = name;
            h.interval_ms = 1000;
            h.last_seen_unix_ms = 1'700'000'000'000;
            monitor.restore(h, 0, 1'700'000'000'000);
        }
    }
    HttpResponse get(const std::string& target, const std::string& method = "GET") const {
        StatusView view(monitor, store, protocol);
        view.now_unix_ms = 1'700'000'000'000;
        return route(HttpRequest{method, target, true}, view);
    }

    Store store;
    LogReporter events;
    ProtocolStats protocol;
    Monitor monitor;
};

// The body of `r`, read from its stream when it has one.
std::string body_of(const HttpResponse& r) {
    return r.stream ? test::read_body(*r.stream, 1 << 16) : r.body;
}

// The value of header `name` in `r`, or "" when it has none.
std::string header(const HttpResponse& r, const std::string& name) {
    for (const auto& [n, v] : r.headers)
        if (n == name) return v;
    return {};
}

}  // namespace

TEST_CASE("each page is served with its content type", "[http_routes]") {
    const Core c;
    const HttpResponse page = c.get("/");
    CHECK(page.status == 200);
    CHECK(page.content_type == "text/html; charset=utf-8");
    CHECK(page.body.find("web1") != std::string::npos);

    const HttpResponse metrics = c.get("/metrics");
    CHECK(metrics.status == 200);
    CHECK(metrics.content_type == kExpositionContentType);
    CHECK(body_of(metrics).find("beat_host_up{host=\"web1\"} 1\n") != std::string::npos);

    const HttpResponse hosts = c.get("/hosts");
    CHECK(hosts.status == 200);
    CHECK(hosts.content_type == "application/json");
    CHECK(json::parse(body_of(hosts)).at("hosts").size() == 3);

    const HttpResponse plans = c.get("/plans");
    CHECK(plans.status == 200);
    CHECK(plans.content_type == "application/json");
    CHECK(json::parse(plans.body).at("hosts_without_plan") == 3);

    const HttpResponse health = c.get("/healthz");
    CHECK(health.status == 200);
    CHECK(health.body == "ok\n");
}

TEST_CASE("HEAD is answered like GET", "[http_routes]") {
    const Core c;
    for (const char* target : {"/", "/metrics", "/hosts", "/hosts/web1", "/plans", "/healthz"}) {
        const HttpResponse get = c.get(target);
        const HttpResponse head = c.get(target, "HEAD");
        CHECK(head.status == 200);
        CHECK(head.content_type == get.content_type);
        CHECK(head.body.size() == get.body.size());
        CHECK((head.stream != nullptr) == (get.stream != nullptr));
    }
}

TEST_CASE("the fleet's pages are streamed and the small ones are whole", "[http_routes]") {
    const Core c;
    for (const char* target : {"/metrics", "/hosts"}) {
        CAPTURE(target);
        const HttpResponse r = c.get(target);
        CHECK(r.stream != nullptr);
        CHECK(r.body.empty());
    }
    for (const char* target : {"/", "/hosts/web1", "/plans", "/healthz", "/nowhere"}) {
        CAPTURE(target);
        CHECK(c.get(target).stream == nullptr);
    }
}

TEST_CASE("one host is served by its name and an unknown one gets a JSON 404", "[http_routes]") {
    const Core c;
    const HttpResponse known = c.get("/hosts/web1");
    CHECK(known.status == 200);
    CHECK(known.content_type == "application/json");
    CHECK(json::parse(known.body).at("name") == "web1");

    const HttpResponse unknown = c.get("/hosts/web2");
    CHECK(unknown.status == 404);
    CHECK(unknown.content_type == "application/json");
    CHECK(json::parse(unknown.body) == json{{"error", "unknown host"}, {"host", "web2"}});
}

TEST_CASE("a host name is percent-decoded and a malformed escape gets 400", "[http_routes]") {
    const Core c;
    CHECK(json::parse(c.get("/hosts/rack%2F7").body).at("name") == "rack/7");
    CHECK(json::parse(c.get("/hosts/rack/7").body).at("name") == "rack/7");
    CHECK(json::parse(c.get("/hosts/caf%C3%a9").body).at("name") == "caf\xc3\xa9");
    CHECK(c.get("/hosts/%77eb1").status == 200);
    CHECK(c.get("/hosts/web%1").status == 400);
    CHECK(c.get("/hosts/web1%").status == 400);
    CHECK(c.get("/hosts/web%G1").status == 400);
    CHECK(c.get("/hosts/web+1").status == 404);
    const HttpResponse long_name = c.get("/hosts/" + std::string(3 * 255 + 1, 'a'));
    CHECK(long_name.status == 404);
    CHECK(json::parse(long_name.body) == json{{"error", "unknown host"}});
}

TEST_CASE("the query string is ignored", "[http_routes]") {
    const Core c;
    CHECK(json::parse(body_of(c.get("/hosts?pretty=1"))).at("hosts").size() == 3);
    CHECK(json::parse(c.get("/hosts/web1?x=%zz").body).at("name") == "web1");
    CHECK(c.get("/healthz?").body == "ok\n");
    CHECK(c.get("/?refresh=0").content_type == "text/html; charset=utf-8");
}

TEST_CASE("other methods on a known path get 405 with the allowed methods", "[http_routes]") {
    const Core c;
    for (const char* target :
         {"/", "/metrics", "/hosts", "/hosts/web1", "/hosts/nobody", "/healthz"}) {
        for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "get"}) {
            const HttpResponse r = c.get(target, method);
            CHECK(r.status == 405);
            CHECK(header(r, "Allow") == "GET, HEAD");
        }
    }
}

TEST_CASE("unknown paths get 404 whatever the method", "[http_routes]") {
    const Core c;
    for (const char* target :
         {"/index.html", "/hosts/", "/metrics/", "/healthz/x", "//", "/HOSTS", "/hostsx"}) {
        CHECK(c.get(target).status == 404);
        CHECK(c.get(target, "POST").status == 404);
    }
}

TEST_CASE("a target that is not a path gets 400", "[http_routes]") {
    const Core c;
    for (const char* target : {"http://127.0.0.1/hosts", "127.0.0.1:43279", "*", "", "hosts"}) {
        CHECK(c.get(target).status == 400);
    }
}

TEST_CASE("percent_decode turns each escape into its byte and refuses malformed ones",
          "[http_routes]") {
    CHECK(percent_decode("") == "");
    CHECK(percent_decode("a%20b%2fc%2F") == "a b/c/");
    CHECK(percent_decode("%00") == std::string(1, '\0'));
    CHECK(percent_decode("%ff") == std::string(1, '\xff'));
    CHECK(percent_decode("a+b") == "a+b");
    CHECK(percent_decode("%2") == std::nullopt);
    CHECK(percent_decode("%") == std::nullopt);
    CHECK(percent_decode("%x0") == std::nullopt);
    CHECK(percent_decode("%0x") == std::nullopt);
}

TEST_CASE("/host/<name> is the host's HTML page, its range from the query", "[http_routes]") {
    const Core c;
    const HttpResponse page = c.get("/host/rack%2F7");
    CHECK(page.status == 200);
    CHECK(page.content_type == "text/html; charset=utf-8");
    CHECK(page.body.find("<h1>rack/7 ") != std::string::npos);
    for (const char* range : {"1h", "6h", "24h", "7d"})
        CHECK(c.get(std::string("/host/web1?range=") + range).status == 200);
    CHECK(c.get("/host/web1?range=2h").status == 400);
    CHECK(c.get("/host/web1?range=").status == 400);
    CHECK(c.get("/host/web1?other=1").status == 400);
    CHECK(c.get("/host/web1%4").status == 400);
    CHECK(c.get("/host/web1", "POST").status == 405);
}

TEST_CASE("/host/<unknown> is a 404 HTML page naming the host, escaped", "[http_routes]") {
    const Core c;
    const HttpResponse page = c.get("/host/%3Cb%3Ex");
    CHECK(page.status == 404);
    CHECK(page.content_type == "text/html; charset=utf-8");
    CHECK(page.body.find("&lt;b&gt;x") != std::string::npos);
    CHECK(page.body.find("<b>x") == std::string::npos);
    CHECK(c.get("/host/").status == 404);
}
