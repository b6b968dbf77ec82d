#include "beat_server/io/postgres/pg_connection.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

namespace beat {

int PgResult::rows() const noexcept {
    return PQntuples(r_.get());
}

std::string_view PgResult::text(int row, int col) const noexcept {
    return {PQgetvalue(r_.get(), row, col),
            static_cast<std::size_t>(PQgetlength(r_.get(), row, col))};
}

void PgResult::Free::operator()(pg_result* r) const noexcept {
    PQclear(r);
}

void PgConnection::Finish::operator()(pg_conn* c) const noexcept {
    PQfinish(c);
}

namespace {

// libpq's messages end with a newline; a log line should not.
std::string message_of(const char* m) {
    std::string s = m == nullptr ? "" : m;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
        s.pop_back();
    return s;
}

}  // namespace

PgConnection::PgConnection(const std::string& conninfo, int connect_timeout_s) {
    // Later keywords win: the conninfo (expanded from dbname) may set its own connect_timeout.
    const std::string timeout = std::to_string(connect_timeout_s);
    const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
    const char* values[] = {timeout.c_str(), "beat_server", conninfo.c_str(), nullptr};
    conn_.reset(PQconnectdbParams(keys, values, 1));
    if (conn_ == nullptr) throw PgError("out of memory");
    if (PQstatus(conn_.get()) != CONNECTION_OK)
        throw PgError(message_of(PQerrorMessage(conn_.get())));
    // Notices (a table that exists already) are not errors: libpq would print them to stderr.
    PQsetNoticeProcessor(
        conn_.get(), [](void*, const char*) {}, nullptr);
}

PgResult PgConnection::check(pg_result* r, std::string_view what) {
    PgResult result(r);
    const ExecStatusType status = PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        const char* m = r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(conn_.get());
        throw PgError(fmt::format("{}: {}", what, message_of(m)));
    }
    return result;
}

PgResult PgConnection::exec(const std::string& sql) {
    return check(PQexec(conn_.get(), sql.c_str()), "query");
}

void PgConnection::prepare(const std::string& name, const std::string& sql) {
    check(PQprepare(conn_.get(), name.c_str(), sql.c_str(), 0, nullptr), "prepare");
}

PgResult PgConnection::exec_params(const std::string& sql, const std::vector<std::string>& params,
                                   bool prepared) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const std::string& p : params)
        values.push_back(p.c_str());
    const int n = static_cast<int>(values.size());
    pg_result* r =
        prepared ? PQexecPrepared(conn_.get(), sql.c_str(), n, values.data(), nullptr, nullptr, 0)
                 : PQexecParams(conn_.get(), sql.c_str(), n, nullptr, values.data(), nullptr,
                                nullptr, 0);
    return check(r, prepared ? sql : "query");
}

bool PgConnection::ok() const noexcept {
    return PQstatus(conn_.get()) == CONNECTION_OK;
}

}  // namespace beat
