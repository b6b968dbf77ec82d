// beat_server --config FILE: the real binary reading its settings from a TOML file, with flags
// over it.
#include <catch2/catch.hpp>

#include <signal.h>

#include <string>

#include "tests/integration/harness.hpp"

using namespace beat;
using namespace beat::test;

namespace {

std::uint16_t port_in(const std::string& line, std::string_view key) {
    const std::string endpoint = field(line, key);
    return static_cast<std::uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
}

}  // namespace

TEST_CASE("beat_server --config listens where the file says, with a flag overriding the file",
          "[server][config]") {
    const TempDir dir;
    // 192.0.2.1 (TEST-NET-1) is not an address of this machine: the server could not bind the
    // file's TCP port, so it starts only if the flag replaces it.
    const std::string config = write_file(dir, "beat-server.toml",
                                          "udp = \"127.0.0.1:0\"\n"
                                          "tcp = \"192.0.2.1:0\"\n"
                                          "http = \"127.0.0.1:0\"\n"
                                          "data_dir = \"" +
                                              dir.path() +
                                              "\"\n"
                                              "retention = \"36500d\"\n");
    Process server({server_bin(), "--config", config, "--tcp", "127.0.0.1:0"});
    const auto line = server.wait_for_line("listening ", 10s);
    REQUIRE(line);
    CHECK(field(*line, "udp").starts_with("127.0.0.1:"));
    CHECK(field(*line, "tcp").starts_with("127.0.0.1:"));
    const std::uint16_t http_port = port_in(*line, "http");
    REQUIRE(http_port != 0);
    CHECK(http_get(http_port, "/healthz").status == 200);
    server.signal(SIGTERM);
    CHECK(server.wait_exit(10s) == 0);
}

TEST_CASE("beat_server --config with an unknown key exits 2 naming the key and the file",
          "[server][config]") {
    const TempDir dir;
    const std::string config =
        write_file(dir, "typo.toml", "udp = \"127.0.0.1:0\"\nphi_treshold = 8\n");
    Process server({server_bin(), "--config", config, "--tcp", "127.0.0.1:0"});
    REQUIRE(server.wait_exit(10s) == 2);
    std::string err;
    for (const std::string& l : server.lines())
        err += l + "\n";
    CHECK(err.find("phi_treshold: unknown key (" + config + ":2") != std::string::npos);
}
