#include <catch2/catch.hpp>

#include "beat_server/core/query/executor.hpp"

using namespace beat;

namespace {
std::string run(Executor& ex, std::string_view line) {
    std::string out;
    ex.execute(parse_request(line), out, 0);
    return out;
}
}  // namespace

TEST_CASE("put answers ok and get returns the point in repr form", "[executor]") {
    Store s;
    Executor ex(s);
    CHECK(run(ex, "put cpu 10 1700000000") == "ok\n\n");
    CHECK(run(ex, "get cpu") == "ok\ncpu 10.0 1700000000\n\n");
    CHECK(run(ex, "get other") == "ok\n\n");
}

TEST_CASE("get * lists keys in first-insertion order with sorted points", "[executor]") {
    Store s;
    Executor ex(s);
    run(ex, "put b 1 2");
    run(ex, "put a 2 1");
    run(ex, "put b 3 1");
    CHECK(run(ex, "get *") == "ok\nb 3.0 1\nb 1.0 2\na 2.0 1\n\n");
}

TEST_CASE("a malformed request gets the wrong command error and is counted", "[executor]") {
    Store s;
    Executor ex(s);
    CHECK(run(ex, "hello") == "error\nwrong command\n\n");
    CHECK(ex.stats().malformed == 1);
    std::string out;
    ex.too_long(out);
    CHECK(out == "error\nline too long\n\n");
    CHECK(ex.stats().too_long == 1);
}

TEST_CASE("malformed requests are counted by reason, all with the same reply", "[executor]") {
    Store s;
    Executor ex(s);
    for (const char* line : {"hello", "put k nan 1", "put k inf 1", "put k 1 1e3",
                             "put k 1 999999999999", "get \xff", "put  1 2"}) {
        INFO(line);
        CHECK(run(ex, line) == "error\nwrong command\n\n");
    }
    const auto& by = ex.stats().malformed_by;
    const auto count = [&](RequestError e) { return by[static_cast<std::size_t>(e)]; };
    CHECK(ex.stats().malformed == 7);
    CHECK(count(RequestError::bad_syntax) == 1);
    CHECK(count(RequestError::non_finite_value) == 2);
    CHECK(count(RequestError::bad_timestamp) == 1);
    CHECK(count(RequestError::timestamp_range) == 1);
    CHECK(count(RequestError::key_not_utf8) == 1);
    CHECK(count(RequestError::empty_key) == 1);
    CHECK(count(RequestError::none) == 0);
    CHECK(s.key_count() == 0);
}

TEST_CASE("requests are counted by command", "[executor]") {
    Store s;
    Executor ex(s);
    run(ex, "put a 1 1");
    run(ex, "get a");
    run(ex, "get *");
    CHECK(ex.stats().puts == 1);
    CHECK(ex.stats().gets == 1);
    CHECK(ex.stats().get_alls == 1);
}

TEST_CASE("a put for a new key beyond max-keys gets an error naming the limit", "[executor]") {
    Store s(RetentionLimits{0, 0, 1});
    Executor ex(s);
    CHECK(run(ex, "put a 1 1") == "ok\n\n");
    CHECK(run(ex, "put b 1 1") == "error\nkey limit reached: max-keys=1\n\n");
    CHECK(run(ex, "put a 2 2") == "ok\n\n");
    CHECK(ex.stats().key_limit == 1);
    CHECK(ex.stats().puts == 2);
}
