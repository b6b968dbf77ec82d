// Fuzz driver for beat_server's settings (beat_server/core/config/server_settings.hpp): every
// input is read as a TOML config file, then split at '\n' into "name=value" lines given as flags
// over it, and the result is built into a ServerConfig.
//
// Invariants, for any input:
// - Reading and building either succeed or throw ConfigError; anything else escaping is a crash.
// - A config that is built is within its ranges: phi threshold and pause, flap silences (0 or 2
//   and up), durations at their minimums, limits at least 1, and authentication only with a key
//   file.
// - Every setting of a built config reads back: its value shown as text and set again is the same.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "beat_server/core/config/server_settings.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace beat::fuzz {
namespace {

void check_config(const ServerConfig& cfg) {
    FUZZ_CHECK(cfg.detector.phi.threshold >= 1 && cfg.detector.phi.threshold <= 16);
    FUZZ_CHECK(cfg.detector.phi.pause_intervals >= 0 && cfg.detector.phi.pause_intervals <= 100);
    FUZZ_CHECK(cfg.detector.flap.silences != 1 &&
               cfg.detector.flap.silences <= FlapSettings::kMaxSilences);
    FUZZ_CHECK(!cfg.timeout_ms || *cfg.timeout_ms >= 10);
    FUZZ_CHECK(cfg.report_interval_ms >= 100 && cfg.forget_after_ms >= 1000);
    FUZZ_CHECK(cfg.tcp_idle_timeout_ms >= 100 && cfg.http_idle_timeout_ms >= 100);
    FUZZ_CHECK(cfg.max_clock_skew_ms >= 1000 && cfg.limits.retention_s >= 1);
    FUZZ_CHECK(cfg.max_hosts >= 1 && cfg.max_metrics_per_host >= 1 && cfg.max_connections >= 1 &&
               cfg.max_connections_per_address >= 1);
    FUZZ_CHECK(cfg.limits.max_keys >= 1 && cfg.limits.max_points_per_key >= 1);
    FUZZ_CHECK(cfg.auth == AuthMode::off || !cfg.key_file.empty());
    for (const ServerSetting& s : server_settings()) {
        const std::string shown = s.show(cfg);
        if (shown.empty()) continue;
        ServerConfig again = cfg;
        s.set(again, s.name, shown);
        FUZZ_CHECK(s.show(again) == shown);
    }
}

// Gives each "name=value" line of `text` naming a setting as that setting's flag.
void give_flags(std::string_view text, GivenSettings& given) {
    while (!text.empty()) {
        const std::size_t nl = std::min(text.find('\n'), text.size());
        const std::string_view line = text.substr(0, nl);
        text.remove_prefix(std::min(nl + 1, text.size()));
        const std::size_t eq = line.find('=');
        if (eq == std::string_view::npos) continue;
        if (const ServerSetting* s = find_server_setting(line.substr(0, eq)))
            given.give(*s, flag_name(s->name), std::string(line.substr(eq + 1)));
    }
}

}  // namespace
}  // namespace beat::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace beat;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    GivenSettings given;
    // Whole, non-ASCII included: the TOML reader refuses non-ASCII text before toml++ sees it
    // (common/toml_guard.hpp).
    try {
        give_server_config_toml(given, text, "fuzz.toml");
        fuzz::check_config(given.build());
    } catch (const ConfigError&) {
    }
    fuzz::give_flags(text, given);
    try {
        fuzz::check_config(given.build());
    } catch (const ConfigError&) {
    }
    return 0;
}
