#include "common/utf8.hpp"

namespace beat {

bool valid_utf8(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        const unsigned char c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        int len;
        unsigned char lo = 0x80, hi = 0xbf;  // Allowed range of the second byte.
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            if (c == 0xe0) lo = 0xa0;  // Overlong.
            if (c == 0xed) hi = 0x9f;  // Surrogates.
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            if (c == 0xf0) lo = 0x90;  // Overlong.
            if (c == 0xf4) hi = 0x8f;  // Above U+10FFFF.
        } else {
            return false;
        }
        if (end - p < len) return false;
        if (p[1] < lo || p[1] > hi) return false;
        for (int i = 2; i < len; ++i) {
            if ((p[i] & 0xc0) != 0x80) return false;
        }
        p += len;
    }
    return true;
}

}  // namespace beat
