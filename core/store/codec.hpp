#pragma once
// The one record codec. Every record the engine stores (mounts, roles, issuers, keys, certificates
// and their summaries, revoked entries, CRLs, config) is written as
//
//   "pkr" | codec version (1 byte) | CRC-32 of the payload (4 bytes, big-endian) | payload
//
// with the payload the record's value in CBOR (RFC 8949; a JSON object, array, or bytes). A
// record whose checksum or payload does not hold is reported as a state failure naming its key,
// never returned as data. Records written before the codec (JSON text, the "v1 ..." text forms,
// raw DER) are still read: decode() returns them migrated (JSON text parsed; any other bytes as a
// binary value for the caller's legacy reader), and the next write stores them in the codec.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace pki::store {

inline constexpr unsigned char kCodecVersion = 1;

std::string encode(const nlohmann::json& value);
// The same as encode(nlohmann::json::binary(bytes)) without the copies in between (a CRL of a
// million entries is 40 MB): decode() reads it back as that binary value.
std::string encode_bytes(std::string_view bytes);
// Error(Storage) naming `key` when the record is damaged or from a newer codec.
nlohmann::json decode(std::string_view key, std::string_view bytes);
// The CBOR payload of a record in the codec, its checksum checked (Error(Storage) naming `key`
// when it does not hold), for readers that parse it with a SAX handler of their own on hot
// paths; nullopt for a record from before the codec.
std::optional<std::string_view> payload(std::string_view key, std::string_view bytes);
// Whether `bytes` are in the codec (not a record from before it).
bool is_encoded(std::string_view bytes);

}  // namespace pki::store
