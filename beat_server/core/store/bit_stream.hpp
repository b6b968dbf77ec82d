// Bits packed most significant first into bytes: the writer the chunk codec appends with and the
// bounded reader it decodes with. Pure and header-only, so both inline into the codec's loops.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace beat {

// Appends bits to a byte vector it does not own; the unused low bits of the last byte are zero.
class BitWriter {
  public:
    // Writes after the `bit_size` bits already in `out` (whose unused bits must be zero).
    BitWriter(std::vector<std::uint8_t>& out, std::size_t bit_size) noexcept
        : out_(&out), bits_(bit_size) {}

    // Appends the low `n` bits of `bits` (0 <= n <= 64), the highest of them first.
    void write(std::uint64_t bits, unsigned n) {
        while (n > 0) {
            const unsigned used = bits_ % 8;
            if (used == 0) out_->push_back(0);
            const unsigned take = n < 8 - used ? n : 8 - used;
            const auto chunk = static_cast<std::uint8_t>((bits >> (n - take)) & ((1u << take) - 1));
            out_->back() = static_cast<std::uint8_t>(out_->back() | (chunk << (8 - used - take)));
            bits_ += take;
            n -= take;
        }
    }
    std::size_t bit_size() const noexcept { return bits_; }

  private:
    std::vector<std::uint8_t>* out_;
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
        std::uint64_t v = 0;
        while (n > 0) {
            const unsigned used = pos_ % 8;
            const unsigned take = n < 8 - used ? n : 8 - used;
            const unsigned byte = data_[pos_ / 8];
            v = (v << take) | ((byte >> (8 - used - take)) & ((1u << take) - 1));
            pos_ += take;
            n -= take;
        }
        out = v;
        return true;
    }
    // Reads one bit; false at the end.
    bool read_bit(bool& out) noexcept {
        std::uint64_t b = 0;
        if (!read(1, b)) return false;
        out = b != 0;
        return true;
    }
    std::size_t position() const noexcept { return pos_; }
    std::size_t size() const noexcept { return size_bits_; }

  private:
    const std::uint8_t* data_;
    std::size_t size_bits_;
    std::size_t pos_;
};

}  // namespace beat
