// Fuzz driver for the configuration parsers: the agent's TOML config file and command line
// (beat_client/core/config.hpp, command_line.hpp) and the key file (common/key_ring.hpp). Every
// input goes through all three: as TOML, as a key file, and split at '\n' into arguments applied
// over the config.
//
// Invariants, for any input:
// - Each parser either succeeds or throws its documented exception (ConfigError, UsageError,
//   KeyFileError); anything else escaping is a crash.
// - A config that is accepted is within its ranges: intervals, jitter and collector periods in
//   range, at least one server and none on port 0, a host name that is empty or valid, fixed
//   metrics with distinct valid names and finite values, at most kMaxPlugins plugins with
//   distinct valid names, each with a command whose first argument is an absolute path, no
//   argument holding a NUL, and a timeout and a period in range.
// - A key ring that is accepted gives every host a key when it has a shared one, and each key
//   it holds reads back from its hex form.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "beat_client/core/collectors.hpp"
#include "beat_client/core/command_line.hpp"
#include "beat_client/core/config.hpp"
#include "beat_client/core/jitter.hpp"
#include "common/key_ring.hpp"
#include "common/plan.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace beat::fuzz {
namespace {

void check_config(const AgentConfig& cfg) {
    FUZZ_CHECK(cfg.interval_ms >= kMinIntervalMs && cfg.interval_ms <= kMaxIntervalMs);
    FUZZ_CHECK(cfg.resolve_interval_ms >= kMinResolveIntervalMs &&
               cfg.resolve_interval_ms <= kMaxResolveIntervalMs);
    FUZZ_CHECK(cfg.jitter >= 0 && cfg.jitter <= kMaxJitter);
    FUZZ_CHECK(!cfg.servers.empty());
    for (const Endpoint& e : cfg.servers)
        FUZZ_CHECK(e.port != 0);
    FUZZ_CHECK(cfg.host.empty() || valid_name(cfg.host));
    for (std::size_t i = 0; i < cfg.metrics.size(); ++i) {
        const Metric& m = cfg.metrics[i];
        FUZZ_CHECK(valid_name(m.name) && std::isfinite(m.value));
        for (std::size_t j = 0; j < i; ++j)
            FUZZ_CHECK(cfg.metrics[j].name != m.name);
    }
    for (Collector c : kAllCollectors)
        FUZZ_CHECK(cfg.collectors[c].every >= 1 && cfg.collectors[c].every <= kMaxEvery);
    FUZZ_CHECK(cfg.plugins.size() <= kMaxPlugins);
    for (std::size_t i = 0; i < cfg.plugins.size(); ++i) {
        const PluginConfig& p = cfg.plugins[i];
        FUZZ_CHECK(valid_plan_name(p.name));
        for (std::size_t j = 0; j < i; ++j)
            FUZZ_CHECK(cfg.plugins[j].name != p.name);
        FUZZ_CHECK(!p.command.empty() && p.command[0].starts_with('/'));
        for (const std::string& arg : p.command)
            FUZZ_CHECK(arg.find('\0') == std::string::npos);
        FUZZ_CHECK(p.timeout_ms >= kMinPluginTimeoutMs && p.timeout_ms <= kMaxPluginTimeoutMs);
        if (p.every_ms) FUZZ_CHECK(*p.every_ms >= kMinIntervalMs && *p.every_ms <= kMaxIntervalMs);
    }
}

void check_key(const Key& k) {
    FUZZ_CHECK(parse_key(format_key(k)) == k);
}

void check_key_file(std::string_view text) {
    KeyRing ring;
    try {
        ring = KeyRing::parse(text, "fuzz.keys");
    } catch (const KeyFileError&) {
        return;
    }
    if (const Key* shared = ring.shared()) {
        check_key(*shared);
        FUZZ_CHECK(ring.key_for("") != nullptr);
    }
    if (const Key* k = ring.key_for(text)) check_key(*k);
}

// Splits `text` at '\n' into arguments after "beat_client" and applies them over `cfg`.
void check_command_line(std::string_view text, AgentConfig& cfg) {
    std::vector<std::string> args{"beat_client"};
    for (std::size_t start = 0; start <= text.size();) {
        const std::size_t nl = std::min(text.find('\n', start), text.size());
        args.emplace_back(text.substr(start, nl - start));
        start = nl + 1;
    }
    std::vector<const char*> argv;
    for (const std::string& a : args)
        argv.push_back(a.c_str());
    try {
        apply_flags(parse_command_line(static_cast<int>(argv.size()), argv.data()), cfg);
    } catch (const UsageError&) {
    } catch (const ConfigError&) {
    }
}

}  // namespace
}  // namespace beat::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace beat;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    AgentConfig cfg;
    // Whole, non-ASCII included: apply_config_toml() refuses non-ASCII text, which toml++ 3.3.0
    // mishandles (marzer/tomlplusplus#295), before parsing (beat_client/core/toml_guard.hpp).
    try {
        apply_config_toml(cfg, text, "fuzz.toml");
    } catch (const ConfigError&) {
    }
    fuzz::check_config(cfg);
    fuzz::check_command_line(text, cfg);
    fuzz::check_config(cfg);
    fuzz::check_key_file(text);
    return 0;
}
