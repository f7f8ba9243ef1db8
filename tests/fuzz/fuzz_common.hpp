#pragma once
// What the libFuzzer harnesses share: the input as text, and the rule every harness checks: pki
// may refuse an input with pki::Error (or a library's own exception type where one is documented,
// such as nlohmann's), and must never crash, hang or abort on one. Anything else escaping is a
// finding: it aborts, and libFuzzer keeps the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>

#include "util/error.hpp"

namespace pki::fuzz {

inline std::string_view text(const uint8_t* data, size_t size) { return {reinterpret_cast<const char*>(data), size}; }

template <typename F>
int run(F&& f) {
    try {
        f();
    } catch (const pki::Error&) {
        // a refusal: the expected answer to bad input
    } catch (const std::exception& e) {
        std::fprintf(stderr, "not a pki::Error: %s\n", e.what());
        std::abort();
    }
    return 0;
}

}  // namespace pki::fuzz
