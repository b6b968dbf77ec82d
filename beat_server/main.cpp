// beat_server: config -> objects -> run -> orderly shutdown.
#include <uv.h>

#include <variant>

#include "beat_server/core/config/server_config.hpp"
#include "beat_server/io/config_file.hpp"
#include "beat_server/io/server.hpp"
#include "beat_server/io/storage/database.hpp"
#include "common/config_value.hpp"
#include "common/log.hpp"
#include "common/uv/uv_error.hpp"

int main(int argc, char** argv) {
    const beat::ParsedArgs parsed = beat::parse_server_args(argc, argv, beat::read_config_file);
    if (const int* rc = std::get_if<int>(&parsed)) return *rc;
    const auto& config = std::get<beat::ServerConfig>(parsed);
    beat::set_log_level(config.log_level);
    beat::set_log_format(config.log_format);

    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0) return 1;
    int rc = 0;
    try {
        beat::Server server(&loop, config);
        uv_run(&loop, UV_RUN_DEFAULT);
    } catch (const beat::KeyFileError& e) {
        // A configuration error, like a bad option: exit 2, which the unit does not restart on.
        beat::log_error("{}", e.what());
        rc = 2;
    } catch (const beat::ConfigError& e) {
        // A plans file that cannot be used, likewise.
        beat::log_error("{}", e.what());
        rc = 2;
    } catch (const beat::StorageError& e) {
        beat::log_error("storage: {}", e.what());
        rc = 1;
    } catch (const beat::UvError& e) {
        beat::log_error("{}", e.what());
        rc = 1;
    } catch (const std::exception& e) {
        beat::log_error("fatal: {}", e.what());
        rc = 1;
    }
    // Let close callbacks of anything closed during unwinding run, then check nothing leaked.
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0) {
        beat::log_error("event loop still had open handles at exit");
        return rc == 0 ? 1 : rc;
    }
    return rc;
}
