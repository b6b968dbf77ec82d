// Integration test harness: runs the real binaries on 127.0.0.1 and talks to them over real
// sockets. Every wait has a deadline; nothing sleeps in the hope that something has happened.
#pragma once

#include <netinet/in.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace beat::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The wall clock now, in Unix milliseconds, as the server and agents stamp their datagrams.
inline std::int64_t unix_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Paths of the binaries under test (set by CMake).
std::string server_bin();
std::string client_bin();

// A child process with its stdout and stderr captured.
class Process {
  public:
    explicit Process(std::vector<std::string> argv);
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    ~Process();  // SIGKILLs the child if it still runs, and reaps it.

    pid_t pid() const noexcept { return pid_; }

    // Waits until a stderr line containing `needle` arrives that was not returned by an earlier
    // wait_for_line; returns it, or nullopt when `timeout` passes or the child exits first.
    std::optional<std::string> wait_for_line(std::string_view needle,
                                             std::chrono::milliseconds timeout = 5s);
    // Like wait_for_line, but also gives the moment the line was read.
    std::optional<std::pair<std::string, Clock::time_point>> wait_for_line_at(
        std::string_view needle, std::chrono::milliseconds timeout = 5s);

    // Every stderr line read so far (reads what is available first).
    std::vector<std::string> lines();
    // Everything the child wrote to stdout so far (reads what is available first).
    std::string stdout_text();

    void signal(int sig);
    // Waits for the child to exit: its exit code, 128 + signal when killed, nullopt on timeout.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout = 5s);

  private:
    // Reads whatever the pipes hold, waiting at most `wait`. Returns false once both are closed.
    bool pump(std::chrono::milliseconds wait);

    pid_t pid_ = -1;
    int out_fd_ = -1, err_fd_ = -1;
    std::string out_, err_partial_;
    std::vector<std::pair<std::string, Clock::time_point>> err_lines_;
    std::size_t next_line_ = 0;  // The first line not yet returned by wait_for_line.
    std::optional<int> exit_code_;
};

// A fresh directory under /tmp, removed with everything in it when destroyed.
class TempDir {
  public:
    TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();
    const std::string& path() const noexcept { return path_; }

  private:
    std::string path_;
};

// Writes `text` to `name` in `dir`, readable and writable by its owner only (`mode`), and returns
// its path; throws when it cannot. Writing again replaces the file's text.
std::string write_file(const TempDir& dir, const std::string& name, const std::string& text,
                       mode_t mode = 0600);

// Writes an executable /bin/sh script `name` holding `body` (after its "#!" line) into `dir`, as
// a plugin of the agent; returns its path. Throws when it cannot.
std::string write_script(const TempDir& dir, const std::string& name, const std::string& body);

// Waits up to `timeout` for process `pid` to be gone: no such process, or a zombie (which runs
// nothing any more, whether or not its parent has reaped it yet). True when it is.
bool wait_process_gone(pid_t pid, std::chrono::milliseconds timeout = 5s);

// A running beat_server on 127.0.0.1 with ephemeral ports.
struct Server {
    std::unique_ptr<Process> proc;
    std::uint16_t udp_port = 0;
    std::uint16_t tcp_port = 0;
    std::uint16_t http_port = 0;        // 0 with --http off.
    std::uint16_t binary_port = 0;      // 0 without --binary.
    std::shared_ptr<TempDir> data_dir;  // The --data-dir the harness chose, if it chose one.
};

// Starts beat_server with "--udp 127.0.0.1:0 --tcp 127.0.0.1:0" (and "--http 127.0.0.1:0" unless
// `extra` names --http) plus `extra`, and waits for its "listening" line to learn the ports. Fails
// the test (throws) when it does not start. Unless `extra` names one, the server gets a fresh
// --data-dir of its own. Every other setting is the default: the retention of 7 days too, which
// keeps the tests' fixed timestamps from 2023 since it counts from when a point was put.
Server start_server(std::vector<std::string> extra = {});

// Starts beat_client with `args` (an agent, or a put/get command).
std::unique_ptr<Process> start_agent(std::vector<std::string> args);

// "127.0.0.1:PORT".
std::string loopback_endpoint(std::uint16_t port);
// 127.0.0.1:`port` as a socket address.
sockaddr_in loopback(std::uint16_t port);

// An HTTP response as read off the wire.
struct HttpReply {
    int status = 0;
    std::string headers;  // The header lines as sent, after the status line.
    std::string body;
};

// Sends "GET `target`" (HTTP/1.1, Connection: close) to 127.0.0.1:`port` and reads the response
// until the server closes; throws on timeout or a response that is not HTTP.
HttpReply http_get(std::uint16_t port, std::string_view target,
                   std::chrono::milliseconds timeout = 5s);

// Sends one datagram to 127.0.0.1:`port`.
void send_udp(std::uint16_t port, std::string_view datagram);

// A blocking TCP connection to 127.0.0.1 with a read deadline.
class TcpConn {
  public:
    explicit TcpConn(std::uint16_t port);
    TcpConn(const TcpConn&) = delete;
    TcpConn& operator=(const TcpConn&) = delete;
    ~TcpConn();

    void send(std::string_view bytes);
    // Reads until `n` complete replies (each ending in an empty line) have arrived and returns
    // their text; throws on timeout or EOF.
    std::string read_replies(std::size_t n, std::chrono::milliseconds timeout = 5s);
    // Reads until the server closes the connection and returns what came; throws on timeout.
    std::string read_until_closed(std::chrono::milliseconds timeout = 5s);
    int fd() const noexcept { return fd_; }

  private:
    int fd_ = -1;
    std::string buf_;
};

// Sends `text` on a fresh connection and returns the next `replies` replies.
std::string tcp_request(std::uint16_t port, std::string_view text, std::size_t replies = 1);

// Extracts the value of "key=value" from a log line, or "" when absent.
std::string field(std::string_view line, std::string_view key);

// A log field written as seconds ("1.234s", "-0.5s") as a number; fails the test when the field
// is absent or has no unit.
double seconds_field(std::string_view line, std::string_view key);

// A log field written as a percentage ("3.5%") as a fraction; fails the test likewise.
double percent_field(std::string_view line, std::string_view key);

// Sends from `bytes` on the socket `fd` what fits without blocking; returns how many were sent.
std::size_t send_what_fits(int fd, std::string_view bytes);

// The local port of the socket `fd` (0 when it has none).
std::uint16_t local_port(int fd);

// A socket of `type` (SOCK_STREAM, then listening, or SOCK_DGRAM) bound without SO_REUSEADDR to
// a port of 127.0.0.1 the kernel chose: nothing else can bind that port while it lives.
class TakenPort {
  public:
    explicit TakenPort(int type);
    TakenPort(const TakenPort&) = delete;
    TakenPort& operator=(const TakenPort&) = delete;
    ~TakenPort();

    std::uint16_t port() const noexcept { return port_; }

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

// A UDP socket bound to a port of 127.0.0.1 the kernel chose, closed when destroyed.
class UdpSocket {
  public:
    UdpSocket();
    UdpSocket(const UdpSocket&) = delete;
    UdpSocket& operator=(const UdpSocket&) = delete;
    ~UdpSocket();

    int fd() const noexcept { return fd_; }
    std::uint16_t port() const noexcept { return port_; }
    // Sends `datagram` to 127.0.0.1:`port`; throws when it cannot.
    void send_to(std::uint16_t port, std::string_view datagram);
    // The next datagram and the port of 127.0.0.1 it came from, or nullopt when none came within
    // `timeout`.
    std::optional<std::pair<std::string, std::uint16_t>> receive(std::chrono::milliseconds timeout);

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

// The resident set size of process `pid` in KiB (VmRSS in /proc/<pid>/status), or 0.
std::size_t vm_rss_kib(pid_t pid);

// True when BEAT_SANITIZED is set: the binaries run under sanitizers, which distort resident
// memory and timings, so tests that measure those skip the measurement.
bool sanitized();

}  // namespace beat::test
