// Executes put/get requests against the store and writes the reply text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include "beat_server/core/query/protocol_stats.hpp"
#include "beat_server/core/query/reply_cursor.hpp"
#include "beat_server/core/store/store.hpp"
#include "common/protocol.hpp"

namespace beat {

class Executor {
  public:
    explicit Executor(Store& store)
        : store_(store),
          key_limit_reason_("key limit reached: max-keys=" +
                            std::to_string(store.limits().max_keys)) {}

    // Runs `request` and appends its reply to `out`: "ok\n\n" for a put, "ok\n" + one line per
    // point + "\n" for get (keys in first-insertion order for "get *", points sorted by
    // timestamp), "error\nwrong command\n\n" for a malformed request, and
    // "error\nkey limit reached: max-keys=N\n\n" for a put of a new key beyond the store's limit.
    // A malformed request is counted under its reason (request.error) in stats().malformed_by.
    // A get's reply is written up to about `budget` bytes (see ReplyCursor::write); the cursor
    // returned writes the rest, and is done() when the reply is complete, as it always is with
    // the default budget and for every other request.
    // `now_unix_s`: when the request is executed, a put's acceptance time for the retention.
    ReplyCursor execute(const Request& request, std::string& out, std::int64_t now_unix_s,
                        std::size_t budget = std::numeric_limits<std::size_t>::max());

    // Appends the reply to a line longer than the limit and counts it.
    void too_long(std::string& out);

    const ProtocolStats& stats() const noexcept { return stats_; }

  private:
    Store& store_;
    std::string key_limit_reason_;
    ProtocolStats stats_;
};

}  // namespace beat
