#include "beat_client/io/file_reader.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace beat {

std::optional<std::string_view> FileReader::read(const char* path, int& error,
                                                 std::size_t max_bytes) {
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
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

}  // namespace beat
