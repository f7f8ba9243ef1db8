#pragma once
// What the C++ benchmarks share: timing, a request through the service, synthetic serial numbers
// in pki's spelling, and running a process with its wall time and peak RSS.
#include <sys/resource.h>
#include <sys/wait.h>
#include <spawn.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "api/request.hpp"
#include "api/service.hpp"
#include "store/store.hpp"

extern char** environ;

namespace pki::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A service over the state directory `dir`.
inline std::unique_ptr<api::Service> service(const std::string& dir, const api::Table& table) {
    api::ServiceParts parts;
    parts.backend = store::open_lmdb(dir, false);
    parts.table = &table;
    return std::make_unique<api::Service>(std::move(parts));
}

inline api::Response run(const api::Service& e, api::Op op, std::string path, api::Json data = api::Json::object()) {
    api::Request r;
    r.op = op;
    r.path = std::move(path);
    r.data = std::move(data);
    return e.execute(r);
}

// Serial number `i` as pki spells it: 20 bytes, colon-separated lower-case hex, first byte below
// 0x80. The first 12 bytes are a hash of `i` and `salt` (so keys spread over the B-tree as random
// serials do), the last 8 are `i` itself (so they never collide).
inline std::string serial_for(uint64_t i, uint64_t salt) {
    unsigned char b[20];
    uint64_t x = i * 0x9E3779B97F4A7C15ull + salt;
    for (int k = 0; k < 12; ++k) {
        x ^= x >> 29;
        x *= 0xBF58476D1CE4E5B9ull;
        b[k] = static_cast<unsigned char>(x >> 32);
    }
    for (int k = 0; k < 8; ++k) b[12 + k] = static_cast<unsigned char>(i >> (8 * (7 - k)));
    b[0] = (b[0] & 0x7f) | 0x10;
    std::string s;
    s.reserve(59);
    static const char* hex = "0123456789abcdef";
    for (int k = 0; k < 20; ++k) {
        if (k) s += ':';
        s += hex[b[k] >> 4];
        s += hex[b[k] & 15];
    }
    return s;
}

struct Proc {
    int status = 0;
    double seconds = 0;  // wall time from spawn to exit
    long rss_kb = 0;     // peak resident set (wait4)
    std::string out;     // stdout, unless discarded
    size_t out_bytes = 0;
};

// Run args[0] with `env` (nullptr: this process's environment); stdout through a pipe, kept when
// `keep_output`, counted always.
inline Proc run_process(const std::vector<std::string>& args, char** env, bool keep_output) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    pid_t pid;
    auto t0 = Clock::now();
    int spawned = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), env ? env : environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (spawned != 0) {
        close(fds[0]);
        throw std::runtime_error("cannot run " + args[0]);
    }
    Proc p;
    char buf[1 << 16];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) {
        p.out_bytes += static_cast<size_t>(n);
        if (keep_output) p.out.append(buf, static_cast<size_t>(n));
    }
    close(fds[0]);
    rusage ru{};
    wait4(pid, &p.status, 0, &ru);
    p.seconds = seconds_since(t0);
    p.rss_kb = ru.ru_maxrss;
    return p;
}

}  // namespace pki::bench
