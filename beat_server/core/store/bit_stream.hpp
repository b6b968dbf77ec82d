// Bits packed most significant first into bytes: the writer the chunk codec appends with and the
// bounded reader it decodes with. Pure and header-only, so both inline into the codec's loops.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace beat {

// The 8 bytes at `p` as a big-endian number.
inline std::uint64_t load_big_endian(const std::uint8_t* p) noexcept {
    std::uint64_t v = 0;
    std::memcpy(&v, p, 8);
    if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
    return v;
}

// Writes `v` big-endian into the 8 bytes at `p`.
inline void store_big_endian(std::uint8_t* p, std::uint64_t v) noexcept {
    if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
    std::memcpy(p, &v, 8);
}

// Writes bits into a byte buffer it does not own and grows: the buffer is scratch space, at least
// as long as the bits written (bit_size()), zero past them, so that every write is one 8-byte
// read-modify-write.
class BitWriter {
  public:
    // Writes after the first `bit_size` bits of `buf`, which must be zero past them.
    BitWriter(std::vector<std::uint8_t>& buf, std::size_t bit_size) noexcept
        : buf_(&buf), bits_(bit_size) {}

    // Appends the low `n` bits of `bits` (0 <= n <= 64), the highest of them first.
    void write(std::uint64_t bits, unsigned n) {
        if (n > 56) {
            write(bits >> 32, n - 32);
            n = 32;
        }
        if (n == 0) return;
        const std::size_t first = bits_ / 8;
        if (buf_->size() < first + 8) buf_->resize(std::max(2 * buf_->size(), first + 8));
        // With at most 7 bits already used in the first byte and n <= 56, the bits fit in the
        // 8 bytes from it.
        const unsigned used = bits_ % 8;
        std::uint8_t* p = buf_->data() + first;
        const std::uint64_t word = load_big_endian(p) | (bits & (~std::uint64_t{0} >> (64 - n)))
                                                            << (64 - used - n);
        store_big_endian(p, word);
        bits_ += n;
    }

    std::size_t bit_size() const noexcept { return bits_; }

  private:
    std::vector<std::uint8_t>* buf_;
    std::size_t bits_;
};

// Reads bits from a byte span it does not own, never past its end.
class BitReader {
  public:
    // Reads `bytes` from bit `bit_pos` on.
    BitReader(std::span<const std::uint8_t> bytes, std::size_t bit_pos) noexcept
        : data_(bytes.data()), size_bits_(bytes.size() * 8), pos_(bit_pos) {}

    // Reads `n` bits (0 <= n <= 64), the first the highest, into `out`; false, consuming nothing,
    // when fewer than `n` are left.
    bool read(unsigned n, std::uint64_t& out) noexcept {
        if (pos_ > size_bits_ || n > size_bits_ - pos_) return false;
        if (n > 56) {
            std::uint64_t high = 0, low = 0;
            read(n - 32, high);
            read(32, low);
            out = high << 32 | low;
            return true;
        }
        out = peek(n);
        pos_ += n;
        return true;
    }
    // The next `n` bits (0 <= n <= 56) without consuming them, zero bits past the end.
    std::uint64_t peek(unsigned n) const noexcept {
        if (n == 0) return 0;
        // The (at most 8) bytes holding the bits, most significant first, within the span.
        const std::size_t first = pos_ / 8;
        const std::size_t last = (pos_ + n - 1) / 8;
        std::uint64_t word = 0;
        if (first + 8 <= size_bits_ / 8) {
            word = load_big_endian(data_ + first);
        } else {
            for (std::size_t k = first; k <= last && k < size_bits_ / 8; ++k)
                word |= std::uint64_t{data_[k]} << (56 - 8 * (k - first));
        }
        return (word << (pos_ % 8)) >> (64 - n);
    }
    // Consumes `n` bits, at most those left.
    void skip(unsigned n) noexcept { pos_ += n; }
    std::size_t position() const noexcept { return pos_; }
    std::size_t size() const noexcept { return size_bits_; }

  private:
    const std::uint8_t* data_;
    std::size_t size_bits_;
    std::size_t pos_;
};

}  // namespace beat
