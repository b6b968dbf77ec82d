// A monitor with its store and a log reporter, for the tests of the glue that feeds them.
#pragma once

#include "beat_server/core/ingest/monitor.hpp"
#include "beat_server/core/report/log_reporter.hpp"
#include "beat_server/core/store/store.hpp"

namespace beat::test {

struct MonitorFixture {
    Store store;
    LogReporter reporter;
    Monitor monitor{MonitorConfig{}, store, reporter};
};

}  // namespace beat::test
