#pragma once
// What the unit tests share: a temporary directory removed at the end of a test, and the
// operation table (built once).
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "api/table.hpp"

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

}  // namespace pki::test
