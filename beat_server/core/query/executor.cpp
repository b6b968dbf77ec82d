#include "beat_server/core/query/executor.hpp"

namespace beat {
namespace {

void append_series(std::string& out, std::string_view key, const Series& s) {
    for (const Point& p : s.points())
        append_point(out, key, p.value, p.timestamp);
}

}  // namespace

void Executor::execute(const Request& req, std::string& out) {
    switch (req.kind) {
        case Request::Kind::put:
            if (store_.put(req.key, req.timestamp, req.value) == Store::PutResult::key_limit) {
                ++stats_.key_limit;
                append_error(out, key_limit_reason_);
                return;
            }
            ++stats_.puts;
            out += "ok\n\n";
            return;
        case Request::Kind::get:
            ++stats_.gets;
            append_ok(out);
            if (const Series* s = store_.find(req.key)) append_series(out, req.key, *s);
            append_end(out);
            return;
        case Request::Kind::get_all:
            ++stats_.get_alls;
            append_ok(out);
            for (const Store::Entry* e : store_.entries())
                append_series(out, e->first, e->second);
            append_end(out);
            return;
        case Request::Kind::malformed:
            ++stats_.malformed;
            ++stats_.malformed_by[static_cast<std::size_t>(req.error)];
            append_error(out);
            return;
    }
}

void Executor::too_long(std::string& out) {
    ++stats_.too_long;
    append_error(out, "line too long");
}

}  // namespace beat
