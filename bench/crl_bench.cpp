// Revocation benchmark (issues 5 and 15): a mount with an EC P-256 root and N revoked entries
// written straight into the store. For each N it measures, side by side in one run:
//   - the complete CRL build (crl/rotate) in a fresh process: wall time and peak RSS;
//   - one `pki write pki/revoke` process (the real binary) with auto_rebuild off, where the
//     revoke re-signs the whole CRL, and with auto_rebuild on, where it only marks it stale;
// and, at the largest N, the delta CRL of 1,000 revocations over that base (crl/rotate-delta in a
// fresh process).
//
//   pki_bench_crl PKI [N...]            N default: 10 and 1,000,000
//   KEEP=1 pki_bench_crl build/pki      keep the temp state directory (path printed)
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

}  // namespace

int main(int argc, char** argv) {
    try {
        if (argc == 5 && std::string(argv[1]) == "--child") return child(argv[2], argv[3], argv[4]);
        if (argc < 2) throw std::runtime_error("usage: pki_bench_crl PKI [N...]");
        std::string pki = std::filesystem::absolute(argv[1]).string();

        std::vector<uint64_t> sizes;
        for (int i = 2; i < argc; ++i) sizes.push_back(std::strtoull(argv[i], nullptr, 10));
        if (sizes.empty()) sizes = {10, 1000000};
        std::sort(sizes.begin(), sizes.end());

        char tmpl[] = "/tmp/pki-bench-crl-XXXXXX";
        if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
        std::filesystem::path dir = std::filesystem::path(tmpl) / "state";
        std::string self = std::filesystem::read_symlink("/proc/self/exe").string();

        // Real certificates to revoke: 15 per N and 1,000 for the delta.
        constexpr size_t kRevokes = 15, kDelta = 1000;
        std::string issuer_id;
        std::vector<std::string> serials;
        api::Table table = api::build_table();
        auto t_setup = Clock::now();
        {
            auto svc = bench::service(dir, table);
            run(*svc, api::Op::Write, "sys/mounts/pki", {{"type", "pki"}});
            auto r = run(*svc, api::Op::Write, "pki/root/generate/internal",
                         {{"common_name", "Bench Root"}, {"key_type", "ec"}, {"key_bits", 256}, {"ttl", "87600h"}});
            issuer_id = r.data["issuer_id"].get<std::string>();
            run(*svc, api::Op::Write, "pki/roles/web", {{"allow_any_name", true}, {"key_type", "ec"}, {"ttl", "720h"}});
            size_t need = kRevokes * 2 * sizes.size() + kDelta;
            svc->atomically([&](api::Unit& u) {
                for (size_t i = 0; i < need; ++i)
                    serials.push_back(u.execute({api::Op::Write, "pki/issue/web", {{"common_name", fmt::format("h{}.example.com", i)}}})
                                          .data["serial_number"]
                                          .get<std::string>());
            });
        }
        fmt::print("setup: {} certificates issued in {:.1f} s\n\n", serials.size(), seconds_since(t_setup));
        auto config = [&](bool auto_rebuild, bool delta) {
            auto svc = bench::service(dir, table);
            run(*svc, api::Op::Write, "pki/config/crl", {{"auto_rebuild", auto_rebuild}, {"enable_delta", delta}});
        };

        fmt::print("{:>9} {:>7} {:>10} {:>13} {:>9} {:>18} {:>17}\n", "N", "fill s", "CRL build s", "build RSS MiB", "CRL MiB",
                   "revoke ms (today)", "revoke ms (auto)");
        uint64_t have = 0;
        int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        bool ok = true;
        std::vector<double> auto_ms;
        ChildResult last_full;
        for (uint64_t n : sizes) {
            auto t0 = Clock::now();
            {
                auto env = store::open_lmdb(dir, false);
                const uint64_t batch = 50000;
                while (have < n) {
                    uint64_t end = std::min(n, have + batch);
                    env->write([&](store::Txn& txn) {
                        for (uint64_t i = have; i < end; ++i)
                            txn.put("pki/revoked/" + bench::serial_for(i, 0x1234567),
                                    store::encode(nlohmann::json::array({now - static_cast<int64_t>(i % 86400), now + 10 * 365 * 86400LL, issuer_id})));
                    });
                    have = end;
                }
            }
            double fill = seconds_since(t0);
            config(false, false);
            last_full = spawn_child(self, dir.string(), "pki/crl/rotate", "pki/crl");
            double today = revoke_processes(pki, dir.string(), serials, kRevokes);
            config(true, false);
            double automatic = revoke_processes(pki, dir.string(), serials, kRevokes);
            auto_ms.push_back(automatic);
            fmt::print("{:>9} {:>7.2f} {:>10.3f} {:>13.1f} {:>9.1f} {:>18.1f} {:>17.1f}\n", n, fill, last_full.seconds, last_full.rss_kb / 1024.0,
                       last_full.crl_bytes / 1048576.0, today, automatic);
            if (last_full.entries < static_cast<long>(n)) {
                fmt::print("  ERROR: the CRL lists {} entries, expected at least {}\n", last_full.entries, n);
                ok = false;
            }
            std::fflush(stdout);
        }

        // The delta of 1,000 revocations over the largest base.
        config(true, true);  // rebuilds the complete CRL: the delta starts empty
        {
            auto svc = bench::service(dir, table);
            svc->atomically([&](api::Unit& u) {
                for (size_t i = 0; i < kDelta; ++i) {
                    u.execute({api::Op::Write, "pki/revoke", {{"serial_number", serials.back()}}});
                    serials.pop_back();
                }
            });
        }
        auto delta = spawn_child(self, dir.string(), "pki/crl/rotate-delta", "pki/crl/delta");
        fmt::print("\ndelta CRL over N = {}: {} entries, built in {:.1f} ms (process RSS {:.1f} MiB, {:.1f} KiB)\n", sizes.back(), delta.entries,
                   delta.seconds * 1000, delta.rss_kb / 1024.0, delta.crl_bytes / 1024.0);
        if (delta.entries != static_cast<long>(kDelta)) {
            fmt::print("  ERROR: the delta lists {} entries, expected {}\n", delta.entries, kDelta);
            ok = false;
        }

        double ratio = auto_ms.front() > 0 ? auto_ms.back() / auto_ms.front() : 0;
        fmt::print("\ntargets: revoke (auto_rebuild) {:.1f} ms at N={} vs {:.1f} ms at N={}: {:.2f}x (<= 1.2x, < 10 ms): {}\n", auto_ms.back(),
                   sizes.back(), auto_ms.front(), sizes.front(), ratio, ratio <= 1.2 && auto_ms.back() < 10 ? "met" : "MISSED");
        fmt::print("         complete CRL of {}: {:.2f} s (< 2 s), {:.0f} MiB (< 512 MiB): {}\n", sizes.back(), last_full.seconds,
                   last_full.rss_kb / 1024.0, last_full.seconds < 2 && last_full.rss_kb < 512 * 1024 ? "met" : "MISSED");
        fmt::print("         delta of {}: {:.1f} ms (< 50 ms): {}\n", kDelta, delta.seconds * 1000, delta.seconds < 0.05 ? "met" : "MISSED");
        if (std::getenv("KEEP")) fmt::print("state kept in {}\n", tmpl);
        else std::filesystem::remove_all(tmpl);
        return ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pki_bench_crl: %s\n", e.what());
        return 3;
    }
}
