#include "common/key_ring.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/sodium_init.hpp"
#include "common/wire.hpp"

namespace beat {
namespace {

constexpr std::size_t kMaxKeyFileBytes = 16 << 20;

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

// Splits off the first whitespace-separated word of `s`.
std::string_view take_word(std::string_view& s) noexcept {
    s = trim(s);
    std::size_t n = 0;
    while (n < s.size() && s[n] != ' ' && s[n] != '\t')
        ++n;
    const std::string_view word = s.substr(0, n);
    s = trim(s.substr(n));
    return word;
}

}  // namespace

Key make_key(const std::array<unsigned char, kKeyBytes>& bytes) {
    ensure_sodium();
    Key key;
    key.bytes = bytes;
    crypto_auth_hmacsha256_init(&key.hmac, key.bytes.data(), key.bytes.size());
    return key;
}

std::optional<Key> parse_key(std::string_view text) {
    ensure_sodium();
    Key key;
    std::size_t len = 0;
    const char* end = nullptr;
    if (text.size() == 2 * kKeyBytes) {
        if (sodium_hex2bin(key.bytes.data(), key.bytes.size(), text.data(), text.size(), nullptr,
                           &len, &end) == 0 &&
            len == kKeyBytes && end == text.data() + text.size()) {
            return make_key(key.bytes);
        }
        return std::nullopt;
    }
    for (int variant :
         {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_URLSAFE,
          sodium_base64_VARIANT_ORIGINAL_NO_PADDING, sodium_base64_VARIANT_URLSAFE_NO_PADDING}) {
        if (sodium_base642bin(key.bytes.data(), key.bytes.size(), text.data(), text.size(), nullptr,
                              &len, &end, variant) == 0 &&
            len == kKeyBytes && end == text.data() + text.size()) {
            return make_key(key.bytes);
        }
    }
    return std::nullopt;
}

Key generate_key() {
    ensure_sodium();
    std::array<unsigned char, kKeyBytes> bytes;
    randombytes_buf(bytes.data(), bytes.size());
    Key key = make_key(bytes);
    sodium_memzero(bytes.data(), bytes.size());
    return key;
}

std::string format_key(const Key& key) {
    std::string out(2 * kKeyBytes + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), key.bytes.data(), key.bytes.size());
    out.pop_back();
    return out;
}

const Key* KeyRing::key_for(std::string_view host) const noexcept {
    if (auto it = hosts_.find(host); it != hosts_.end()) return &it->second;
    return shared();
}

KeyRing KeyRing::parse(std::string_view text, std::string_view origin) {
    KeyRing ring;
    std::size_t line_no = 0;
    while (!text.empty()) {
        ++line_no;
        const std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        line = trim(line);
        if (line.empty() || line.front() == '#') continue;
        auto fail = [&](std::string_view what) {
            throw KeyFileError(fmt::format("{}: line {}: {}", origin, line_no, what));
        };
        const std::string_view first = take_word(line);
        const std::string_view second = take_word(line);
        if (!line.empty()) fail("expected 'KEY' or 'HOST KEY', found more words");
        if (second.empty()) {
            const auto key = parse_key(first);
            if (!key) fail("not a key (32 bytes as 64 hex digits or base64)");
            if (ring.shared_) fail("a second shared key (only one line may hold just a key)");
            ring.shared_ = *key;
            continue;
        }
        if (!valid_name(first)) fail(fmt::format("'{}' is not a valid host name", first));
        const auto key = parse_key(second);
        if (!key) fail("not a key (32 bytes as 64 hex digits or base64)");
        if (!ring.hosts_.emplace(std::string(first), *key).second)
            fail(fmt::format("host '{}' has a key already", first));
    }
    if (ring.empty()) throw KeyFileError(fmt::format("{}: holds no key", origin));
    return ring;
}

KeyRing KeyRing::load(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        throw KeyFileError(fmt::format("cannot open key file {}: {}", path, std::strerror(errno)));
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        throw KeyFileError(fmt::format("cannot stat key file {}: {}", path, std::strerror(errno)));
    }
    if (!S_ISREG(st.st_mode)) throw KeyFileError(fmt::format("key file {}: not a file", path));
    if ((st.st_mode & (S_IRWXO | S_IWGRP)) != 0) {
        throw KeyFileError(fmt::format(
            "key file {} has mode {:04o}: it must not be accessible to others nor writable by its "
            "group (chmod 600 {})",
            path, st.st_mode & 07777, path));
    }
    if (static_cast<std::size_t>(st.st_size) > kMaxKeyFileBytes)
        throw KeyFileError(fmt::format("key file {}: larger than 16 MiB", path));
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < text.size()) {
        const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            throw KeyFileError(
                fmt::format("cannot read key file {}: {}", path, std::strerror(errno)));
        }
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    text.resize(got);
    KeyRing ring = parse(text, path);
    sodium_memzero(text.data(), text.size());
    return ring;
}

}  // namespace beat
