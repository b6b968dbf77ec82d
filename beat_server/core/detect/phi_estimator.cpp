#include "beat_server/core/detect/phi_estimator.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace beat {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
// Beyond 9 deviations a beat is surely due (or surely not): P(Z > 9) is about 1e-19.
constexpr double kFar = 9;
// What the sum may skip: a beat more than 6 deviations from due adds under 1e-9 to phi, and one
// 7.5 deviations overdue is as good as lost (P(Z > 7.5) = 3e-14, below any loss rate that
// matters) unless the loss rate is 0.
constexpr double kNotDue = -6;
constexpr double kSurelyDue = 7.5;
// With loss <= kMaxLoss each surely missing beat adds at least 0.3 to phi, so a threshold of 16
// is reached within 54 beats.
constexpr int kMaxTerms = 64;
// -ln of the chance of a stall (10^-kStallPhi) and of no stall, as the two parts of phi add them.
constexpr double kStallLn = kStallPhi * std::numbers::ln10;
const double kNoStallLn = -std::log1p(-std::pow(10.0, -kStallPhi));

// P(Z > z) for a standard normal Z, accurate far into the tail.
double upper_tail(double z) noexcept {
    return 0.5 * std::erfc(z / std::numbers::sqrt2);
}

double density(double z) noexcept {
    return std::exp(-0.5 * z * z) * (std::numbers::inv_sqrtpi / std::numbers::sqrt2);
}

// The z with P(Z < z) = p, for 0 < p < 1: Acklam's rational approximation (relative error below
// 1.2e-9), good enough for a first guess that Newton steps then refine.
double inverse_lower_tail(double p) noexcept {
    static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                   -2.759285104469687e+02, 1.383577518672690e+02,
                                   -3.066479806614716e+01, 2.506628277459239e+00};
    static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                   -1.556989798598866e+02, 6.680131188771972e+01,
                                   -1.328068155288572e+01};
    static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                   -2.400758277161838e+00, -2.549732539343734e+00,
                                   4.374664141464968e+00,  2.938163982698783e+00};
    static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                   2.445134137142996e+00, 3.754408661907416e+00};
    constexpr double low = 0.02425;
    auto tail = [&](double q) {
        const double r = std::sqrt(-2 * std::log(q));
        return (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) /
               ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1);
    };
    if (p < low) return tail(p);
    if (p > 1 - low) return -tail(1 - p);
    const double q = p - 0.5;
    const double r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

struct PhiAndSlope {
    double phi = 0;
    double slope = 0;  // d phi / d elapsed, per millisecond.
};

// -ln P(no beat heard by elapsed_ms) when beat j is due at shift_ms + j * mean, and its slope.
PhiAndSlope unheard(const PhiModel& m, double elapsed_ms, double shift_ms) noexcept {
    PhiAndSlope r;
    for (int j = 1; j <= kMaxTerms; ++j) {
        // Beat 1 is lost with the loss rate; a later one, missing after a missing beat, with the
        // chance that a loss follows a loss if that is higher (bursts).
        const double q = j == 1 ? m.loss : std::max(m.loss, m.burst);
        // A beat that is surely due and missing adds what its loss costs: -ln(q).
        const double missing = q > 0 ? -std::log(q) : kInfinity;
        const double surely_due = q > 0 ? kSurelyDue : kFar;
        const double sd = m.stddev_ms * std::sqrt(static_cast<double>(j));
        const double z = (elapsed_ms - shift_ms - j * m.mean_ms) / sd;
        // z falls as j grows, so no later beat is due either (bar terms below 1e-9 when the pause
        // dwarfs the interval).
        if (z < kNotDue) break;
        if (z > surely_due) {
            r.phi += missing;
            continue;
        }
        const double p = q + (1 - q) * upper_tail(z);
        r.phi -= std::log(p);
        r.slope += (1 - q) * density(z) / (sd * p);
    }
    return r;
}

// -ln of the sum of two chances given as -ln: -ln(e^-a + e^-b), and the slope weighted to match.
PhiAndSlope either(const PhiAndSlope& a, const PhiAndSlope& b) noexcept {
    if (std::isinf(a.phi) && std::isinf(b.phi)) return {kInfinity, 0};
    const PhiAndSlope& likelier = a.phi <= b.phi ? a : b;
    const PhiAndSlope& rarer = a.phi <= b.phi ? b : a;
    const double ratio = std::exp(likelier.phi - rarer.phi);  // In [0, 1].
    const double w = 1 / (1 + ratio);                         // The likelier one's share.
    return {likelier.phi - std::log1p(ratio), w * likelier.slope + (1 - w) * rarer.slope};
}

PhiAndSlope evaluate(const PhiModel& m, double elapsed_ms) noexcept {
    PhiAndSlope r = unheard(m, elapsed_ms, 0);
    if (m.pause_ms > 0) {
        // No stall (1 - s) or a stall (s = 10^-kStallPhi), so that phi starts at 0.
        PhiAndSlope stalled = unheard(m, elapsed_ms, m.pause_ms);
        stalled.phi += kStallLn;
        r.phi += kNoStallLn;
        r = either(r, stalled);
    }
    return {r.phi / std::numbers::ln10, r.slope / std::numbers::ln10};
}

// Where phi of the beats due at shift + j * mean alone reaches `threshold`, taking the beats
// before the crossing as surely missing (each adds -log10(q)) and those after it as not due at
// all, which is close whenever the deviation is well below the interval; beat `j` then supplies
// the rest of the threshold.
double first_guess(const PhiModel& m, double threshold, double shift_ms) noexcept {
    int j = 1;
    double rest = threshold;
    double q = m.loss;  // Beat j's.
    if (m.loss > 0) {
        const double first = -std::log10(m.loss);
        if (threshold > first) {
            q = std::max(m.loss, m.burst);
            const double next = -std::log10(q);
            const int full =
                std::min(1 + static_cast<int>((threshold - first) / next), kMaxTerms - 1);
            j = full + 1;
            rest = threshold - first - (full - 1) * next;
        }
    }
    const double tail = (std::pow(10.0, -rest) - q) / (1 - q);
    const double z = tail <= 0 ? kFar : tail >= 1 ? -kFar : -inverse_lower_tail(tail);
    const double t =
        shift_ms + j * m.mean_ms + std::clamp(z, -kFar, kFar) * m.stddev_ms * std::sqrt(j);
    return std::max(t, 0.0);
}

}  // namespace

double phi(const PhiModel& m, double elapsed_ms) noexcept {
    return std::max(0.0, evaluate(m, elapsed_ms).phi);  // Not -0 from rounding at the start.
}

double phi_crossing_ms(const PhiModel& m, double threshold) noexcept {
    // phi is at most either part's (the one without a stall, and the stalled one plus
    // kStallPhi), so the crossing is no earlier than the later of the two parts' crossings.
    double t = first_guess(m, threshold, 0);
    if (m.pause_ms > 0 && threshold > kStallPhi)
        t = std::max(t, first_guess(m, threshold - kStallPhi, m.pause_ms));

    // Newton steps, kept inside the bracket [lo, hi] that every evaluation narrows.
    double lo = 0;
    double hi = kInfinity;
    for (int step = 0; step < 100; ++step) {
        const PhiAndSlope e = evaluate(m, t);
        if (e.phi >= threshold) {
            hi = t;
        } else {
            lo = t;
        }
        if (hi - lo <= 0.5) return hi;
        double next = e.slope > 0 && std::isfinite(e.phi)
                          ? t + (threshold - e.phi) / e.slope
                          : std::numeric_limits<double>::quiet_NaN();
        // phi bends on the scale of a deviation, so a Newton step s lands within about s^2 / sd
        // of the crossing: a step within sqrt(sd / 20) is taken as the last.
        const double close = std::max(0.25, std::sqrt(0.05 * m.stddev_ms));
        if (std::abs(next - t) < close && next > lo && next < hi) return next;
        if (!(next > lo && next < hi)) next = std::isfinite(hi) ? (lo + hi) / 2 : lo + m.mean_ms;
        t = next;
    }
    return std::isfinite(hi) ? hi : t;
}

void PhiEstimator::record(double gap_ms, std::uint64_t lost) noexcept {
    const auto sample = static_cast<float>(gap_ms / (static_cast<double>(lost) + 1));
    if (size_ == kWindow) {
        const double old = ring_[next_];
        sum_ -= old;
        sum_sq_ -= old * old;
    } else {
        ++size_;
    }
    ring_[next_] = sample;
    sum_ += sample;
    sum_sq_ += static_cast<double>(sample) * sample;
    if (++next_ == kWindow) {
        next_ = 0;
        sum_ = sum_sq_ = 0;
        for (std::uint32_t i = 0; i < size_; ++i) {
            sum_ += ring_[i];
            sum_sq_ += static_cast<double>(ring_[i]) * ring_[i];
        }
    }
}

void PhiEstimator::clear() noexcept {
    size_ = next_ = 0;
    sum_ = sum_sq_ = 0;
}

double PhiEstimator::mean_ms() const noexcept {
    return size_ == 0 ? 0 : sum_ / size_;
}

double PhiEstimator::stddev_ms() const noexcept {
    if (size_ < 2) return 0;
    const double mean = mean_ms();
    return std::sqrt(std::max(0.0, sum_sq_ / size_ - mean * mean));
}

PhiModel PhiEstimator::model(std::uint32_t interval_ms, double loss, double burst,
                             const PhiSettings& s) const noexcept {
    const double interval = interval_ms;
    PhiModel m;
    const bool measured = size_ >= s.warmup && size_ > 0;
    m.mean_ms = std::max(measured ? mean_ms() : interval, 1.0);
    const double floor = s.min_stddev_intervals * interval;
    // A deviation above the mean says the normal model no longer fits; the cap keeps it usable.
    m.stddev_ms = std::min(std::max(measured ? stddev_ms() : 0, floor), std::max(m.mean_ms, floor));
    m.loss = std::clamp(loss, 0.0, kMaxLoss);
    m.burst = std::clamp(burst, 0.0, kMaxLoss);
    m.pause_ms = s.pause_intervals * interval;
    return m;
}

}  // namespace beat
