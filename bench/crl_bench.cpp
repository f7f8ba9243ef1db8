// Revocation benchmark (issues 5 and 15): a mount with an EC P-256 root and N revoked entries
// written straight into the store. For each N it measures, side by side in one run:
//   - the complete CRL build (crl/rotate) in a fresh process: wall time and peak RSS;
//   - one `pki write pki/revoke` process (the real binary) with auto_rebuild off, where the
//     revoke re-signs the whole CRL, and with auto_rebuild on, where it only marks it stale;
// and, at the largest N, the delta CRL of 1,000 revocations over that base (crl/rotate-delta in a
// fresh process).
//
//   pki_bench_crl PKI [SMALL LARGE]     N default: 10 and 1,000,000 (two states side by side)
//   KEEP=1 pki_bench_crl build/pki      keep the temp state directories (path printed)
//
// Targets (issue 15): revoke with auto_rebuild within 1.2x between 10 and 1M entries and under
// 10 ms; complete CRL of 1M under 2 s and 512 MiB; delta of 1,000 over 1M under 50 ms.
#include <openssl/x509.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "api/service.hpp"
#include "api/table.hpp"
#include "bench_common.hpp"
#include "store/codec.hpp"
#include "store/store.hpp"

namespace {

using namespace pki;
using bench::Clock;
using bench::run;
using bench::seconds_since;

// The peak resident set of this process's own memory (VmHWM): getrusage's ru_maxrss would carry
// the parent's over posix_spawn's vfork.
long self_rss_kb() {
    std::FILE* f = std::fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    while (std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
    std::fclose(f);
    return kb;
}

// Child mode: read `path` (crl/rotate or crl/rotate-delta) once, then print
// "seconds rss_kb crl_bytes entries" of the CRL it built (`crl_path`).
int child(const std::string& dir, const std::string& path, const std::string& crl_path) {
    api::Table table = api::build_table();
    auto svc = bench::service(dir, table);
    auto t0 = Clock::now();
    run(*svc, api::Op::Read, path);
    double secs = seconds_since(t0);
    long rss = self_rss_kb();
    // Check what was built (after the figures: parsing a big CRL costs memory of its own).
    auto crl = run(*svc, api::Op::Read, crl_path);
    const std::string& der = crl.raw->body;
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    X509_CRL* c = d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size()));
    long entries = -1;
    if (c) {
        auto* revoked = X509_CRL_get_REVOKED(c);
        entries = revoked ? sk_X509_REVOKED_num(revoked) : 0;
        X509_CRL_free(c);
    }
    fmt::print("{:.4f} {} {} {}\n", secs, rss, der.size(), entries);
    return 0;
}

struct ChildResult {
    double seconds = 0;
    long rss_kb = 0;
    long crl_bytes = 0;
    long entries = 0;
};

ChildResult spawn_child(const std::string& self, const std::string& dir, const std::string& path, const std::string& crl_path) {
    auto p = bench::run_process({self, "--child", dir, path, crl_path}, nullptr, true);
    ChildResult r;
    if (!WIFEXITED(p.status) || WEXITSTATUS(p.status) != 0 ||
        std::sscanf(p.out.c_str(), "%lf %ld %ld %ld", &r.seconds, &r.rss_kb, &r.crl_bytes, &r.entries) != 4)
        throw std::runtime_error("child failed: " + p.out);
    return r;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

// `count` revocations, each a whole `pki write pki/revoke` process; the median wall time in ms.
double revoke_processes(const std::string& pki, const std::string& dir, std::vector<std::string>& serials, size_t count) {
    std::vector<double> ms;
    std::string env_dir = "PKI_STATE_DIR=" + dir;
    char* env[] = {env_dir.data(), nullptr};
    for (size_t i = 0; i < count; ++i) {
        if (serials.empty()) throw std::runtime_error("out of certificates to revoke");
        std::string s = serials.back();
        serials.pop_back();
        auto p = bench::run_process({pki, "write", "pki/revoke", "serial_number=" + s}, env, false);
        if (!WIFEXITED(p.status) || WEXITSTATUS(p.status) != 0) throw std::runtime_error("pki write pki/revoke failed for " + s);
        ms.push_back(p.seconds * 1000);
    }
    return median(ms);
}

// A state with a mount, an EC P-256 root, a role and `certs` issued certificates (their serials).
std::vector<std::string> set_up(const std::filesystem::path& dir, const api::Table& table, size_t certs, std::string& issuer_id) {
    std::vector<std::string> serials;
    auto svc = bench::service(dir, table);
    run(*svc, api::Op::Write, "sys/mounts/pki", {{"type", "pki"}});
    auto r = run(*svc, api::Op::Write, "pki/root/generate/internal",
                 {{"common_name", "Bench Root"}, {"key_type", "ec"}, {"key_bits", 256}, {"ttl", "87600h"}});
    issuer_id = r.data["issuer_id"].get<std::string>();
    run(*svc, api::Op::Write, "pki/roles/web", {{"allow_any_name", true}, {"key_type", "ec"}, {"ttl", "720h"}});
    svc->atomically([&](api::Unit& u) {
        for (size_t i = 0; i < certs; ++i)
            serials.push_back(u.execute({api::Op::Write, "pki/issue/web", {{"common_name", fmt::format("h{}.example.com", i)}}})
                                  .data["serial_number"]
                                  .get<std::string>());
    });
    return serials;
}

// `n` synthetic revoked entries written straight into the store, in 50k-entry transactions.
void fill(const std::filesystem::path& dir, uint64_t n, const std::string& issuer_id) {
    int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    auto env = store::open_lmdb(dir, false);
    for (uint64_t have = 0; have < n;) {
        uint64_t end = std::min(n, have + 50000);
        env->write([&](store::Txn& txn) {
            for (uint64_t i = have; i < end; ++i)
                txn.put("pki/revoked/" + bench::serial_for(i, 0x1234567),
                        store::encode(nlohmann::json::array({now - static_cast<int64_t>(i % 86400), now + 10 * 365 * 86400LL, issuer_id})));
        });
        have = end;
    }
}

}  // namespace

int main(int argc, char** argv) {
    try {
        if (argc == 5 && std::string(argv[1]) == "--child") return child(argv[2], argv[3], argv[4]);
        if (argc < 2 || argc > 4) throw std::runtime_error("usage: pki_bench_crl PKI [SMALL LARGE]");
        std::string pki = std::filesystem::absolute(argv[1]).string();
        uint64_t small = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 10;
        uint64_t large = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1000000;

        char tmpl[] = "/tmp/pki-bench-crl-XXXXXX";
        if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
        std::filesystem::path a = std::filesystem::path(tmpl) / "small", b = std::filesystem::path(tmpl) / "large";
        std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
        api::Table table = api::build_table();

        // Two states side by side, alike but for the revoked entries; their revocations alternate,
        // so the machine's noise falls on both alike. Real certificates to revoke: 7 per state
        // today, 31 per state with auto_rebuild, and 1,000 for the delta.
        constexpr size_t kToday = 7, kAuto = 31, kDelta = 1000;
        std::string ia, ib;
        auto t_setup = Clock::now();
        auto sa = set_up(a, table, kToday + kAuto, ia);
        auto sb = set_up(b, table, kToday + kAuto + kDelta, ib);
        fill(a, small, ia);
        fill(b, large, ib);
        fmt::print("setup: two states, {} and {} revoked entries, in {:.1f} s\n", small, large, seconds_since(t_setup));
        auto config = [&](const std::filesystem::path& dir, bool auto_rebuild, bool delta) {
            auto svc = bench::service(dir, table);
            run(*svc, api::Op::Write, "pki/config/crl", {{"auto_rebuild", auto_rebuild}, {"enable_delta", delta}});
        };
        auto alternate = [&](size_t count, std::vector<double>& ma, std::vector<double>& mb) {
            for (size_t i = 0; i < count; ++i) {
                ma.push_back(revoke_processes(pki, a.string(), sa, 1));
                mb.push_back(revoke_processes(pki, b.string(), sb, 1));
            }
        };
        bool ok = true;

        config(a, false, false);
        config(b, false, false);
        // Three builds, each in a fresh process; the median is reported (the first pays for the
        // fill's pages still being written back).
        std::vector<ChildResult> builds;
        for (int i = 0; i < 3; ++i) builds.push_back(spawn_child(self, b.string(), "pki/crl/rotate", "pki/crl"));
        std::vector<double> build_s;
        for (const auto& r : builds) build_s.push_back(r.seconds);
        fmt::print("complete CRL builds: {:.3f} s, {:.3f} s, {:.3f} s\n", build_s[0], build_s[1], build_s[2]);
        std::sort(builds.begin(), builds.end(), [](const ChildResult& x, const ChildResult& y) { return x.seconds < y.seconds; });
        ChildResult full = builds[1];
        for (const auto& r : builds) full.rss_kb = std::max(full.rss_kb, r.rss_kb);
        if (full.entries < static_cast<long>(large)) {
            fmt::print("  ERROR: the CRL lists {} entries, expected at least {}\n", full.entries, large);
            ok = false;
        }
        fmt::print("complete CRL of {} entries: built in {:.3f} s (median), peak RSS {:.1f} MiB (largest), {:.1f} MiB of DER\n", full.entries,
                   full.seconds, full.rss_kb / 1024.0, full.crl_bytes / 1048576.0);

        std::vector<double> today_a, today_b, auto_a, auto_b;
        alternate(kToday, today_a, today_b);
        config(a, true, false);
        config(b, true, false);
        alternate(kAuto, auto_a, auto_b);
        fmt::print("\none `pki write pki/revoke` process, median ms ({} and {} runs, alternating between the states)\n", kToday, kAuto);
        fmt::print("  {:<28} {:>12} {:>12} {:>8}\n", "", fmt::format("N={}", small), fmt::format("N={}", large), "ratio");
        fmt::print("  {:<28} {:>12.1f} {:>12.1f} {:>7.2f}x\n", "auto_rebuild off (today)", median(today_a), median(today_b),
                   median(today_b) / median(today_a));
        fmt::print("  {:<28} {:>12.1f} {:>12.1f} {:>7.2f}x\n", "auto_rebuild on", median(auto_a), median(auto_b), median(auto_b) / median(auto_a));

        // The delta of 1,000 revocations over the large base.
        config(b, true, true);  // rebuilds the complete CRL: the delta starts empty
        {
            auto svc = bench::service(b, table);
            svc->atomically([&](api::Unit& u) {
                for (size_t i = 0; i < kDelta; ++i) {
                    u.execute({api::Op::Write, "pki/revoke", {{"serial_number", sb.back()}}});
                    sb.pop_back();
                }
            });
        }
        auto delta = spawn_child(self, b.string(), "pki/crl/rotate-delta", "pki/crl/delta");
        fmt::print("\ndelta CRL over N = {}: {} entries, built in {:.1f} ms (peak RSS {:.1f} MiB, {:.1f} KiB)\n", large, delta.entries,
                   delta.seconds * 1000, delta.rss_kb / 1024.0, delta.crl_bytes / 1024.0);
        if (delta.entries != static_cast<long>(kDelta)) {
            fmt::print("  ERROR: the delta lists {} entries, expected {}\n", delta.entries, kDelta);
            ok = false;
        }

        double ratio = median(auto_b) / median(auto_a);
        fmt::print("\ntargets: revoke with auto_rebuild {:.2f}x (<= 1.2x) and {:.1f} ms (< 10 ms): {}\n", ratio, median(auto_b),
                   ratio <= 1.2 && median(auto_b) < 10 ? "met" : "MISSED");
        fmt::print("         complete CRL of {}: {:.2f} s (< 2 s), {:.0f} MiB (< 512 MiB): {}\n", large, full.seconds, full.rss_kb / 1024.0,
                   full.seconds < 2 && full.rss_kb < 512 * 1024 ? "met" : "MISSED");
        fmt::print("         delta of {}: {:.1f} ms (< 50 ms): {}\n", kDelta, delta.seconds * 1000, delta.seconds < 0.05 ? "met" : "MISSED");
        if (std::getenv("KEEP")) fmt::print("state kept in {}\n", tmpl);
        else std::filesystem::remove_all(tmpl);
        return ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pki_bench_crl: %s\n", e.what());
        return 3;
    }
}
