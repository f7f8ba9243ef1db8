// The key family driven through the engine, as the CLI drives it: requests in, responses out.
#include <doctest/doctest.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "api/table.hpp"
#include "crypto/handles.hpp"
#include "engine/engine.hpp"
#include "support.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;
using pki::ErrorKind;
using pki::api::Json;
using pki::api::Op;
using pki::api::Request;
using pki::api::Response;

using pki::test::TempDir;
using pki::test::table;

namespace {

// An engine on a fresh state directory with the mount "pki" enabled.
struct Fixture {
    TempDir tmp{"pki-keys-test"};
    std::unique_ptr<pki::api::Service> svc = pki::test::service(tmp.path / "state", [] { return int64_t{1700000000}; });
    const pki::api::Service& engine = *svc;

    Fixture() { run(Op::Write, "sys/mounts/pki", Json{{"type", "pki"}}); }

    Response run(Op op, const std::string& path, Json data = Json::object()) {
        return engine.execute(Request{op, path, std::move(data)});
    }
    // The error a request is refused with; fails the test when it is not refused.
    pki::Error refused(Op op, const std::string& path, Json data = Json::object()) {
        try {
            run(op, path, std::move(data));
        } catch (const pki::Error& e) {
            return e;
        }
        FAIL("expected " << path << " to be refused");
        return pki::Error(ErrorKind::Internal, "unreachable");
    }
    std::vector<std::string> key_ids() {
        std::vector<std::string> out;
        for (const auto& k : run(Op::List, "pki/keys").data.value("keys", Json::array())) out.push_back(k.get<std::string>());
        return out;
    }
    std::string default_key() { return run(Op::Read, "pki/config/keys").data.value("default", ""); }
};

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

pki::crypto::PKey parse_pem(const std::string& pem) {
    pki::crypto::Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    return pki::crypto::PKey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

std::string ec_group(EVP_PKEY* key) {
    char group[64] = {};
    size_t len = 0;
    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len);
    return group;
}

pki::crypto::PKey make_key(const char* alg, const char* param = nullptr, size_t bits = 0) {
    EVP_PKEY* k = nullptr;
    if (std::string(alg) == "RSA") k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits);
    else if (std::string(alg) == "EC") k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", param);
    else k = EVP_PKEY_Q_keygen(nullptr, nullptr, alg);
    REQUIRE(k != nullptr);
    return pki::crypto::PKey(k);
}

enum class Pem { Pkcs8, Traditional };

std::string to_pem(EVP_PKEY* key, Pem form) {
    pki::crypto::Bio bio(BIO_new(BIO_s_mem()));
    int ok = form == Pem::Pkcs8 ? PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)
                                : PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    REQUIRE(ok == 1);
    return pki::crypto::bio_string(bio.get());
}

void check_no_private_material(const Json& data) {
    std::string dump = data.dump();
    CHECK_FALSE(data.contains("private_key"));
    CHECK_FALSE(contains(dump, "PRIVATE"));
    CHECK_FALSE(contains(dump, "BEGIN"));
}

}  // namespace

TEST_CASE("generate: every key type and size, internal and exported") {
    Fixture f;
    struct Case {
        const char* type;
        int bits;        // requested; 0 for the default
        int want_bits;   // reported
        const char* group;  // as OpenSSL names the curve
    } cases[] = {
        {"rsa", 0, 2048, ""},      {"rsa", 2048, 2048, ""},     {"rsa", 3072, 3072, ""},    {"rsa", 4096, 4096, ""},
        {"ec", 0, 256, "prime256v1"},  {"ec", 224, 224, "secp224r1"}, {"ec", 256, 256, "prime256v1"},
        {"ec", 384, 384, "secp384r1"}, {"ec", 521, 521, "secp521r1"}, {"ed25519", 0, 0, ""},
    };
    std::set<std::string> ids;
    int n = 0;
    for (const auto& c : cases) {
        for (const char* mode : {"internal", "exported"}) {
            CAPTURE(std::string(c.type));
            CAPTURE(c.bits);
            CAPTURE(std::string(mode));
            std::string name = "k";
            name += std::to_string(n++);
            Json body{{"key_type", c.type}, {"key_name", name}};
            if (c.bits) body["key_bits"] = c.bits;
            auto r = f.run(Op::Write, std::string("pki/keys/generate/") + mode, body);
            const Json& d = r.data;
            CHECK(d.value("key_type", "") == c.type);
            CHECK(d.value("key_bits", -1) == c.want_bits);
            CHECK(d.value("key_name", "") == name);
            std::string id = d.value("key_id", "");
            CHECK(id.size() == 36);
            CHECK(ids.insert(id).second);
            CHECK(r.warnings.empty());
            if (std::string(mode) == "internal") {
                check_no_private_material(d);
            } else {
                REQUIRE(d.contains("private_key"));
                CHECK(d.value("private_key_type", "") == c.type);
                auto key = parse_pem(d["private_key"].get<std::string>());
                REQUIRE(key);
                if (std::string(c.type) == "rsa") {
                    CHECK(EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_RSA);
                    CHECK(EVP_PKEY_get_bits(key.get()) == c.want_bits);
                } else if (std::string(c.type) == "ec") {
                    CHECK(EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_EC);
                    CHECK(ec_group(key.get()) == c.group);
                } else {
                    CHECK(EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_ED25519);
                }
            }
            // Reading the key back gives the same description and no private part.
            auto read = f.run(Op::Read, "pki/key/" + id).data;
            CHECK(read.value("key_id", "") == id);
            CHECK(read.value("key_name", "") == name);
            CHECK(read.value("key_type", "") == c.type);
            CHECK(read.value("key_bits", -1) == c.want_bits);
            check_no_private_material(read);
        }
    }
    auto listed = f.key_ids();
    CHECK(listed.size() == ids.size());
    CHECK(std::set<std::string>(listed.begin(), listed.end()) == ids);
    auto info = f.run(Op::List, "pki/keys").data["key_info"];
    for (const auto& id : ids) CHECK(info.contains(id));
    check_no_private_material(f.run(Op::List, "pki/keys").data);
}

TEST_CASE("generate: the default key type is rsa 2048") {
    Fixture f;
    auto d = f.run(Op::Write, "pki/keys/generate/internal").data;
    CHECK(d.value("key_type", "") == "rsa");
    CHECK(d.value("key_bits", 0) == 2048);
    CHECK(d.value("key_name", "x") == "");
}

TEST_CASE("generate: bad sizes and types are refused and store nothing") {
    Fixture f;
    struct Case {
        Json body;
        const char* says;
    } cases[] = {
        {Json{{"key_type", "rsa"}, {"key_bits", 1024}}, "2048"},
        {Json{{"key_type", "rsa"}, {"key_bits", 1000}}, "2048"},
        {Json{{"key_type", "rsa"}, {"key_bits", 2047}}, "2048"},
        {Json{{"key_type", "ec"}, {"key_bits", 255}}, "224"},
        {Json{{"key_type", "ec"}, {"key_bits", 192}}, "224"},
        {Json{{"key_type", "dsa"}}, "dsa"},
        {Json{{"key_type", "ec"}, {"key_bits", "big"}}, "key_bits"},
        {Json{{"key_type", "ec"}, {"key_bits", 255}, {"bogus", "1"}}, "224"},  // an unknown field changes nothing of that
    };
    for (const auto& c : cases) {
        CAPTURE(c.body.dump());
        auto e = f.refused(Op::Write, "pki/keys/generate/internal", c.body);
        CHECK(e.kind() == ErrorKind::Invalid);
        CHECK(contains(e.what(), c.says));
    }
    CHECK(f.key_ids().empty());
    CHECK(f.default_key().empty());
}

TEST_CASE("generate: an unknown field is ignored with Vault's warning, the closest field named") {
    Fixture f;
    auto r = f.run(Op::Write, "pki/keys/generate/internal", Json{{"key_type", "ec"}, {"key_nmae", "a"}});
    REQUIRE(r.warnings.size() >= 2);
    CHECK(r.warnings[0] == "Endpoint ignored these unrecognized parameters: [key_nmae]");
    CHECK(r.warnings[1] == "parameter \"key_nmae\" was ignored: did you mean \"key_name\"?");
    CHECK(r.data["key_name"] == "");  // the misspelt name set nothing
    CHECK(f.key_ids().size() == 1);
}

TEST_CASE("generate: kms with key_type or without a managed key, and unknown generation types, are refused") {
    Fixture f;
    auto e = f.refused(Op::Write, "pki/keys/generate/kms", Json{{"key_type", "ec"}});
    CHECK(e.kind() == ErrorKind::Invalid);
    CHECK(contains(e.what(), "key_type cannot be given with type kms"));
    auto e1 = f.refused(Op::Write, "pki/keys/generate/kms", Json::object());
    CHECK(e1.kind() == ErrorKind::Invalid);
    CHECK(contains(e1.what(), "type kms needs managed_key_name or managed_key_id"));
    auto e2 = f.refused(Op::Write, "pki/keys/generate/existing", Json{{"key_type", "ec"}});
    CHECK(e2.kind() == ErrorKind::Invalid);
    CHECK(contains(e2.what(), "internal, exported or kms"));
    CHECK(f.key_ids().empty());
}

TEST_CASE("names are unique within a mount, and \"default\" is reserved") {
    Fixture f;
    auto a = f.run(Op::Write, "pki/keys/generate/internal", Json{{"key_type", "ec"}, {"key_name", "a"}}).data;
    auto e = f.refused(Op::Write, "pki/keys/generate/internal", Json{{"key_type", "ec"}, {"key_name", "a"}});
    CHECK(e.kind() == ErrorKind::Invalid);
    CHECK(contains(e.what(), "\"a\""));
    CHECK(contains(e.what(), "already"));
    auto e2 = f.refused(Op::Write, "pki/keys/generate/internal", Json{{"key_type", "ec"}, {"key_name", "default"}});
    CHECK(e2.kind() == ErrorKind::Invalid);
    CHECK(contains(e2.what(), "reserved"));
    auto e3 = f.refused(Op::Write, "pki/keys/generate/internal", Json{{"key_type", "ec"}, {"key_name", "has space"}});
    CHECK(e3.kind() == ErrorKind::Invalid);
    auto e4 = f.refused(Op::Write, "pki/keys/generate/internal", Json{{"key_type", "ec"}, {"key_name", "a/b"}});
    CHECK(e4.kind() == ErrorKind::Invalid);
    CHECK(f.key_ids().size() == 1);
    // Keys without names may be many.
    f.run(Op::Write, "pki/keys/generate/internal", Json{{"key_type", "ec"}});
    f.run(Op::Write, "pki/keys/generate/internal", Json{{"key_type", "ec"}});
    CHECK(f.key_ids().size() == 3);
    // Another mount has its own names.
    f.run(Op::Write, "sys/mounts/other", Json{{"type", "pki"}});
    auto b = f.run(Op::Write, "other/keys/generate/internal", Json{{"key_type", "ec"}, {"key_name", "a"}}).data;
    CHECK(b.value("key_id", "") != a.value("key_id", ""));
    // A key id cannot be used as another key's name.
    auto e5 = f.refused(Op::Write, "pki/keys/generate/internal", Json{{"key_type", "ec"}, {"key_name", a.value("key_id", "")}});
    CHECK(e5.kind() == ErrorKind::Invalid);
}

TEST_CASE("the first key becomes the default, and later keys do not change it") {
    Fixture f;
    CHECK(f.default_key().empty());
    auto a = f.run(Op::Write, "pki/keys/generate/internal", Json{{"key_type", "ec"}, {"key_name", "a"}}).data["key_id"];
    CHECK(f.default_key() == a);
    auto b = f.run(Op::Write, "pki/keys/generate/internal", Json{{"key_type", "ec"}, {"key_name", "b"}}).data["key_id"];
    CHECK(f.default_key() == a);
    // "default" resolves to it.
    CHECK(f.run(Op::Read, "pki/key/default").data["key_id"] == a);
    // config/keys changes it, by name or by id.
    CHECK(f.run(Op::Write, "pki/config/keys", Json{{"default", "b"}}).data["default"] == b);
    CHECK(f.default_key() == b);
    CHECK(f.run(Op::Read, "pki/key/default").data["key_id"] == b);
    f.run(Op::Write, "pki/config/keys", Json{{"default", a}});
    CHECK(f.default_key() == a);
    auto e = f.refused(Op::Write, "pki/config/keys", Json{{"default", "nope"}});
    CHECK(e.kind() == ErrorKind::NotFound);
    CHECK(f.default_key() == a);
    auto e2 = f.refused(Op::Write, "pki/config/keys", Json::object());
    CHECK(e2.kind() == ErrorKind::Invalid);
}

TEST_CASE("rename") {
    Fixture f;
    std::string id = f.run(Op::Write, "pki/keys/generate/internal", Json{{"key_type", "ed25519"}, {"key_name", "old"}}).data["key_id"];
    f.run(Op::Write, "pki/keys/generate/internal", Json{{"key_type", "ed25519"}, {"key_name", "taken"}});
    auto r = f.run(Op::Write, "pki/key/old", Json{{"key_name", "new"}}).data;
    CHECK(r.value("key_id", "") == id);
    CHECK(r.value("key_name", "") == "new");
    CHECK(f.run(Op::Read, "pki/key/new").data.value("key_id", "") == id);
    CHECK(f.refused(Op::Read, "pki/key/old").kind() == ErrorKind::NotFound);
    // Renaming by id; to its own name is fine; to another key's name or "default" is not.
    CHECK(f.run(Op::Write, "pki/key/" + id, Json{{"key_name", "new"}}).data.value("key_name", "") == "new");
    CHECK(f.refused(Op::Write, "pki/key/" + id, Json{{"key_name", "taken"}}).kind() == ErrorKind::Invalid);
    CHECK(f.refused(Op::Write, "pki/key/" + id, Json{{"key_name", "default"}}).kind() == ErrorKind::Invalid);
    CHECK(f.run(Op::Read, "pki/key/" + id).data.value("key_name", "") == "new");
    CHECK(f.refused(Op::Write, "pki/key/missing", Json{{"key_name", "x"}}).kind() == ErrorKind::NotFound);
}

TEST_CASE("delete: deleting the default key clears the default with a warning") {
    Fixture f;
    std::string a = f.run(Op::Write, "pki/keys/generate/internal", Json{{"key_type", "ec"}, {"key_name", "a"}}).data["key_id"];
    std::string b = f.run(Op::Write, "pki/keys/generate/internal", Json{{"key_type", "ec"}, {"key_name", "b"}}).data["key_id"];
    auto r = f.run(Op::Delete, "pki/key/b");
    CHECK(r.warnings.empty());
    CHECK(f.key_ids() == std::vector<std::string>{a});
    CHECK(f.default_key() == a);
    auto r2 = f.run(Op::Delete, "pki/key/default");
    REQUIRE(r2.warnings.size() == 1);
    CHECK(contains(r2.warnings[0], a));
    CHECK(contains(r2.warnings[0], "default"));
    CHECK(f.key_ids().empty());
    CHECK(f.default_key().empty());
    auto e = f.refused(Op::Read, "pki/key/default");
    CHECK(e.kind() == ErrorKind::NotFound);
    // Deleting it again succeeds with a warning (idempotent, as in Vault).
    auto again = f.run(Op::Delete, "pki/key/" + a);
    REQUIRE(again.warnings.size() == 1);
    CHECK(contains(again.warnings[0], "nothing was deleted"));
    // The next key becomes the default again.
    std::string c = f.run(Op::Write, "pki/keys/generate/internal", Json{{"key_type", "ec"}}).data["key_id"];
    CHECK(f.default_key() == c);
}

TEST_CASE("import: PKCS#8, PKCS#1 and SEC1 PEM, with the right description") {
    Fixture f;
    struct Case {
        const char* what;
        pki::crypto::PKey key;
        Pem form;
        const char* header;
        const char* type;
        int bits;
    };
    std::vector<Case> cases;
    cases.push_back({"rsa pkcs8", make_key("RSA", nullptr, 2048), Pem::Pkcs8, "BEGIN PRIVATE KEY", "rsa", 2048});
    cases.push_back({"rsa pkcs1", make_key("RSA", nullptr, 3072), Pem::Traditional, "BEGIN RSA PRIVATE KEY", "rsa", 3072});
    cases.push_back({"ec pkcs8", make_key("EC", "P-384"), Pem::Pkcs8, "BEGIN PRIVATE KEY", "ec", 384});
    cases.push_back({"ec sec1", make_key("EC", "P-256"), Pem::Traditional, "BEGIN EC PRIVATE KEY", "ec", 256});
    cases.push_back({"ec sec1 p521", make_key("EC", "P-521"), Pem::Traditional, "BEGIN EC PRIVATE KEY", "ec", 521});
    cases.push_back({"ed25519 pkcs8", make_key("ED25519"), Pem::Pkcs8, "BEGIN PRIVATE KEY", "ed25519", 0});
    int n = 0;
    for (auto& c : cases) {
        CAPTURE(std::string(c.what));
        std::string pem = to_pem(c.key.get(), c.form);
        REQUIRE(contains(pem, c.header));
        std::string name = "imported" + std::to_string(n++);
        auto r = f.run(Op::Write, "pki/keys/import", Json{{"pem_bundle", pem}, {"key_name", name}});
        CHECK(r.warnings.empty());
        CHECK(r.data.value("key_type", "") == c.type);
        CHECK(r.data.value("key_bits", -1) == c.bits);
        CHECK(r.data.value("key_name", "") == name);
        check_no_private_material(r.data);
        std::string id = r.data.value("key_id", "");
        CHECK(f.run(Op::Read, "pki/key/" + name).data.value("key_id", "") == id);

        // The same key again, in the other PEM form (ed25519 has only PKCS#8): a warning and the
        // same id, nothing new stored.
        auto before = f.key_ids().size();
        Pem other = std::string(c.type) == "ed25519" ? Pem::Pkcs8 : c.form == Pem::Pkcs8 ? Pem::Traditional : Pem::Pkcs8;
        auto again = f.run(Op::Write, "pki/keys/import", Json{{"pem_bundle", to_pem(c.key.get(), other)}});
        CHECK(again.data.value("key_id", "") == id);
        CHECK(again.data.value("key_name", "") == name);
        REQUIRE(again.warnings.size() == 1);
        CHECK(contains(again.warnings[0], id));
        CHECK(f.key_ids().size() == before);
    }
    CHECK(f.key_ids().size() == cases.size());
    CHECK(f.default_key() == f.run(Op::Read, "pki/key/imported0").data.value("key_id", ""));
}

TEST_CASE("import: a key generated here and exported imports as a duplicate") {
    Fixture f;
    auto gen = f.run(Op::Write, "pki/keys/generate/exported", Json{{"key_type", "ec"}, {"key_name", "g"}}).data;
    auto r = f.run(Op::Write, "pki/keys/import", Json{{"pem_bundle", gen["private_key"]}});
    CHECK(r.data.value("key_id", "") == gen.value("key_id", ""));
    CHECK(r.warnings.size() == 1);
    CHECK(f.key_ids().size() == 1);
}

TEST_CASE("import: a PEM bundle with a certificate before the key still imports the key") {
    Fixture f;
    auto key = make_key("EC", "P-256");
    std::string junk = "-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n";
    // Not a certificate that parses: the importer looks for the key block.
    auto r = f.run(Op::Write, "pki/keys/import", Json{{"pem_bundle", junk + to_pem(key.get(), Pem::Pkcs8)}});
    CHECK(r.data.value("key_type", "") == "ec");
}

TEST_CASE("import: bad input is refused and stores nothing") {
    Fixture f;
    auto rsa1024 = make_key("RSA", nullptr, 1024);
    auto e = f.refused(Op::Write, "pki/keys/import", Json{{"pem_bundle", to_pem(rsa1024.get(), Pem::Pkcs8)}});
    CHECK(e.kind() == ErrorKind::Invalid);
    CHECK(contains(e.what(), "1024"));
    CHECK(contains(e.what(), "2048"));
    auto e1 = f.refused(Op::Write, "pki/keys/import", Json{{"pem_bundle", to_pem(rsa1024.get(), Pem::Traditional)}});
    CHECK(e1.kind() == ErrorKind::Invalid);

    auto secp256k1 = make_key("EC", "secp256k1");
    CHECK(f.refused(Op::Write, "pki/keys/import", Json{{"pem_bundle", to_pem(secp256k1.get(), Pem::Pkcs8)}}).kind() ==
          ErrorKind::Invalid);
    auto ed448 = make_key("ED448");
    CHECK(f.refused(Op::Write, "pki/keys/import", Json{{"pem_bundle", to_pem(ed448.get(), Pem::Pkcs8)}}).kind() ==
          ErrorKind::Invalid);

    for (const char* bad : {"garbage", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "", "   "}) {
        CAPTURE(std::string(bad));
        auto e2 = f.refused(Op::Write, "pki/keys/import", Json{{"pem_bundle", bad}});
        CHECK(e2.kind() == ErrorKind::Invalid);
    }
    CHECK(f.refused(Op::Write, "pki/keys/import", Json::object()).kind() == ErrorKind::Invalid);

    // A name that is taken refuses the import.
    f.run(Op::Write, "pki/keys/generate/internal", Json{{"key_type", "ec"}, {"key_name", "taken"}});
    auto fresh = make_key("EC", "P-256");
    auto e3 = f.refused(Op::Write, "pki/keys/import", Json{{"pem_bundle", to_pem(fresh.get(), Pem::Pkcs8)}, {"key_name", "taken"}});
    CHECK(e3.kind() == ErrorKind::Invalid);
    CHECK(f.key_ids().size() == 1);
}

TEST_CASE("reading and deleting missing keys, and keys of unknown mounts") {
    Fixture f;
    auto e = f.refused(Op::Read, "pki/key/missing");
    CHECK(e.kind() == ErrorKind::NotFound);
    CHECK(contains(e.what(), "missing"));
    auto deleted = f.run(Op::Delete, "pki/key/missing");  // idempotent, with a warning naming the key
    REQUIRE(deleted.warnings.size() == 1);
    CHECK(contains(deleted.warnings[0], "\"missing\""));
    CHECK(f.refused(Op::Delete, "nomount/key/missing").kind() == ErrorKind::NotFound);
    auto e2 = f.refused(Op::Write, "nomount/keys/generate/internal", Json{{"key_type", "ec"}});
    CHECK(e2.kind() == ErrorKind::NotFound);
    CHECK(contains(e2.what(), "nomount"));
    CHECK(f.refused(Op::List, "nomount/keys").kind() == ErrorKind::NotFound);
}

TEST_CASE("operations a path does not support are refused") {
    Fixture f;
    auto e = f.refused(Op::List, "pki/config/keys");
    CHECK(e.kind() == ErrorKind::Unsupported);  // HTTP 405, exit 1
    CHECK(contains(e.what(), "list"));
    CHECK(f.refused(Op::Read, "pki/keys/generate/internal").kind() == ErrorKind::Unsupported);
    CHECK(f.refused(Op::Delete, "pki/keys").kind() == ErrorKind::Unsupported);
    CHECK(f.refused(Op::Read, "pki/no/such/path").kind() == ErrorKind::NotFound);
}

TEST_CASE("an empty list of keys") {
    Fixture f;
    auto d = f.run(Op::List, "pki/keys").data;
    CHECK(d["keys"].is_array());
    CHECK(d["keys"].empty());
}

TEST_CASE("key records survive a new engine on the same state directory") {
    TempDir tmp{"pki-keys-test"};
    std::string id;
    {
        auto svc = pki::test::service(tmp.path / "s");
        auto& e = *svc;
        e.execute(Request{Op::Write, "sys/mounts/pki", Json::object()});
        id = e.execute(Request{Op::Write, "pki/keys/generate/internal", Json{{"key_type", "ec"}}}).data["key_id"];
    }
    auto svc = pki::test::service(tmp.path / "s");
    auto& e = *svc;
    CHECK(e.execute(Request{Op::Read, "pki/key/" + id, Json::object()}).data.value("key_type", "") == "ec");
}
