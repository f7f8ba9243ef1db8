#pragma once
// What the unit tests share: a temporary directory removed at the end of a test, the operation
// table (built once), and a service over a state directory.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "api/service.hpp"
#include "api/table.hpp"
#include "store/store.hpp"

namespace pki::test {

// A fresh directory under the system temp dir ("<prefix>-XXXXXX"), removed with everything in it.
struct TempDir {
    std::filesystem::path path;
    explicit TempDir(const std::string& prefix = "pki-test") {
        std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

inline const api::Table& table() {
    static const api::Table t = api::build_table();
    return t;
}

// A service over the LMDB state directory `dir` (not created until a mount is enabled), with an
// injected clock when one is given.
inline std::unique_ptr<api::Service> service(const std::filesystem::path& dir, api::Clock clock = {}) {
    api::ServiceParts parts;
    parts.backend = store::open_lmdb(dir.string(), false);
    parts.table = &table();
    parts.clock = std::move(clock);
    return std::make_unique<api::Service>(std::move(parts));
}

// A CA to test against: a service on a fresh state directory with a clock the test sets, the
// mount "pki" (10-year max TTL), an EC root valid a year, and the role "web" (EC keys, names in
// example.com and its subdomains, ttl 24h).
struct Ca {
    TempDir tmp{"pki-ca-test"};
    int64_t now = 1800000000;  // 2027-01-15T08:00:00Z
    std::unique_ptr<api::Service> svc = service(tmp.path / "state", [this] { return now; });

    Ca() {
        run(api::Op::Write, "sys/mounts/pki", api::Json{{"type", "pki"}, {"max_lease_ttl", "87600h"}});
        run(api::Op::Write, "pki/root/generate/internal", api::Json{{"common_name", "Root"}, {"key_type", "ec"}, {"ttl", "8760h"}});
        run(api::Op::Write, "pki/roles/web",
            api::Json{{"allowed_domains", "example.com"}, {"allow_subdomains", true}, {"key_type", "ec"}, {"ttl", "24h"}});
    }
    api::Response run(api::Op op, const std::string& path, api::Json data = api::Json::object()) {
        return svc->execute({op, path, std::move(data)});
    }
    size_t count(const std::string& list_path) { return run(api::Op::List, list_path).data["keys"].size(); }
    static api::Request issue(const std::string& cn) { return {api::Op::Write, "pki/issue/web", api::Json{{"common_name", cn}}}; }
};

}  // namespace pki::test
