// One libpq connection, used by one thread (the PostgreSQL writer's). Every failure is a PgError
// with libpq's message; a connection whose server went away says so through ok().
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_result;

namespace beat {

class PgError : public std::runtime_error {
  public:
    explicit PgError(const std::string& what, std::string sqlstate = {})
        : std::runtime_error(what), sqlstate_(std::move(sqlstate)) {}
    // The server's SQLSTATE (e.g. "23505", a unique violation), empty when libpq failed alone.
    const std::string& sqlstate() const noexcept { return sqlstate_; }

  private:
    std::string sqlstate_;
};

// A query's result, freed with it.
class PgResult {
  public:
    explicit PgResult(pg_result* r) noexcept : r_(r) {}
    int rows() const noexcept;
    // The text of row `row`, column `col` (valid while the result lives).
    std::string_view text(int row, int col) const noexcept;

  private:
    struct Free {
        void operator()(pg_result* r) const noexcept;
    };
    std::unique_ptr<pg_result, Free> r_;
};

class PgConnection {
  public:
    // Connects with `conninfo` (a libpq connection string or URI; passwords from PGPASSWORD,
    // PGPASSFILE or ~/.pgpass), giving up after `connect_timeout_s` unless the conninfo sets its
    // own connect_timeout. Throws PgError when the connection fails.
    PgConnection(const std::string& conninfo, int connect_timeout_s);

    // Runs one or more statements (simple query protocol, no parameters). Throws PgError.
    PgResult exec(const std::string& sql);
    // Prepares `sql` as statement `name` for this connection. Throws PgError.
    void prepare(const std::string& name, const std::string& sql);
    // Runs `sql` (or the prepared statement named `sql` when `prepared`) with text parameters.
    // Throws PgError.
    PgResult exec_params(const std::string& sql, const std::vector<std::string>& params,
                         bool prepared = false);

    // Runs the prepared statement `name` with binary parameters (pg_binary.hpp). Throws PgError.
    PgResult exec_prepared_binary(const std::string& name, const std::vector<std::string>& params);
    // Runs `copy_sql` (COPY ... FROM STDIN) and sends it `data` whole. Throws PgError: when the
    // server refuses the data the statement is rolled back whole.
    void copy_in(const std::string& copy_sql, std::string_view data);

    // False once the connection is broken: it must be replaced.
    bool ok() const noexcept;

  private:
    PgResult check(pg_result* r, std::string_view what);

    struct Finish {
        void operator()(pg_conn* c) const noexcept;
    };
    std::unique_ptr<pg_conn, Finish> conn_;
};

}  // namespace beat
