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

}  // namespace pki::test
