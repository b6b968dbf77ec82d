// Storage: a database that cannot be used is reported before any handle is opened, and a storage
// closes its timer and its writer's handle when destroyed.
#include <catch2/catch.hpp>

#include <fstream>

#include "beat_server/io/storage/storage.hpp"
#include "tests/integration/harness.hpp"
#include "tests/io/loop_fixture.hpp"
#include "tests/io/monitor_fixture.hpp"

using namespace beat;
using namespace beat::test;

namespace {

ServerConfig storage_config(std::string data_dir, Durability durability) {
    ServerConfig c;
    c.data_dir = std::move(data_dir);
    c.durability = durability;
    return c;
}

}  // namespace

TEST_CASE("a storage whose data directory is a regular file throws and leaves no handle open",
          "[storage]") {
    TestLoop loop;
    TempDir dir;
    MonitorFixture ingest;
    const std::string file = dir.path() + "/file";
    std::ofstream(file) << "not a directory\n";
    CHECK_THROWS_AS(Storage(loop.get(), storage_config(file, Durability::batch), ingest.store,
                            ingest.monitor, {}),
                    StorageError);
    CHECK(loop.closes_with_no_handle_open());
}

TEST_CASE("a storage destroyed without close() leaves no handle open", "[storage]") {
    const auto durability = GENERATE(Durability::batch, Durability::sync);
    TestLoop loop;
    TempDir dir;
    MonitorFixture ingest;
    {
        Storage storage(loop.get(), storage_config(dir.path(), durability), ingest.store,
                        ingest.monitor, {});
    }
    CHECK(loop.closes_with_no_handle_open());
}
