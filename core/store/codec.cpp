#include "store/codec.hpp"

#include <zlib.h>

#include "util/error.hpp"

namespace pki::store {
namespace {

constexpr size_t kHeader = 8;  // "pkr", version, CRC-32

uint32_t crc_of(std::string_view payload) {
    return static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(payload.data()), static_cast<uInt>(payload.size())));
}

[[noreturn]] void damaged(std::string_view key, std::string_view why) {
    fail(ErrorKind::Storage, "state directory: record {} is damaged ({}); restore the state directory from a backup", key, why);
}

}  // namespace

bool is_encoded(std::string_view bytes) { return bytes.size() >= kHeader && bytes.substr(0, 3) == "pkr"; }

std::string encode(const nlohmann::json& value) {
    std::string out(kHeader, '\0');
    out[0] = 'p';
    out[1] = 'k';
    out[2] = 'r';
    out[3] = static_cast<char>(kCodecVersion);
    nlohmann::json::to_cbor(value, out);  // appends
    uint32_t crc = crc_of(std::string_view(out).substr(kHeader));
    for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<char>((crc >> (8 * (3 - i))) & 0xff);
    return out;
}

std::optional<std::string_view> payload(std::string_view key, std::string_view bytes) {
    if (!is_encoded(bytes)) return std::nullopt;
    auto version = static_cast<unsigned char>(bytes[3]);
    if (version > kCodecVersion)
        fail(ErrorKind::Storage, "state directory: record {} was written by a newer pki (codec {}); upgrade pki", key, version);
    uint32_t want = 0;
    for (int i = 0; i < 4; ++i) want = (want << 8) | static_cast<unsigned char>(bytes[4 + i]);
    std::string_view p = bytes.substr(kHeader);
    if (crc_of(p) != want) damaged(key, "checksum mismatch");
    return p;
}

std::string encode_bytes(std::string_view bytes) {
    // CBOR (RFC 8949 3.1): a byte string, major type 2, its length in the shortest head.
    std::string out(kHeader, '\0');
    out.reserve(kHeader + 9 + bytes.size());
    out[0] = 'p';
    out[1] = 'k';
    out[2] = 'r';
    out[3] = static_cast<char>(kCodecVersion);
    uint64_t n = bytes.size();
    auto big_endian = [&](int width) {
        for (int i = width - 1; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    };
    if (n < 24) out.push_back(static_cast<char>(0x40 | n));
    else if (n <= 0xff) out.push_back(static_cast<char>(0x58)), big_endian(1);
    else if (n <= 0xffff) out.push_back(static_cast<char>(0x59)), big_endian(2);
    else if (n <= 0xffffffffULL) out.push_back(static_cast<char>(0x5a)), big_endian(4);
    else out.push_back(static_cast<char>(0x5b)), big_endian(8);
    out.append(bytes);
    uint32_t crc = crc_of(std::string_view(out).substr(kHeader));
    for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<char>((crc >> (8 * (3 - i))) & 0xff);
    return out;
}

nlohmann::json decode(std::string_view key, std::string_view bytes) {
    if (!is_encoded(bytes)) {
        // A record from before the codec.
        if (!bytes.empty() && bytes.front() == '{') {
            auto j = nlohmann::json::parse(bytes, nullptr, false);
            if (j.is_discarded() || !j.is_object()) damaged(key, "not a valid record");
            return j;
        }
        return nlohmann::json::binary(nlohmann::json::binary_t::container_type(bytes.begin(), bytes.end()));
    }
    std::string_view body = *payload(key, bytes);
    auto j = nlohmann::json::from_cbor(body.begin(), body.end(), true, false);
    if (j.is_discarded()) damaged(key, "undecodable payload");
    return j;
}

}  // namespace pki::store
