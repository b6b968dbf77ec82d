#include "beat_server/core/query/executor.hpp"

namespace beat {

ReplyCursor Executor::execute(const Request& req, std::string& out, std::int64_t now_unix_s,
                              std::size_t budget) {
    switch (req.kind) {
        case Request::Kind::put:
            if (store_.put(req.key, req.timestamp, req.value, now_unix_s) ==
                Store::PutResult::key_limit) {
                ++stats_.key_limit;
                append_error(out, key_limit_reason_);
                return {};
            }
            ++stats_.puts;
            out += "ok\n\n";
            return {};
        case Request::Kind::get: {
            ++stats_.gets;
            ReplyCursor reply = ReplyCursor::one(store_, req.key);
            reply.write(out, budget);
            return reply;
        }
        case Request::Kind::get_all: {
            ++stats_.get_alls;
            ReplyCursor reply = ReplyCursor::all(store_);
            reply.write(out, budget);
            return reply;
        }
        case Request::Kind::malformed:
            ++stats_.malformed;
            ++stats_.malformed_by[static_cast<std::size_t>(req.error)];
            append_error(out);
            return {};
    }
    return {};
}

void Executor::too_long(std::string& out) {
    ++stats_.too_long;
    append_error(out, "line too long");
}

}  // namespace beat
