#pragma once
// Typed records in the store: JSON documents carrying a schema version ("v"), keyed by mount.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "store/store.hpp"

namespace pki::engine {

using Json = nlohmann::json;
inline constexpr int kRecordVersion = 1;

std::string mount_key(std::string_view mount);  // sys/mount/<name>
std::string rec_key(std::string_view mount, std::string_view kind, std::string_view id);  // <mount>/<kind>/<id>
std::string rec_prefix(std::string_view mount, std::string_view kind);                     // <mount>/<kind>/

// A LIST response: {"keys": [...]} with every key under <mount>/<kind>/, the prefix removed.
// Only keys are read, never the records.
Json list_kind(const store::Txn& txn, std::string_view mount, std::string_view kind);

std::optional<Json> load(const store::Txn& txn, std::string_view key);
void save(store::Txn& txn, std::string_view key, Json record);

}  // namespace pki::engine
