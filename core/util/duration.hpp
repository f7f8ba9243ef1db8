#pragma once
// Durations as the reference accepts them: "72h", "30m", "45s", "1d", "1h30m", or plain seconds.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pki::util {

std::optional<int64_t> parse_duration(std::string_view text);  // seconds; nullopt when malformed
std::string format_duration(int64_t seconds);                  // "72h", "1h30m", "45s", "0s"

// RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ" <-> Unix seconds.
std::optional<int64_t> parse_utc_time(std::string_view text);
std::string format_utc_time(int64_t unix_seconds);

}  // namespace pki::util
