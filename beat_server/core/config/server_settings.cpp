#include "beat_server/core/config/server_settings.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>

#include "common/duration.hpp"
#include "common/float_repr.hpp"
#include "common/parse_number.hpp"
#include "common/toml_value.hpp"
#include "common/wire.hpp"

namespace beat {
namespace {

// The name of setting `name` in the style of `key`: a flag when `key` is one, else the TOML key.
std::string name_like(std::string_view key, std::string_view name) {
    return key.starts_with("--") ? flag_name(name) : std::string(name);
}

// The entries are made by the functions below, one per kind of value, from a field accessor: a
// captureless lambda `[](auto& c) -> auto& { return c.field; }` that works on a const
// ServerConfig for `show` and a mutable one for `set`.

template <class Field>
ServerSetting endpoint(std::string_view name, std::string help, Field field) {
    return {name,
            "ADDR:PORT",
            SettingType::string,
            std::move(help),
            "",
            "",
            [field](ServerConfig& c, std::string_view key, std::string_view text) {
                const auto e = parse_endpoint(text);
                if (!e) config_fail(key, fmt::format("expected ADDR:PORT, got \"{}\"", text));
                field(c) = *e;
            },
            [field](const ServerConfig& c) { return to_string(field(c)); }};
}

// A duration kept in `field` in units of `unit_ms` milliseconds (1 for a field in ms, 1000 for
// one in seconds), at least `min_ms`.
template <class Field>
ServerSetting duration(std::string_view name, std::string help, Field field, std::int64_t min_ms,
                       std::int64_t unit_ms = 1) {
    return {name,
            "SECONDS",
            SettingType::duration,
            std::move(help),
            "at least " + format_duration(min_ms),
            "",
            [field, min_ms, unit_ms](ServerConfig& c, std::string_view key, std::string_view text) {
                field(c) = duration_setting(key, text, min_ms) / unit_ms;
            },
            [field, unit_ms](const ServerConfig& c) {
                return format_duration_unit(field(c) * unit_ms);
            }};
}

// A number from `min` to `max` read by `parse` (parse_finite_double or whole_number), `what` in
// messages ("a number", "a whole number").
template <class Field, class N>
ServerSetting ranged(std::string_view name, std::string value_name, SettingType type,
                     std::string help, Field field, N min, N max,
                     std::optional<N> (*parse)(std::string_view) noexcept, std::string_view what) {
    return {name,
            std::move(value_name),
            type,
            std::move(help),
            fmt::format("{} to {}", min, max),
            "",
            [field, min, max, parse, what](ServerConfig& c, std::string_view key,
                                           std::string_view text) {
                const auto v = parse(text);
                if (!v || *v < min || *v > max) {
                    config_fail(key, fmt::format("expected {} from {} to {}, got \"{}\"", what, min,
                                                 max, text));
                }
                using T = std::remove_reference_t<decltype(field(c))>;
                field(c) = static_cast<T>(*v);
            },
            [field](const ServerConfig& c) { return fmt::format("{}", field(c)); }};
}

template <class Field>
ServerSetting number(std::string_view name, std::string value_name, std::string help, Field field,
                     double min, double max) {
    return ranged(name, std::move(value_name), SettingType::number, std::move(help), field, min,
                  max, parse_finite_double, "a number");
}

// A signed decimal integer filling the whole text ("1024", "-1"), as counts are written.
std::optional<std::int64_t> whole_number(std::string_view text) noexcept {
    return parse_i64(text, PlusSign::refused);
}

template <class Field>
ServerSetting count(std::string_view name, std::string help, Field field, std::int64_t min,
                    std::int64_t max) {
    return ranged(name, "N", SettingType::integer, std::move(help), field, min, max, whole_number,
                  "a whole number");
}

template <class Enum>
using Choices = std::vector<std::pair<std::string_view, Enum>>;

template <class Field, class Enum>
ServerSetting choice(std::string_view name, std::string help, Field field, Choices<Enum> choices) {
    std::string names;
    for (const auto& [n, value] : choices)
        names += (names.empty() ? "" : "|") + std::string(n);
    return {name,
            "",
            SettingType::string,
            std::move(help),
            names,
            "",
            [field, choices, names](ServerConfig& c, std::string_view key, std::string_view text) {
                for (const auto& [n, value] : choices) {
                    if (n == text) {
                        field(c) = value;
                        return;
                    }
                }
                config_fail(key, fmt::format("expected {}, got \"{}\"", names, text));
            },
            [field, choices](const ServerConfig& c) {
                for (const auto& [n, value] : choices) {
                    if (value == field(c)) return std::string(n);
                }
                return std::string();
            }};
}

template <class Field>
ServerSetting path(std::string_view name, std::string value_name, std::string help, Field field) {
    return {name,
            value_name,
            SettingType::string,
            std::move(help),
            "",
            "",
            [field](ServerConfig& c, std::string_view, std::string_view text) {
                field(c) = std::string(text);
            },
            [field](const ServerConfig& c) { return field(c); }};
}

// `s` with `then` run after its own `set`, for a setting that another one depends on.
ServerSetting then(
    ServerSetting s,
    std::function<void(ServerConfig&, std::string_view key, std::string_view text)> after) {
    s.set = [set = std::move(s.set), after = std::move(after)](
                ServerConfig& c, std::string_view key, std::string_view text) {
        set(c, key, text);
        after(c, key, text);
    };
    return s;
}

// A listener that may be turned off: an endpoint, or "off" for none.
template <class Field>
ServerSetting optional_endpoint(std::string_view name, std::string help, Field field) {
    return {name,
            "ADDR:PORT|off",
            SettingType::string,
            std::move(help),
            "",
            "",
            [field](ServerConfig& c, std::string_view key, std::string_view text) {
                if (text == "off") {
                    field(c).reset();
                    return;
                }
                const auto e = parse_endpoint(text);
                if (!e)
                    config_fail(key, fmt::format("expected ADDR:PORT or off, got \"{}\"", text));
                field(c) = *e;
            },
            [field](const ServerConfig& c) { return field(c) ? to_string(*field(c)) : "off"; }};
}

// --timeout: unset by default (3 x each host's interval); set, it picks the fixed detector unless
// --detector (applied after it) says otherwise.
ServerSetting timeout_setting() {
    constexpr std::int64_t kMinTimeoutMs = 10;
    return {"timeout",
            "SECONDS",
            SettingType::duration,
            "Seconds without a beat before a host is silent, for the fixed detector; also the "
            "grace of a host restored at start-up",
            "at least " + format_duration(kMinTimeoutMs),
            "3 x each host's interval",
            [](ServerConfig& c, std::string_view key, std::string_view text) {
                c.timeout_ms = duration_setting(key, text, kMinTimeoutMs);
                c.detector.kind = DetectorKind::fixed;
            },
            [](const ServerConfig& c) {
                return c.timeout_ms ? format_duration_unit(*c.timeout_ms) : std::string();
            }};
}

std::vector<ServerSetting> make_settings() {
    std::vector<ServerSetting> s;
    s.push_back(endpoint(
        "udp", "UDP heartbeat listener", [](auto& c) -> auto& { return c.udp; }));
    s.push_back(endpoint(
        "tcp", "TCP put/get listener", [](auto& c) -> auto& { return c.tcp; }));
    s.push_back(optional_endpoint(
        "http", "HTTP listener for /metrics, /hosts, /healthz and the status page, or 'off'",
        [](auto& c) -> auto& { return c.http; }));
    s.push_back(duration(
        "http_idle_timeout", "Seconds an HTTP connection may stay idle before it is closed",
        [](auto& c) -> auto& { return c.http_idle_timeout_ms; }, 100));
    s.push_back(optional_endpoint(
        "binary", "TCP listener for collectors' binary metric frames, or 'off'",
        [](auto& c) -> auto& { return c.binary; }));
    s.push_back(timeout_setting());
    s.push_back(choice(
        "detector",
        "probe: ask a host whose beat is missing, phi for agents that do not answer; phi: phi "
        "accrual, adapting to each host's rhythm and loss; fixed: the timeout",
        [](auto& c) -> auto& { return c.detector.kind; },
        Choices<DetectorKind>{{"fixed", DetectorKind::fixed},
                              {"phi", DetectorKind::phi},
                              {"probe", DetectorKind::probe}}));
    s.push_back(number(
        "phi_threshold", "X",
        "phi at which a host is silent (about one false report in 10^X beats)",
        [](auto& c) -> auto& { return c.detector.phi.threshold; }, 1, 16));
    s.push_back(number(
        "phi_pause", "INTERVALS",
        "Pause a host may take without being silent, in its own intervals",
        [](auto& c) -> auto& { return c.detector.phi.pause_intervals; }, 0, 100));
    s.push_back(number(
        "probe_threshold", "X",
        "Evidence at which a probed host is silent (about one false report in 10^X suspicions)",
        [](auto& c) -> auto& { return c.detector.probe.threshold; }, 1, 16));
    s.push_back(count(
        "probe_budget", "Probes the server sends per second at most, for all hosts together",
        [](auto& c) -> auto& { return c.detector.probe.budget_per_s; }, 1, 100'000'000));
    ServerSetting flap =
        then(count(
                 "flap_silences",
                 "Silences within 20 timeouts that make a host flapping (0: no flap damping)",
                 [](auto& c) -> auto& { return c.detector.flap.silences; }, 0,
                 FlapSettings::kMaxSilences),
             [](ServerConfig& c, std::string_view key, std::string_view) {
                 if (c.detector.flap.silences == 1)
                     config_fail(key, "1 would call every silence a flap; expected 0 or 2 to 5");
             });
    flap.range = fmt::format("0 or 2 to {}", FlapSettings::kMaxSilences);
    s.push_back(std::move(flap));
    s.push_back(duration(
        "report_interval", "Seconds between silent-host summaries",
        [](auto& c) -> auto& { return c.report_interval_ms; }, 100));
    s.push_back(duration(
        "forget_after", "Seconds of silence before a host is forgotten",
        [](auto& c) -> auto& { return c.forget_after_ms; }, 1000));
    s.push_back(count(
        "max_hosts", "Hosts tracked; beats from further new hosts are refused",
        [](auto& c) -> auto& { return c.max_hosts; }, 1, 100'000'000));
    s.push_back(count(
        "max_metrics_per_host",
        "Metric names kept per host; values under further names are refused, and a name no "
        "beat has carried for --retention is released",
        [](auto& c) -> auto& { return c.max_metrics_per_host; }, 1, 1'000'000));
    // Applied before --auth, whose default it sets.
    s.push_back(then(path(
                         "key_file", "PATH",
                         "Heartbeat keys: a shared key line and/or 'host key' lines (see README)",
                         [](auto& c) -> auto& { return c.key_file; }),
                     [](ServerConfig& c, std::string_view, std::string_view) {
                         c.auth = c.key_file.empty() ? AuthMode::off : AuthMode::required;
                     }));
    ServerSetting auth = then(
        choice(
            "auth", "Whether heartbeats must carry a valid tag for their host's key",
            [](auto& c) -> auto& { return c.auth; },
            Choices<AuthMode>{{"required", AuthMode::required},
                              {"optional", AuthMode::optional},
                              {"off", AuthMode::off}}),
        [](ServerConfig& c, std::string_view key, std::string_view text) {
            if (c.auth != AuthMode::off && c.key_file.empty())
                config_fail(key, fmt::format("\"{}\" needs {}", text, name_like(key, "key_file")));
        });
    auth.default_note = "required with a key file, else off";
    s.push_back(std::move(auth));
    s.push_back(duration(
        "max_clock_skew",
        "Seconds an authenticated beat's send time may differ from the server's clock",
        [](auto& c) -> auto& { return c.max_clock_skew_ms; }, 1000));
    s.push_back(path(
        "plans", "FILE",
        "Collection plans for the agents: which hosts get which interval, collectors and "
        "plugins (see README); reread on SIGHUP",
        [](auto& c) -> auto& { return c.plans_file; }));
    ServerSetting legacy = then(
        duration(
            "legacy_interval",
            "The beat interval of hosts sending PyHeartBeat datagrams (\"PyHB\"), which say none",
            [](auto& c) -> auto& { return c.legacy_interval_ms; }, kMinIntervalMs),
        [](ServerConfig& c, std::string_view key, std::string_view) {
            if (c.legacy_interval_ms > kMaxIntervalMs)
                config_fail(
                    key, fmt::format("expected at most {}", format_duration_unit(kMaxIntervalMs)));
        });
    legacy.range += " and at most " + format_duration_unit(kMaxIntervalMs);
    s.push_back(std::move(legacy));
    s.push_back(count(
        "max_connections", "Concurrent TCP connections",
        [](auto& c) -> auto& { return c.max_connections; }, 1, 1'000'000));
    s.push_back(count(
        "max_connections_per_address", "Concurrent TCP connections from one IP address",
        [](auto& c) -> auto& { return c.max_connections_per_address; }, 1, 1'000'000));
    s.push_back(duration(
        "tcp_idle_timeout", "Seconds a TCP connection may stay idle before it is closed",
        [](auto& c) -> auto& { return c.tcp_idle_timeout_ms; }, 100));
    s.push_back(path(
        "data_dir", "DIR",
        "Directory of the SQLite database (beat.db); '' keeps everything in memory",
        [](auto& c) -> auto& { return c.data_dir; }));
    s.push_back(choice(
        "durability",
        "batch: ok at once, committed every second; sync: ok after commit; off: "
        "memory only",
        [](auto& c) -> auto& { return c.durability; },
        Choices<Durability>{
            {"batch", Durability::batch}, {"sync", Durability::sync}, {"off", Durability::off}}));
    s.push_back(duration(
        "retention", "How long stored points are kept",
        [](auto& c) -> auto& { return c.limits.retention_s; }, 1000, 1000));
    s.push_back(count(
        "max_points_per_key", "Points kept per key, the newest",
        [](auto& c) -> auto& { return c.limits.max_points_per_key; }, 1, 100'000'000));
    s.push_back(count(
        "max_keys", "Keys stored; puts for more are refused",
        [](auto& c) -> auto& { return c.limits.max_keys; }, 1, 100'000'000));
    s.push_back(path(
        "postgres", "CONNINFO",
        "Also write every stored point to PostgreSQL (a libpq connection string or URI; the "
        "password from PGPASSWORD, PGPASSFILE or ~/.pgpass); '' for none",
        [](auto& c) -> auto& { return c.postgres.conninfo; }));
    s.push_back(duration(
        "postgres_batch", "Seconds between writes to PostgreSQL (sooner for a full batch)",
        [](auto& c) -> auto& { return c.postgres.batch_ms; }, 10));
    s.push_back(count(
        "postgres_queue",
        "Points waiting for PostgreSQL (away, or slower than the puts) beyond which new ones are "
        "dropped and counted",
        [](auto& c) -> auto& { return c.postgres.max_waiting_points; }, 1, 1'000'000'000));
    s.push_back(choice(
        "log_level", "Least severe level logged", [](auto& c) -> auto& { return c.log_level; },
        Choices<LogLevel>{{"debug", LogLevel::debug},
                          {"info", LogLevel::info},
                          {"warn", LogLevel::warn},
                          {"error", LogLevel::error}}));
    s.push_back(choice(
        "log_format", "text: one key=value line per event; json: one JSON object per line",
        [](auto& c) -> auto& { return c.log_format; },
        Choices<LogFormat>{{"text", LogFormat::text}, {"json", LogFormat::json}}));
    for (ServerSetting& e : s) {
        if (e.value_name.empty()) e.value_name = e.range;
    }
    return s;
}

const std::vector<ServerSetting>& settings() {
    static const std::vector<ServerSetting> table = make_settings();
    return table;
}

std::size_t index_of(const ServerSetting& s) {
    return static_cast<std::size_t>(&s - settings().data());
}

std::string known_keys() {
    std::string out;
    for (const ServerSetting& s : settings())
        out += (out.empty() ? "" : ", ") + std::string(s.name);
    return out;
}

// The text of a TOML value for `s`'s `set`, once its type is the one `s` takes.
std::string value_text(const ServerSetting& s, const toml::node& n, std::string_view key) {
    switch (s.type) {
        case SettingType::string:
            return std::string(string_value(n, key));
        case SettingType::number:
            return fmt::format("{}", number_value(n, key));
        case SettingType::integer:
            return fmt::format("{}", integer_value(n, key));
        case SettingType::duration:
            return duration_text(n, key);
    }
    return {};
}

}  // namespace

std::span<const ServerSetting> server_settings() {
    return settings();
}

const ServerSetting* find_server_setting(std::string_view name) {
    const auto& all = settings();
    const auto it = std::find_if(all.begin(), all.end(),
                                 [&](const ServerSetting& s) { return s.name == name; });
    return it == all.end() ? nullptr : &*it;
}

std::string flag_name(std::string_view name) {
    std::string flag = "--" + std::string(name);
    std::replace(flag.begin(), flag.end(), '_', '-');
    return flag;
}

std::string default_text(const ServerSetting& s) {
    return s.default_note.empty() ? s.show(ServerConfig{}) : std::string(s.default_note);
}

GivenSettings::GivenSettings() : values_(settings().size()) {}

void GivenSettings::give(const ServerSetting& s, std::string key, std::string text,
                         std::string where) {
    values_.at(index_of(s)) = Value{std::move(key), std::move(text), std::move(where)};
}

ServerConfig GivenSettings::build() const {
    ServerConfig cfg;
    for (std::size_t i = 0; i < values_.size(); ++i) {
        const auto& v = values_[i];
        if (!v) continue;
        try {
            settings()[i].set(cfg, v->key, v->text);
        } catch (const ConfigError& e) {
            if (v->where.empty()) throw;
            throw ConfigError(fmt::format("{} ({})", e.what(), v->where));
        }
    }
    return cfg;
}

void give_server_config_toml(GivenSettings& given, std::string_view text, std::string_view origin) {
    const toml::table root = parse_config_toml(text, origin);
    for (auto&& [name, node] : root) {
        const std::string_view key = name.str();
        const std::string where = fmt::format("{}:{}", origin, node.source().begin.line);
        const ServerSetting* s = find_server_setting(key);
        if (!s) {
            throw ConfigError(
                fmt::format("{}: unknown key ({}; known: {})", key, where, known_keys()));
        }
        try {
            given.give(*s, std::string(key), value_text(*s, node, key), where);
        } catch (const ConfigError& e) {
            throw ConfigError(fmt::format("{} ({})", e.what(), where));
        }
    }
}

}  // namespace beat
