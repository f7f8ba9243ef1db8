// CRL build benchmark (issue 5): a mount with an EC root, N revoked entries written straight into
// the store, then `crl/rotate` through Engine::execute. For each N it reports the wall time of the
// rotation and the peak resident set of the process that did it (a fresh process per N, so the
// figure is the rotation's own and not the fill's).
//
//   pki_bench_crl                       10k, 100k, 1M
//   pki_bench_crl 5000 20000            other sizes
//   KEEP=1 pki_bench_crl                keep the temp state directory (path printed)
//
// Targets: 1M entries in under 5 s and 1 GiB.
#include <openssl/x509.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <spawn.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "api/table.hpp"
#include "engine/engine.hpp"
#include "store/store.hpp"

extern char** environ;

namespace {

using namespace pki;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

api::Response run(engine::Engine& e, api::Op op, std::string path, api::Json data = api::Json::object()) {
    api::Request r;
    r.op = op;
    r.path = std::move(path);
    r.data = std::move(data);
    return e.execute(r);
}

// A serial number in pki's spelling: 20 bytes, colon-separated lower-case hex, first byte < 0x80.
std::string serial_for(uint64_t i) {
    unsigned char b[20];
    uint64_t x = i * 0x9E3779B97F4A7C15ull + 0x1234567;
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

long self_rss_kb() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

// Child mode: rotate the CRLs of `dir` once, print "seconds rss_kb crl_bytes entries".
int rotate_child(const std::string& dir) {
    api::Table table = api::build_table();
    engine::Engine e(engine::EngineOptions{dir, {}, {}}, table);
    auto t0 = Clock::now();
    run(e, api::Op::Read, "pki/crl/rotate");
    double secs = seconds_since(t0);
    long rss = self_rss_kb();
    // Check what was built (after the figures: parsing a big CRL costs memory of its own).
    auto crl = run(e, api::Op::Read, "pki/crl");
    const std::string& der = crl.raw->body;
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    X509_CRL* c = d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size()));
    long entries = -1;
    if (c) {
        auto* revoked = X509_CRL_get_REVOKED(c);
        entries = revoked ? sk_X509_REVOKED_num(revoked) : 0;
        X509_CRL_free(c);
    }
    fmt::print("{:.3f} {} {} {}\n", secs, rss, der.size(), entries);
    return 0;
}

struct ChildResult {
    double seconds = 0;
    long rss_kb = 0;       // the child's own figure, right after the rotation
    long crl_bytes = 0;
    long entries = 0;
    double process_seconds = 0;
};

ChildResult spawn_rotate(const std::string& self, const std::string& dir) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::string mode = "--rotate";
    char* argv[] = {const_cast<char*>(self.c_str()), mode.data(), const_cast<char*>(dir.c_str()), nullptr};
    pid_t pid;
    auto t0 = Clock::now();
    if (posix_spawn(&pid, self.c_str(), &fa, nullptr, argv, environ) != 0) throw std::runtime_error("spawn");
    close(fds[1]);
    std::string out;
    char buf[256];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    int status = 0;
    rusage ru{};
    wait4(pid, &status, 0, &ru);
    ChildResult r;
    r.process_seconds = seconds_since(t0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        std::sscanf(out.c_str(), "%lf %ld %ld %ld", &r.seconds, &r.rss_kb, &r.crl_bytes, &r.entries) != 4)
        throw std::runtime_error("rotate child failed: " + out);
    r.rss_kb = std::max(r.rss_kb, 0L);
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        if (argc == 3 && std::string(argv[1]) == "--rotate") return rotate_child(argv[2]);

        std::vector<uint64_t> sizes;
        for (int i = 1; i < argc; ++i) sizes.push_back(std::strtoull(argv[i], nullptr, 10));
        if (sizes.empty()) sizes = {10000, 100000, 1000000};
        std::sort(sizes.begin(), sizes.end());

        char tmpl[] = "/tmp/pki-bench-crl-XXXXXX";
        if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
        std::filesystem::path dir = std::filesystem::path(tmpl) / "state";
        std::string self = std::filesystem::read_symlink("/proc/self/exe").string();

        std::string issuer_id;
        {
            api::Table table = api::build_table();
            engine::Engine e(engine::EngineOptions{dir, {}, {}}, table);
            run(e, api::Op::Write, "sys/mounts/pki", {{"type", "pki"}});
            auto r = run(e, api::Op::Write, "pki/root/generate/internal",
                         {{"common_name", "Bench Root"}, {"key_type", "ec"}, {"key_bits", 256}, {"ttl", "87600h"}});
            issuer_id = r.data["issuer_id"].get<std::string>();
        }

        fmt::print("CRL rotation with N revoked entries (EC P-256 root; one process per N)\n");
        fmt::print("{:>10} {:>10} {:>12} {:>12} {:>12} {:>12}\n", "N", "fill s", "rotate s", "process s", "peak RSS MiB", "CRL MiB");
        uint64_t have = 0;
        int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        bool ok = true;
        for (uint64_t n : sizes) {
            auto t0 = Clock::now();
            {
                std::vector<std::string> warnings;
                auto env = store::Env::open(dir, false, warnings);
                const uint64_t batch = 50000;
                while (have < n) {
                    uint64_t end = std::min(n, have + batch);
                    env.write([&](store::Txn& txn) {
                        for (uint64_t i = have; i < end; ++i)
                            txn.put("pki/revoked/" + serial_for(i),
                                    fmt::format("v1 {} {} {}", now - static_cast<int64_t>(i % 86400), now + 10 * 365 * 86400LL, issuer_id));
                    });
                    have = end;
                }
            }
            double fill = seconds_since(t0);
            auto r = spawn_rotate(self, dir.string());
            fmt::print("{:>10} {:>10.2f} {:>12.3f} {:>12.3f} {:>12.1f} {:>12.1f}\n", n, fill, r.seconds, r.process_seconds, r.rss_kb / 1024.0,
                       r.crl_bytes / 1048576.0);
            if (r.entries != static_cast<long>(n)) {
                fmt::print("  ERROR: the CRL lists {} entries, expected {}\n", r.entries, n);
                ok = false;
            }
            if (n == 1000000) {
                bool time_ok = r.seconds < 5.0, mem_ok = r.rss_kb < 1024L * 1024;
                fmt::print("  target 1M: rotate < 5 s: {}; peak RSS < 1 GiB: {}\n", time_ok ? "met" : "MISSED", mem_ok ? "met" : "MISSED");
            }
            std::fflush(stdout);
        }
        if (std::getenv("KEEP")) fmt::print("state kept in {}\n", tmpl);
        else std::filesystem::remove_all(tmpl);
        return ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pki_bench_crl: %s\n", e.what());
        return 3;
    }
}
