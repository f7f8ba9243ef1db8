// CRL build benchmark (issue 5): a mount with an EC root, N revoked entries written straight into
// the store, then `crl/rotate` through Service::execute. For each N it reports the wall time of the
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

#include <algorithm>
#include <stdexcept>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "api/table.hpp"
#include "bench_common.hpp"
#include "api/service.hpp"
#include "store/codec.hpp"
#include "store/store.hpp"

namespace {

using namespace pki;
using bench::Clock;
using bench::run;
using bench::seconds_since;

long self_rss_kb() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

// Child mode: rotate the CRLs of `dir` once, print "seconds rss_kb crl_bytes entries".
int rotate_child(const std::string& dir) {
    api::Table table = api::build_table();
    auto svc = bench::service(dir, table);
            const api::Service& e = *svc;
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
    auto p = bench::run_process({self, "--rotate", dir}, nullptr, true);
    ChildResult r;
    r.process_seconds = p.seconds;
    if (!WIFEXITED(p.status) || WEXITSTATUS(p.status) != 0 ||
        std::sscanf(p.out.c_str(), "%lf %ld %ld %ld", &r.seconds, &r.rss_kb, &r.crl_bytes, &r.entries) != 4)
        throw std::runtime_error("rotate child failed: " + p.out);
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
            auto svc = bench::service(dir, table);
            const api::Service& e = *svc;
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
