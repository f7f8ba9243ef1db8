// Certificate store benchmark (issue 5): a mount with an EC root and N certificate records
// (default 1M) written straight into the store the way issuance stores them (cert/<serial> JSON
// with a real PEM, certmeta/<serial> summary), half expired a day ago and half valid for a year.
// Then, each as a whole `pki` process with its own wall time and peak RSS:
//   pki list pki/certs                                  (target < 3 s)
//   pki write pki/tidy tidy_cert_store=true safety_buffer=1s   removes half (target < 30 s)
//   pki list pki/certs                                  again, on the halved store
//
//   pki_bench_store PKI_BINARY [N]
//   KEEP=1 pki_bench_store ...            keep the temp state directory (path printed)
#include <sys/resource.h>
#include <fcntl.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/table.hpp"
#include "bench_common.hpp"
#include "api/service.hpp"
#include "store/codec.hpp"
#include "store/store.hpp"

namespace {

using namespace pki;
using Json = nlohmann::json;
using bench::Clock;
using bench::Proc;
using bench::run;
using bench::seconds_since;

// Run a pki command with PKI_STATE_DIR set to `state_dir` (and no other PKI_ variable).
bench::Proc run_process(const std::vector<std::string>& args, const std::string& state_dir, bool keep_output, size_t* bytes = nullptr) {
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e)
        if (std::string(*e).rfind("PKI_", 0) != 0) env_strings.emplace_back(*e);
    env_strings.push_back("PKI_STATE_DIR=" + state_dir);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    auto p = bench::run_process(args, envp.data(), keep_output);
    if (bytes) *bytes = p.out_bytes;
    return p;
}

size_t count_lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

int main(int argc, char** argv) {
    try {
        if (argc < 2) {
            std::fprintf(stderr, "usage: pki_bench_store PKI_BINARY [N]\n");
            return 2;
        }
        std::string pki = std::filesystem::absolute(argv[1]).string();
        uint64_t n = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000000;

        char tmpl[] = "/tmp/pki-bench-store-XXXXXX";
        if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
        std::filesystem::path dir = std::filesystem::path(tmpl) / "state";

        // A mount, an EC root, a role and one real certificate whose PEM every record reuses.
        std::string issuer_id, pem, cn = "bench.example.com";
        {
            api::Table table = api::build_table();
            auto svc = bench::service(dir, table);
            const api::Service& e = *svc;
            run(e, api::Op::Write, "sys/mounts/pki", {{"type", "pki"}});
            auto r = run(e, api::Op::Write, "pki/root/generate/internal", {{"common_name", "Bench Root"}, {"key_type", "ec"}, {"ttl", "8760h"}});
            issuer_id = r.data["issuer_id"].get<std::string>();
            run(e, api::Op::Write, "pki/roles/web", {{"allowed_domains", "example.com"}, {"allow_subdomains", true}, {"key_type", "ec"}});
            auto c = run(e, api::Op::Write, "pki/issue/web", {{"common_name", cn}, {"ttl", "1h"}});
            pem = c.data["certificate"].get<std::string>();
        }

        int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        auto t0 = Clock::now();
        {
                        auto env = store::open_lmdb(dir, false);
            const uint64_t batch = 50000;
            for (uint64_t start = 0; start < n; start += batch) {
                uint64_t end = std::min(n, start + batch);
                env->write([&](store::Txn& txn) {
                    for (uint64_t i = start; i < end; ++i) {
                        std::string serial = bench::serial_for(i, 0x7654321);
                        int64_t not_after = i % 2 == 0 ? now - 86400 : now + 365 * 86400LL;
                        txn.put("pki/certmeta/" + serial, store::encode(Json::array({not_after, issuer_id, cn, Json::array({cn})})));
                        Json rec{{"serial_number", serial}, {"certificate", pem},     {"issuer_id", issuer_id},
                                 {"common_name", cn},       {"not_after", not_after}, {"issued", now},
                                 {"v", 1}};
                        txn.put("pki/cert/" + serial, store::encode(rec));
                    }
                });
            }
        }
        double fill = seconds_since(t0);
        auto data_size = std::filesystem::file_size(dir / "data.mdb");
        fmt::print("certificate store: {} records (+2 real: root, one leaf), PEM of {} bytes each, fill {:.1f} s, data.mdb {:.0f} MiB\n", n,
                   pem.size(), fill, data_size / 1048576.0);
        fmt::print("{:<58} {:>9} {:>13}  {}\n", "command (whole process)", "wall s", "peak RSS MiB", "result");

        bool ok = true;
        auto report = [&](const std::string& what, const Proc& p, const std::string& result, double target) {
            bool met = p.seconds < target && WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0;
            fmt::print("{:<58} {:>9.2f} {:>13.1f}  {} (target < {:.0f} s: {})\n", what, p.seconds, p.rss_kb / 1024.0, result, target,
                       met ? "met" : "MISSED");
            std::fflush(stdout);
        };

        size_t bytes = 0;
        auto l1 = run_process({pki, "list", "pki/certs"}, dir.string(), true, &bytes);
        size_t lines = count_lines(l1.out);
        report("pki list pki/certs", l1, fmt::format("{} lines", lines), 3);
        if (lines != n + 2 + 2) {  // header "Keys", "----", n + root + leaf
            fmt::print("  ERROR: expected {} lines\n", n + 4);
            ok = false;
        }
        auto l2 = run_process({pki, "list", "-format=json", "pki/certs"}, dir.string(), false, &bytes);
        report("pki list -format=json pki/certs", l2, fmt::format("{:.0f} MiB of JSON", bytes / 1048576.0), 3);

        // The inventory (issue 6: "stays fast on a million certificates"); our own target: 10 s.
        auto i1 = run_process({pki, "cert", "list"}, dir.string(), false, &bytes);
        report("pki cert list (all, table)", i1, fmt::format("{:.0f} MiB of table", bytes / 1048576.0), 10);
        auto i2 = run_process({pki, "cert", "list", "--expired", "-format=json"}, dir.string(), false, &bytes);
        report("pki cert list --expired -format=json", i2, fmt::format("{:.0f} MiB of JSON", bytes / 1048576.0), 10);
        auto i3 = run_process({pki, "cert", "list", "--expiring-within", "720h"}, dir.string(), true);
        report("pki cert list --expiring-within 720h", i3, fmt::format("{} lines", count_lines(i3.out)), 10);

        auto t = run_process({pki, "write", "-format=json", "pki/tidy", "tidy_cert_store=true", "safety_buffer=1s"}, dir.string(), true);
        int64_t deleted = -1;
        try {
            deleted = Json::parse(t.out)["data"]["cert_store_deleted_count"].get<int64_t>();
        } catch (...) {
        }
        report("pki write pki/tidy tidy_cert_store=true safety_buffer=1s", t, fmt::format("{} deleted", deleted), 30);
        if (deleted != static_cast<int64_t>((n + 1) / 2)) {
            fmt::print("  ERROR: expected {} deleted\n", (n + 1) / 2);
            ok = false;
        }
        auto l3 = run_process({pki, "list", "pki/certs"}, dir.string(), true);
        report("pki list pki/certs (after the tidy)", l3, fmt::format("{} lines", count_lines(l3.out)), 3);
        if (count_lines(l3.out) != n / 2 + 4) {
            fmt::print("  ERROR: expected {} lines after the tidy\n", n / 2 + 4);
            ok = false;
        }
        fmt::print("data.mdb after the tidy: {:.0f} MiB\n", std::filesystem::file_size(dir / "data.mdb") / 1048576.0);

        if (std::getenv("KEEP")) fmt::print("state kept in {}\n", tmpl);
        else std::filesystem::remove_all(tmpl);
        return ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pki_bench_store: %s\n", e.what());
        return 3;
    }
}
