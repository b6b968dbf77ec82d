#include "tests/integration/harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace beat::test {
namespace {

int ms_left(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// "udp=127.0.0.1:4321" -> 4321.
std::uint16_t port_of(std::string_view endpoint) {
    const auto colon = endpoint.rfind(':');
    if (colon == std::string_view::npos) return 0;
    return static_cast<std::uint16_t>(std::stoi(std::string(endpoint.substr(colon + 1))));
}

}  // namespace

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

std::string server_bin() {
    return BEAT_SERVER_BIN;
}
std::string client_bin() {
    return BEAT_CLIENT_BIN;
}

Process::Process(std::vector<std::string> argv) {
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
    std::vector<char*> args;
    for (auto& a : argv)
        args.push_back(a.data());
    args.push_back(nullptr);
    const int rc = posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    ::close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
}

Process::~Process() {
    if (!exit_code_ && pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        waitpid(pid_, &status, 0);
    }
    if (out_fd_ >= 0) ::close(out_fd_);
    if (err_fd_ >= 0) ::close(err_fd_);
}

bool Process::pump(std::chrono::milliseconds wait) {
    pollfd fds[2];
    nfds_t n = 0;
    if (out_fd_ >= 0) fds[n++] = {out_fd_, POLLIN, 0};
    if (err_fd_ >= 0) fds[n++] = {err_fd_, POLLIN, 0};
    if (n == 0) return false;
    if (::poll(fds, n, static_cast<int>(wait.count())) <= 0) return true;
    for (nfds_t i = 0; i < n; ++i) {
        if (fds[i].revents == 0) continue;
        char buf[65536];
        const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
        const bool is_err = fds[i].fd == err_fd_;
        if (got <= 0) {
            ::close(fds[i].fd);
            (is_err ? err_fd_ : out_fd_) = -1;
            continue;
        }
        if (!is_err) {
            out_.append(buf, static_cast<std::size_t>(got));
            continue;
        }
        err_partial_.append(buf, static_cast<std::size_t>(got));
        std::size_t nl;
        while ((nl = err_partial_.find('\n')) != std::string::npos) {
            err_lines_.emplace_back(err_partial_.substr(0, nl), Clock::now());
            err_partial_.erase(0, nl + 1);
        }
    }
    return out_fd_ >= 0 || err_fd_ >= 0;
}

std::optional<std::pair<std::string, Clock::time_point>> Process::wait_for_line_at(
    std::string_view needle, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (true) {
        for (; next_line_ < err_lines_.size(); ++next_line_) {
            if (err_lines_[next_line_].first.find(needle) != std::string::npos) {
                return err_lines_[next_line_++];
            }
        }
        if (Clock::now() >= deadline) return std::nullopt;
        if (!pump(std::chrono::milliseconds(ms_left(deadline))) &&
            next_line_ >= err_lines_.size()) {
            return std::nullopt;
        }
    }
}

std::optional<std::string> Process::wait_for_line(std::string_view needle,
                                                  std::chrono::milliseconds timeout) {
    auto r = wait_for_line_at(needle, timeout);
    if (!r) return std::nullopt;
    return r->first;
}

std::vector<std::string> Process::lines() {
    while (pump(0ms)) {
        pollfd p{err_fd_, POLLIN, 0};
        if (err_fd_ < 0 || ::poll(&p, 1, 0) <= 0) break;
    }
    std::vector<std::string> out;
    for (auto& [l, t] : err_lines_)
        out.push_back(l);
    return out;
}

std::string Process::stdout_text() {
    while (out_fd_ >= 0) {
        pollfd p{out_fd_, POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0) break;
        pump(0ms);
    }
    return out_;
}

void Process::signal(int sig) {
    if (!exit_code_) ::kill(pid_, sig);
}

std::optional<int> Process::wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!exit_code_) {
        int status = 0;
        const pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            break;
        }
        if (Clock::now() >= deadline) return std::nullopt;
        // Draining the pipes also keeps the child from blocking on a full pipe.
        if (!pump(std::chrono::milliseconds(std::min(ms_left(deadline), 20)))) {
            pollfd none{};
            ::poll(&none, 0, std::min(ms_left(deadline), 5));
        }
    }
    while (pump(0ms) && (out_fd_ >= 0 || err_fd_ >= 0)) {
        pollfd p[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
        if (::poll(p, 2, 0) <= 0) break;
    }
    return exit_code_;
}

TempDir::TempDir() {
    std::string tmpl = "/tmp/beat-test-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
        throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
    }
    path_ = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::string write_file(const TempDir& dir, const std::string& name, const std::string& text,
                       mode_t mode) {
    const std::string path = dir.path() + "/" + name;
    std::ofstream(path) << text;
    if (::chmod(path.c_str(), mode) != 0)
        throw std::runtime_error("chmod " + path + ": " + std::strerror(errno));
    return path;
}

std::string write_script(const TempDir& dir, const std::string& name, const std::string& body) {
    return write_file(dir, name, "#!/bin/sh\n" + body, 0755);
}

bool wait_process_gone(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (true) {
        if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        const std::string text((std::istreambuf_iterator<char>(stat)),
                               std::istreambuf_iterator<char>());
        const std::size_t paren = text.rfind(')');  // The command name may hold anything.
        if (paren != std::string::npos && text.compare(paren + 1, 2, " Z") == 0) return true;
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(10ms);
    }
}

Server start_server(std::vector<std::string> extra) {
    std::vector<std::string> argv = {server_bin(), "--udp", "127.0.0.1:0", "--tcp", "127.0.0.1:0"};
    Server s;
    const auto names = [&](std::string_view flag) {
        return std::find(extra.begin(), extra.end(), flag) != extra.end();
    };
    if (!names("--data-dir")) {
        s.data_dir = std::make_shared<TempDir>();
        argv.insert(argv.end(), {"--data-dir", s.data_dir->path()});
    }
    if (!names("--http")) argv.insert(argv.end(), {"--http", "127.0.0.1:0"});
    argv.insert(argv.end(), extra.begin(), extra.end());
    s.proc = std::make_unique<Process>(argv);
    // With --log-format json the listening line is an event whose fields name the endpoints.
    const auto format = std::find(extra.begin(), extra.end(), "--log-format");
    const bool json_log =
        names("--log-format=json") ||
        (format != extra.end() && std::next(format) != extra.end() && *std::next(format) == "json");
    const auto line =
        s.proc->wait_for_line(json_log ? R"("event":"listening")" : "listening ", 10s);
    if (!line) throw std::runtime_error("beat_server did not start");
    if (json_log) {
        const auto event = nlohmann::json::parse(*line);
        s.udp_port = port_of(event.at("udp").get<std::string>());
        s.tcp_port = port_of(event.at("tcp").get<std::string>());
        s.http_port = port_of(event.at("http").get<std::string>());
        s.binary_port = port_of(event.value("binary", ""));
    } else {
        s.udp_port = port_of(field(*line, "udp"));
        s.tcp_port = port_of(field(*line, "tcp"));
        s.http_port = port_of(field(*line, "http"));
        s.binary_port = port_of(field(*line, "binary"));
    }
    if (s.udp_port == 0 || s.tcp_port == 0) throw std::runtime_error("no ports in: " + *line);
    return s;
}

std::unique_ptr<Process> start_agent(std::vector<std::string> args) {
    args.insert(args.begin(), client_bin());
    return std::make_unique<Process>(std::move(args));
}

std::string loopback_endpoint(std::uint16_t port) {
    return "127.0.0.1:" + std::to_string(port);
}

namespace {

// The body of a chunked response (other servers than beat's use it, e.g. Prometheus' API).
std::string dechunk(std::string_view chunked) {
    std::string body;
    while (true) {
        const auto line_end = chunked.find("\r\n");
        if (line_end == std::string_view::npos) throw std::runtime_error("truncated chunked body");
        const std::size_t size = std::stoul(std::string(chunked.substr(0, line_end)), nullptr, 16);
        if (size == 0) return body;
        if (chunked.size() < line_end + 2 + size + 2)
            throw std::runtime_error("truncated chunked body");
        body.append(chunked.substr(line_end + 2, size));
        chunked.remove_prefix(line_end + 2 + size + 2);
    }
}

}  // namespace

HttpReply http_get(std::uint16_t port, std::string_view target, std::chrono::milliseconds timeout) {
    TcpConn conn(port);
    conn.send(
        fmt::format("GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", target));
    const std::string raw = conn.read_until_closed(timeout);
    const auto head_end = raw.find("\r\n\r\n");
    const auto line_end = raw.find("\r\n");
    if (raw.rfind("HTTP/1.1 ", 0) != 0 || head_end == std::string::npos)
        throw std::runtime_error("not an HTTP response: " + raw.substr(0, 200));
    HttpReply r;
    r.status = std::stoi(raw.substr(9, 3));
    r.headers = raw.substr(line_end + 2, head_end + 2 - (line_end + 2));
    r.body = raw.substr(head_end + 4);
    std::string lower = r.headers;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower.find("transfer-encoding: chunked") != std::string::npos) r.body = dechunk(r.body);
    return r;
}

void send_udp(std::uint16_t port, std::string_view datagram) {
    static int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const sockaddr_in a = loopback(port);
    if (::sendto(fd, datagram.data(), datagram.size(), 0, reinterpret_cast<const sockaddr*>(&a),
                 sizeof a) != static_cast<ssize_t>(datagram.size())) {
        throw std::runtime_error(std::string("sendto: ") + std::strerror(errno));
    }
}

TcpConn::TcpConn(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_in a = loopback(port);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
        const int e = errno;
        ::close(fd_);
        throw std::runtime_error(std::string("connect: ") + std::strerror(e));
    }
}

TcpConn::~TcpConn() {
    ::close(fd_);
}

void TcpConn::send(std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::string TcpConn::read_replies(std::size_t n, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    // A reply ends at its first empty line: "\n\n" (ok or error both end that way).
    auto complete = [&](std::size_t& end) {
        std::size_t found = 0, pos = 0;
        while (found < n) {
            const std::size_t e = buf_.find("\n\n", pos);
            if (e == std::string::npos) return false;
            // "error\nwrong command\n\n": the blank line closes it, the reason is one line.
            pos = e + 2;
            ++found;
        }
        end = pos;
        return true;
    };
    std::size_t end = 0;
    while (!complete(end)) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, ms_left(deadline)) <= 0)
            throw std::runtime_error("reply timeout: " + buf_);
        char tmp[65536];
        const ssize_t got = ::recv(fd_, tmp, sizeof tmp, 0);
        if (got <= 0) throw std::runtime_error("connection closed; got: " + buf_);
        buf_.append(tmp, static_cast<std::size_t>(got));
    }
    std::string out = buf_.substr(0, end);
    buf_.erase(0, end);
    return out;
}

std::string TcpConn::read_until_closed(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (true) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, ms_left(deadline)) <= 0)
            throw std::runtime_error("close timeout: " + buf_);
        char tmp[65536];
        const ssize_t got = ::recv(fd_, tmp, sizeof tmp, 0);
        if (got <= 0) break;
        buf_.append(tmp, static_cast<std::size_t>(got));
    }
    std::string out;
    out.swap(buf_);
    return out;
}

std::string tcp_request(std::uint16_t port, std::string_view text, std::size_t replies) {
    TcpConn c(port);
    c.send(text);
    return c.read_replies(replies);
}

std::string field(std::string_view line, std::string_view key) {
    const std::string pat = fmt::format(" {}=", key);
    const auto at = line.find(pat);
    if (at == std::string_view::npos) return "";
    const auto start = at + pat.size();
    const auto end = line.find(' ', start);
    return std::string(line.substr(start, end == std::string_view::npos ? end : end - start));
}

namespace {

// The number before `unit` in the field `key` of `line`; throws (failing the test) without one.
double number_with_unit(std::string_view line, std::string_view key, char unit) {
    std::string v = field(line, key);
    if (v.empty() || v.back() != unit) {
        throw std::runtime_error(
            fmt::format("no field {}=<number>{} in: {}", key, unit, std::string(line)));
    }
    v.pop_back();
    return std::stod(v);
}

}  // namespace

double seconds_field(std::string_view line, std::string_view key) {
    return number_with_unit(line, key, 's');
}

double percent_field(std::string_view line, std::string_view key) {
    return number_with_unit(line, key, '%') / 100;
}

std::size_t send_what_fits(int fd, std::string_view bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n =
            ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
    }
    return sent;
}

std::uint16_t local_port(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return 0;
    return ntohs(a.sin_port);
}

TakenPort::TakenPort(int type) : fd_(::socket(AF_INET, type | SOCK_CLOEXEC, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0 ||
        (type == SOCK_STREAM && ::listen(fd_, 1) != 0)) {
        const std::string why = std::strerror(errno);
        if (fd_ >= 0) ::close(fd_);
        throw std::runtime_error("cannot bind a socket on 127.0.0.1: " + why);
    }
    port_ = local_port(fd_);
}

TakenPort::~TakenPort() {
    ::close(fd_);
}

UdpSocket::UdpSocket() : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    const sockaddr_in a = loopback(0);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
        const std::string why = std::strerror(errno);
        if (fd_ >= 0) ::close(fd_);
        throw std::runtime_error("cannot bind a UDP socket on 127.0.0.1: " + why);
    }
    port_ = local_port(fd_);
}

UdpSocket::~UdpSocket() {
    ::close(fd_);
}

void UdpSocket::send_to(std::uint16_t port, std::string_view datagram) {
    const sockaddr_in a = loopback(port);
    if (::sendto(fd_, datagram.data(), datagram.size(), 0, reinterpret_cast<const sockaddr*>(&a),
                 sizeof a) != static_cast<ssize_t>(datagram.size())) {
        throw std::runtime_error(std::string("sendto: ") + std::strerror(errno));
    }
}

std::optional<std::pair<std::string, std::uint16_t>> UdpSocket::receive(
    std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    char buf[65536];
    sockaddr_in from{};
    socklen_t len = sizeof from;
    const ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) return std::nullopt;
    return std::pair{std::string(buf, static_cast<std::size_t>(n)), ntohs(from.sin_port)};
}

std::size_t vm_rss_kib(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
    }
    return 0;
}

bool sanitized() {
    return std::getenv("BEAT_SANITIZED") != nullptr;
}

}  // namespace beat::test
