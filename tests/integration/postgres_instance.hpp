// A PostgreSQL 15 server of the test's own: initdb into a fresh temporary directory (as the
// postgres user when the test runs as root, which initdb refuses to be), listening only on a unix
// socket in that directory (so no TCP port is taken and no other test's server can be reached),
// stopped and removed with the directory when destroyed.
#pragma once

#include <string>
#include <string_view>

#include "tests/integration/harness.hpp"

namespace beat::test {

class PostgresInstance {
  public:
    // Creates the cluster and starts it; throws with initdb's or pg_ctl's output when it cannot
    // (PostgreSQL 15 is installed by scripts/install-deps.sh --test).
    PostgresInstance();
    PostgresInstance(const PostgresInstance&) = delete;
    PostgresInstance& operator=(const PostgresInstance&) = delete;
    ~PostgresInstance();  // Stops the server at once if it runs.

    // What --postgres takes to reach it.
    std::string conninfo() const;

    // Runs `sql` with psql and returns its unaligned output: one line per row, columns joined by
    // '|'. Throws with psql's message when it fails.
    std::string query(std::string_view sql) const;

    // Stops the server (fast: connections are closed) and starts it again: both wait until done.
    void stop();
    void start();

  private:
    // Runs a PostgreSQL program as the cluster's owner; throws with its output unless it exits 0.
    std::string run(std::vector<std::string> argv, std::chrono::milliseconds timeout) const;

    TempDir dir_;
    std::string data_;
    bool running_ = false;
};

}  // namespace beat::test
