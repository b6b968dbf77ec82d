#include "beat_client/io/file_reader.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace beat {
namespace {

int open_read_only(const char* path) noexcept {
    // O_NONBLOCK: a metrics file that turns out to be a FIFO must not stall the loop.
    return ::open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
}

}  // namespace

ProcFile::~ProcFile() {
    if (fd_ >= 0) ::close(fd_);
}

bool ProcFile::changed() noexcept {
    if (fd_ < 0) return true;
    pollfd p{fd_, POLLPRI, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLPRI | POLLERR)) != 0;
}

std::optional<std::string_view> FileReader::read(const char* path, int& error,
                                                 std::size_t max_bytes) {
    const int fd = open_read_only(path);
    if (fd < 0) {
        error = errno;
        return std::nullopt;
    }
    std::size_t len = 0;
    for (;;) {
        if (len == buf_.size()) {
            if (buf_.size() > max_bytes) {
                ::close(fd);
                error = EFBIG;
                return std::nullopt;
            }
            buf_.resize(std::min(buf_.size() * 2, max_bytes + 1));
        }
        const ssize_t n = ::read(fd, buf_.data() + len, buf_.size() - len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            error = errno;
            ::close(fd);
            return std::nullopt;
        }
        if (n == 0) break;
        len += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (len > max_bytes) {
        error = EFBIG;
        return std::nullopt;
    }
    return std::string_view(buf_.data(), len);
}

std::optional<std::string_view> FileReader::read(ProcFile& file, int& error) {
    if (file.fd_ < 0) {
        file.fd_ = open_read_only(file.path_.c_str());
        if (file.fd_ < 0) {
            error = errno;
            return std::nullopt;
        }
    }
    for (;;) {
        const ssize_t n = ::pread(file.fd_, buf_.data(), buf_.size(), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            error = errno;
            ::close(file.fd_);
            file.fd_ = -1;
            return std::nullopt;
        }
        // procfs hands over as much of a file as the buffer takes, so a read that leaves room
        // has the whole file; one that fills the buffer is retried with a bigger one.
        if (static_cast<std::size_t>(n) < buf_.size()) {
            return std::string_view(buf_.data(), static_cast<std::size_t>(n));
        }
        if (buf_.size() >= kMaxBytes) {
            error = EFBIG;
            return std::nullopt;
        }
        buf_.resize(buf_.size() * 2);
    }
}

}  // namespace beat
