// Fuzz driver for the binary metric frame decoder (common/binary_frame.hpp) as the --binary port
// feeds it: the bytes a collector sends, handed on read by read.
//
// The input is the byte stream. It is decoded whole, in chunks of sizes derived from its hash,
// and byte by byte.
//
// Invariants:
// - Every call consumes no more than it was given; need_more consumes the whole chunk; after an
//   error every call returns the error again and consumes nothing.
// - The decoder never holds a whole frame's bytes: at most kMaxFrame - 1.
// - A frame has a name of 1 to 255 bytes that put/get accepts as a key, a finite value and a
//   second within put/get's timestamps, and encoding it again gives back exactly the bytes it
//   was decoded from: the frames so far are the stream's prefix, nothing skipped or invented.
// - The frames, where the stream stops and why (an error, or the bytes left waiting) do not
//   depend on how the stream was cut into chunks.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/binary_frame.hpp"
#include "common/protocol.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace beat::fuzz {
namespace {

// One connection: feeds chunks, checks each frame and keeps the frames encoded again.
class Connection {
  public:
    explicit Connection(std::string_view stream) : stream_(stream) {}

    void feed(std::string_view chunk) {
        // Each call consumes a byte or more, or ends the chunk: the loop is bounded by its size.
        const std::size_t max_calls = chunk.size() + 1;
        for (std::size_t calls = 0; calls < max_calls; ++calls) {
            const std::size_t before = chunk.size();
            const FrameDecoder::Step step = decoder_.next(chunk);
            FUZZ_CHECK(chunk.size() <= before);
            FUZZ_CHECK(decoder_.buffered() < kMaxFrame);
            switch (step) {
                case FrameDecoder::Step::need_more:
                    FUZZ_CHECK(chunk.empty() && decoder_.error() == FrameError::none);
                    return;
                case FrameDecoder::Step::error:
                    FUZZ_CHECK(decoder_.error() != FrameError::none);
                    FUZZ_CHECK(to_string(decoder_.error()) != "unknown");
                    check_stuck(chunk);
                    return;
                case FrameDecoder::Step::frame:
                    FUZZ_CHECK(chunk.size() < before);
                    check(decoder_.frame());
                    break;
            }
        }
        FUZZ_CHECK(false);  // The chunk was not used up.
    }

    const std::string& frames() const noexcept { return frames_; }
    FrameError error() const noexcept { return decoder_.error(); }
    std::size_t held() const noexcept { return decoder_.buffered(); }

  private:
    // After an error the decoder answers the error again and takes nothing more.
    void check_stuck(std::string_view chunk) {
        const std::size_t left = chunk.size();
        FUZZ_CHECK(decoder_.next(chunk) == FrameDecoder::Step::error);
        FUZZ_CHECK(chunk.size() == left);
    }

    void check(const MetricFrame& f) {
        FUZZ_CHECK(!f.name.empty() && f.name.size() <= kMaxFrame - kFrameFixed);
        FUZZ_CHECK(valid_key(f.name));
        FUZZ_CHECK(std::isfinite(f.value));
        FUZZ_CHECK(f.second() >= 0 && f.second() <= kMaxTimestamp);
        const std::size_t at = frames_.size();
        encode_frame(f.timestamp_us, f.name, f.value, frames_);
        FUZZ_CHECK(stream_.substr(at, frames_.size() - at) == std::string_view(frames_).substr(at));
    }

    std::string_view stream_;
    FrameDecoder decoder_;
    std::string frames_;  // Every frame so far, encoded again.
};

}  // namespace
}  // namespace beat::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace beat::fuzz;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    std::uint64_t h = fnv1a(input);

    Connection whole(input);
    whole.feed(input);

    Connection chunked(input);
    feed_in_chunks(input, h, 64, [&](std::string_view chunk) { chunked.feed(chunk); });

    Connection bytewise(input);
    for (std::size_t i = 0; i < input.size(); ++i)
        bytewise.feed(input.substr(i, 1));

    for (const Connection* c : {&chunked, &bytewise}) {
        FUZZ_CHECK(c->frames() == whole.frames());
        FUZZ_CHECK(c->error() == whole.error());
        FUZZ_CHECK(c->held() == whole.held());
    }
    // Without an error, the stream is its frames and the start of one more, held back.
    if (whole.error() == beat::FrameError::none)
        FUZZ_CHECK(whole.frames().size() + whole.held() == input.size());
    return 0;
}
