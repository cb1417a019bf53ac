#include "htmhw/check.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace htmhw {
namespace {

template <class T>
[[noreturn]] void fail_streamed(const std::string& field, const std::string& allowed, const T& value) {
    std::ostringstream os;
    os << field << " must be " << allowed << "; got " << value;
    throw std::invalid_argument(os.str());
}

}  // namespace

void fail_field(const std::string& field, const std::string& allowed, const std::string& value) {
    fail_streamed(field, allowed, value);
}
void fail_field(const std::string& field, const std::string& allowed, double value) {
    fail_streamed(field, allowed, value);
}
void fail_field(const std::string& field, const std::string& allowed, std::int64_t value) {
    fail_streamed(field, allowed, value);
}
void fail_field(const std::string& field, const std::string& allowed, std::uint64_t value) {
    fail_streamed(field, allowed, value);
}

std::string bound_text(double x) {
    if (x == std::floor(x) && std::fabs(x) < 1e6) return std::to_string(static_cast<long long>(x));
    if (x > 0) {
        const int e = static_cast<int>(std::lround(std::log10(x)));
        if (std::pow(10.0, e) == x) return "1e" + std::to_string(e);
    }
    std::ostringstream os;
    os << x;
    return os.str();
}

std::string range_text(double lo, double hi, bool lo_open, bool hi_open) {
    return std::string("in ") + (lo_open ? "(" : "[") + bound_text(lo) + ", " + bound_text(hi) + (hi_open ? ")" : "]");
}

void check_in_range(const std::string& field, double value, double lo, double hi, bool lo_open) {
    const bool ok = std::isfinite(value) && (lo_open ? value > lo : value >= lo) && value <= hi;
    if (!ok) fail_field(field, range_text(lo, hi, lo_open), value);
}

void check_integer_in(const std::string& field, std::uint64_t value, std::uint64_t lo, std::uint64_t hi) {
    if (value < lo || value > hi)
        fail_field(field, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", value);
}

}  // namespace htmhw
