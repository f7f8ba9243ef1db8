#include "util/duration.hpp"

#include <cctype>
#include <ctime>

#include <fmt/format.h>

namespace pki::util {

std::optional<int64_t> parse_duration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    bool all_digits = true;
    for (char c : text) all_digits = all_digits && std::isdigit(static_cast<unsigned char>(c));
    if (all_digits) {
        if (text.size() > 15) return std::nullopt;
        int64_t seconds = std::stoll(std::string(text));
        if (seconds > int64_t{1} << 40) return std::nullopt;  // the same bound as the unit form (found by fuzz_duration)
        return seconds;
    }
    int64_t total = 0;
    size_t i = 0;
    while (i < text.size()) {
        size_t start = i;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
        if (i == start || i - start > 12) return std::nullopt;
        int64_t n = std::stoll(std::string(text.substr(start, i - start)));
        // A fraction, as Go's time.ParseDuration takes it ("1.5h"); the result must be whole seconds.
        int64_t frac = 0, scale = 1;
        if (i < text.size() && text[i] == '.') {
            size_t fstart = ++i;
            while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
            if (i == fstart || i - fstart > 9) return std::nullopt;
            frac = std::stoll(std::string(text.substr(fstart, i - fstart)));
            for (size_t k = fstart; k < i; ++k) scale *= 10;
        }
        std::string_view unit;
        size_t ustart = i;
        while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
        unit = text.substr(ustart, i - ustart);
        int64_t mult;
        if (unit == "s") mult = 1;
        else if (unit == "m") mult = 60;
        else if (unit == "h") mult = 3600;
        else if (unit == "d") mult = 86400;
        else return std::nullopt;
        if (frac * mult % scale != 0) return std::nullopt;
        total += n * mult + frac * mult / scale;
        if (total > int64_t{1} << 40) return std::nullopt;
    }
    return total;
}

std::string format_duration(int64_t seconds) {
    if (seconds == 0) return "0s";
    std::string out;
    if (seconds < 0) {
        out = "-";
        seconds = -seconds;
    }
    int64_t h = seconds / 3600, m = (seconds % 3600) / 60, s = seconds % 60;
    if (h) out += fmt::format("{}h", h);
    if (m) out += fmt::format("{}m", m);
    if (s) out += fmt::format("{}s", s);
    return out;
}

std::optional<int64_t> parse_utc_time(std::string_view text) {
    // YYYY-MM-DDTHH:MM:SSZ
    if (text.size() != 20 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') ||
        text[13] != ':' || text[16] != ':' || (text[19] != 'Z' && text[19] != 'z'))
        return std::nullopt;
    auto num = [&](size_t pos, size_t len) -> int {
        int v = 0;
        for (size_t i = pos; i < pos + len; ++i) {
            if (!std::isdigit(static_cast<unsigned char>(text[i]))) return -1;
            v = v * 10 + (text[i] - '0');
        }
        return v;
    };
    int y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), s = num(17, 2);
    if (y < 1950 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
        return std::nullopt;
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    time_t t = timegm(&tm);
    std::tm back{};
    gmtime_r(&t, &back);
    if (back.tm_mday != d) return std::nullopt;  // e.g. February 30th
    return static_cast<int64_t>(t);
}

std::string format_utc_time(int64_t unix_seconds) {
    time_t t = static_cast<time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                       tm.tm_min, tm.tm_sec);
}

}  // namespace pki::util
