// The one thread-splitting primitive of htmhw (core and bindings).
#pragma once
#include <algorithm>
#include <cstddef>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace htmhw {

// f(begin, end) over [0, count) in `threads` contiguous chunks, chunk k =
// [count k / threads, count (k + 1) / threads); the calling thread runs chunk 0 and one
// std::thread runs each other chunk. The first worker exception is rethrown after join.
// Chunks change who computes an item, never what it computes.
template <class F>
void parallel_for(std::size_t count, unsigned threads, F f) {
    if (threads <= 1 || count < 2) {
        f(std::size_t{0}, count);
        return;
    }
    threads = static_cast<unsigned>(std::min<std::size_t>(threads, count));
    std::vector<std::thread> pool;
    std::vector<std::exception_ptr> errors(threads);
    for (unsigned k = 1; k < threads; ++k)
        pool.emplace_back([&, k] {
            try {
                f(count * k / threads, count * (k + 1) / threads);
            } catch (...) {
                errors[k] = std::current_exception();
            }
        });
    try {
        f(0, count / threads);
    } catch (...) {
        errors[0] = std::current_exception();
    }
    for (auto& t : pool) t.join();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
}

// The most threads a caller may ask for: far above any core count this runs on, low enough that a
// mistyped count fails instead of starting millions of threads. Python reads it as _core.MAX_THREADS.
inline constexpr unsigned kMaxThreads = 1024;

// A thread count from a caller: in [1, kMaxThreads], else std::invalid_argument.
inline unsigned checked_threads(long long threads) {
    if (threads < 1 || threads > static_cast<long long>(kMaxThreads))
        throw std::invalid_argument("n_threads must be an integer in [1, " + std::to_string(kMaxThreads) +
                                    "]; got " + std::to_string(threads));
    return static_cast<unsigned>(threads);
}

}  // namespace htmhw
