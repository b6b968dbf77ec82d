#include "tests/integration/postgres_instance.hpp"

#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

namespace beat::test {
namespace {

// Debian keeps the server's programs out of PATH.
std::string pg_program(const std::string& name) {
    const std::string debian = "/usr/lib/postgresql/15/bin/" + name;
    if (std::filesystem::exists(debian)) return debian;
    for (const char* dir : {"/usr/local/bin/", "/usr/bin/"}) {
        if (std::filesystem::exists(dir + name)) return dir + name;
    }
    throw std::runtime_error(name +
                             " not found: install postgresql-15 (scripts/install-deps.sh "
                             "--test)");
}

}  // namespace

PostgresInstance::PostgresInstance() : data_(dir_.path() + "/data") {
    if (::geteuid() == 0) {
        const passwd* pw = ::getpwnam("postgres");
        if (pw == nullptr) throw std::runtime_error("no postgres user to run PostgreSQL as");
        if (::chown(dir_.path().c_str(), pw->pw_uid, pw->pw_gid) != 0)
            throw std::runtime_error("chown " + dir_.path());
    }
    run({pg_program("initdb"), "-D", data_, "-U", "postgres", "-A", "trust", "--no-sync",
         "--no-instructions", "-E", "UTF8", "--locale", "C"},
        60s);
    start();
}

PostgresInstance::~PostgresInstance() {
    if (!running_) return;
    try {
        run({pg_program("pg_ctl"), "-D", data_, "-m", "immediate", "-w", "stop"}, 20s);
    } catch (const std::exception&) {
        // The directory goes anyway; a server left behind has lost its files.
    }
}

std::string PostgresInstance::conninfo() const {
    return "host=" + dir_.path() + " port=5432 user=postgres dbname=postgres";
}

std::string PostgresInstance::run(std::vector<std::string> argv,
                                  std::chrono::milliseconds timeout) const {
    const std::string program = argv.front();
    if (::geteuid() == 0) argv.insert(argv.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
    Process p(argv);
    const std::optional<int> code = p.wait_exit(timeout);
    std::string output = p.stdout_text();
    for (const std::string& line : p.lines())
        output += line + "\n";
    if (code != 0) throw std::runtime_error(program + " failed: " + output);
    return p.stdout_text();
}

void PostgresInstance::start() {
    // fsync off: a test's cluster need not survive a crash of the machine.
    run({pg_program("pg_ctl"), "-D", data_, "-l", dir_.path() + "/log", "-w", "-t", "30", "-o",
         "-c listen_addresses='' -c unix_socket_directories=" + dir_.path() +
             " -c port=5432 -c fsync=off -c max_connections=50",
         "start"},
        40s);
    running_ = true;
}

void PostgresInstance::stop() {
    run({pg_program("pg_ctl"), "-D", data_, "-m", "fast", "-w", "stop"}, 40s);
    running_ = false;
}

std::string PostgresInstance::query(std::string_view sql) const {
    Process p({"/usr/bin/psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conninfo(), "-c",
               std::string(sql)});
    const std::optional<int> code = p.wait_exit(30s);
    if (code != 0) {
        std::string err;
        for (const std::string& line : p.lines())
            err += line + "\n";
        throw std::runtime_error("psql: " + err);
    }
    return p.stdout_text();
}

}  // namespace beat::test
