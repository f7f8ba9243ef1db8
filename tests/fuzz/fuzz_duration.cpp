// Durations and times as every ttl, max_ttl, expiry and not_after field takes them, and their
// round trip through the formatter.
#include "fuzz_common.hpp"
#include "util/duration.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return pki::fuzz::run([&] {
        auto in = pki::fuzz::text(data, size);
        if (auto d = pki::util::parse_duration(in)) {
            auto again = pki::util::parse_duration(pki::util::format_duration(*d));
            if (!again || *again != *d) std::abort();  // what pki prints, pki reads back the same
        }
        if (auto t = pki::util::parse_utc_time(in)) pki::util::format_utc_time(*t);
    });
}
