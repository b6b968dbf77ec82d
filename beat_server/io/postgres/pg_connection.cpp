#include "beat_server/io/postgres/pg_connection.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>

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
        const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
        throw PgError(fmt::format("{}: {}", what, message_of(m)), state != nullptr ? state : "");
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

PgResult PgConnection::exec_prepared_binary(const std::string& name,
                                            const std::vector<std::string>& params) {
    std::vector<const char*> values;
    std::vector<int> lengths;
    const std::vector<int> formats(params.size(), 1);
    for (const std::string& p : params) {
        values.push_back(p.data());
        lengths.push_back(static_cast<int>(p.size()));
    }
    return check(PQexecPrepared(conn_.get(), name.c_str(), static_cast<int>(params.size()),
                                values.data(), lengths.data(), formats.data(), 0),
                 name);
}

void PgConnection::copy_in(const std::string& copy_sql, std::string_view data) {
    pg_result* start = PQexec(conn_.get(), copy_sql.c_str());
    if (PQresultStatus(start) != PGRES_COPY_IN) {
        check(start, "copy");
        throw PgError("copy: the statement does not take data");
    }
    PQclear(start);
    // libpq takes the data in pieces it can size as it likes; sending stops early only when the
    // connection is broken (the final result says why).
    constexpr std::size_t kPiece = 1 << 20;
    bool sent = true;
    for (std::size_t at = 0; sent && at < data.size(); at += kPiece) {
        const std::size_t n = std::min(kPiece, data.size() - at);
        sent = PQputCopyData(conn_.get(), data.data() + at, static_cast<int>(n)) == 1;
    }
    if (sent) PQputCopyEnd(conn_.get(), nullptr);
    // The COPY's outcome, then nothing: every result must be read before the next statement.
    pg_result* outcome = PQgetResult(conn_.get());
    while (pg_result* extra = PQgetResult(conn_.get()))
        PQclear(extra);
    check(outcome, "copy");
}

bool PgConnection::ok() const noexcept {
    return PQstatus(conn_.get()) == CONNECTION_OK;
}

}  // namespace beat
