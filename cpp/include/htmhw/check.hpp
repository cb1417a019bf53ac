// The one way the core rejects a bad value: std::invalid_argument reading
// "<field> must be <allowed>; got <value>", which the bindings turn into ValueError.
// Every validator (datapath, crossbar, float pooler, SOM) goes through here so that the
// messages name the field, the range and the value in one format.
#pragma once
#include <cstdint>
#include <string>

namespace htmhw {

[[noreturn]] void fail_field(const std::string& field, const std::string& allowed, const std::string& value);
[[noreturn]] void fail_field(const std::string& field, const std::string& allowed, double value);
[[noreturn]] void fail_field(const std::string& field, const std::string& allowed, std::int64_t value);
[[noreturn]] void fail_field(const std::string& field, const std::string& allowed, std::uint64_t value);
// Every other integer goes through the exact 64-bit forms (not through double).
[[noreturn]] inline void fail_field(const std::string& field, const std::string& allowed, std::uint32_t value) {
    fail_field(field, allowed, static_cast<std::uint64_t>(value));
}
[[noreturn]] inline void fail_field(const std::string& field, const std::string& allowed, std::int32_t value) {
    fail_field(field, allowed, static_cast<std::int64_t>(value));
}
[[noreturn]] inline void fail_field(const std::string& field, const std::string& allowed, float value) {
    fail_field(field, allowed, static_cast<double>(value));
}

// A bound as the messages write it: integers as such, powers of ten beyond them as 1eN
// (1e12, 1e-3), anything else with six significant digits.
std::string bound_text(double x);

// "in [lo, hi]", "in (lo, hi]", ...
std::string range_text(double lo, double hi, bool lo_open = false, bool hi_open = false);

// value finite and in [lo, hi] ((lo, hi] with lo_open), else fail_field with range_text.
void check_in_range(const std::string& field, double value, double lo, double hi, bool lo_open = false);

// Integer value in [lo, hi], else fail_field "an integer in [lo, hi]".
void check_integer_in(const std::string& field, std::uint64_t value, std::uint64_t lo, std::uint64_t hi);

}  // namespace htmhw
