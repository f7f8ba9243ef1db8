#pragma once
// Typed records in the store: documents carrying a schema version ("v"), keyed by mount, written
// by the one record codec.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/store.hpp"

namespace pki::engine {

using Json = nlohmann::json;
inline constexpr int kRecordVersion = 1;

std::string mount_key(std::string_view mount);  // sys/mount/<name>
std::string rec_key(std::string_view mount, std::string_view kind, std::string_view id);  // <mount>/<kind>/<id>
std::string rec_prefix(std::string_view mount, std::string_view kind);                     // <mount>/<kind>/

// The ids of every record under <mount>/<kind>/, in key order (the prefix removed). Only keys are
// read, never the records.
std::vector<std::string> list_kind(const store::Txn& txn, std::string_view mount, std::string_view kind);

// Records go through the one codec (store/codec.hpp): load() returns the record (migrated when it
// was written before the codec), or Error(Storage) naming it when it is damaged.
std::optional<Json> load(const store::Txn& txn, std::string_view key);
// A record value met in a scan, decoded as load() does.
Json decode_record(std::string_view key, std::string_view value);
void save(store::Txn& txn, std::string_view key, Json record);

}  // namespace pki::engine
