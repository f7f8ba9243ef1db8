// The engine's operations called directly, with typed parameters and typed results, on a real
// LMDB store and with no api layer in between (no fields, no paths, no JSON envelope). Test names
// start with "ops_test: ".
#include <doctest/doctest.h>

#include <openssl/x509.h>

#include <atomic>
#include <functional>
#include <thread>
#include <string>

#include "crypto/keys.hpp"
#include "engine/ca.hpp"
#include "engine/cache.hpp"
#include "engine/crl.hpp"
#include "engine/inventory.hpp"
#include "engine/issuers.hpp"
#include "engine/keys.hpp"
#include "engine/leaf.hpp"
#include "engine/mounts.hpp"
#include "engine/roles.hpp"
#include "keys/keystore.hpp"
#include "store/store.hpp"
#include "support.hpp"
#include "util/error.hpp"
#include "x509/cert.hpp"

namespace engine = pki::engine;
using pki::Error;
using pki::ErrorKind;

namespace {

// What the service gives an operation, built by hand: a store, a key store, a key generator,
// caches and a clock the test sets.
struct Engine {
    pki::test::TempDir tmp{"pki-ops-test"};
    std::unique_ptr<pki::store::Backend> store = pki::store::open_lmdb((tmp.path / "state").string(), true);
    std::unique_ptr<pki::keys::KeyStore> keys = pki::keys::software_key_store();
    pki::keys::Pkcs11 hsm;
    pki::crypto::KeyGenerator keygen;
    engine::Caches caches;
    int64_t now = 1800000000;  // 2027-01-15T08:00:00Z

    // Run `op` in one write transaction on `mount` ("" for none); returns the request's warnings.
    std::vector<std::string> write(const std::string& mount, const std::function<void(engine::Context&)>& op) {
        std::vector<std::string> warnings;
        store->write([&](pki::store::Txn& txn) {
            engine::Context ctx{txn, std::nullopt, now, *keys, hsm, keygen, caches};
            if (!mount.empty()) ctx.mount = engine::require_mount(txn, mount);
            op(ctx);
            warnings = ctx.warnings;
        });
        return warnings;
    }
};

// A mount "pki" with an EC root and a role "web" for example.com and its subdomains.
struct Ca : Engine {
    engine::GeneratedCa root;
    Ca() {
        write("", [&](engine::Context& ctx) {
            engine::enable_mount(ctx, {"pki", "test mount", 0, 87600 * 3600, "pki"});
        });
        write("pki", [&](engine::Context& ctx) {
            engine::RootRequest req;
            req.key.source = engine::KeySource::Internal;
            req.key.type = "internal";
            req.key.spec = {pki::crypto::KeyType::Ec, 256};
            req.issuer_name = "root";
            req.subject.common_name = "Ops Root";
            req.validity.ttl = 8760 * 3600;
            root = engine::generate_root(ctx, req);
            pki::policy::Role role;
            role.name = "web";
            role.names.allowed_domains = {"example.com"};
            role.names.allow_subdomains = true;
            role.key_type = "ec";
            role.key_bits = 256;
            role.ttl = 24 * 3600;
            role.max_ttl = 48 * 3600;
            engine::write_role(ctx, role);
        });
    }
    engine::IssuedCert issue(const std::string& cn, int64_t ttl = 0, std::vector<std::string>* warnings = nullptr) {
        engine::IssuedCert out;
        auto w = write("pki", [&](engine::Context& ctx) {
            engine::IssueRequest req;
            req.role = "web";
            req.common_name = cn;
            req.validity.ttl = ttl;
            req.ttl_given = ttl > 0;
            out = engine::issue_cert(ctx, req);
        });
        if (warnings) *warnings = w;
        return out;
    }
};

}  // namespace

TEST_CASE("ops_test: generate_root returns the issuer and its certificate, self-signed, its key kept in the mount") {
    Ca ca;
    REQUIRE(ca.root.certificate);
    CHECK(ca.root.issuer.name == "root");
    CHECK_FALSE(ca.root.issuer.key_id.empty());
    CHECK_FALSE(ca.root.exported);  // internal: the key is not handed out
    X509* cert = ca.root.certificate.get();
    CHECK(pki::x509::common_name(X509_get_subject_name(cert)) == "Ops Root");
    CHECK(X509_verify(cert, X509_get0_pubkey(cert)) == 1);
    CHECK(X509_check_ca(cert) >= 1);
    CHECK(pki::x509::not_after(cert) == ca.now + 8760 * 3600);
    ca.write("pki", [&](engine::Context& ctx) {
        auto issuers = engine::list_issuers(ctx);
        REQUIRE(issuers.size() == 1);
        CHECK(issuers[0].id == ca.root.issuer.id);
        CHECK(engine::read_issuers_config(ctx) == ca.root.issuer.id);  // the first issuer is the default
    });
}

TEST_CASE("ops_test: issue_cert returns a certificate signed by the issuer, with its chain and the key generated for it") {
    Ca ca;
    auto issued = ca.issue("www.example.com");
    REQUIRE(issued.cert);
    REQUIRE(issued.private_key);
    X509* cert = issued.cert.get();
    CHECK(pki::x509::common_name(X509_get_subject_name(cert)) == "www.example.com");
    CHECK(X509_verify(cert, X509_get0_pubkey(ca.root.certificate.get())) == 1);
    // The key matches the certificate as delivered (parsed from its PEM).
    CHECK(X509_check_private_key(pki::x509::parse_cert(issued.certificate).get(), issued.private_key.get()) == 1);
    CHECK(issued.certificate == pki::x509::cert_pem(cert));
    CHECK(issued.issuing_ca == ca.root.issuer.certificate);
    REQUIRE(issued.ca_chain.size() == 1);
    CHECK(issued.private_key_type == "ec");
    CHECK(pki::x509::not_after(cert) == ca.now + 24 * 3600);  // the role's ttl
    // Stored: the inventory lists it as valid.
    ca.write("pki", [&](engine::Context& ctx) {
        engine::InventoryFilter www;
        www.name = "www.example.com";
        auto rows = engine::inventory(ctx, www);
        REQUIRE(rows.size() == 1);
        CHECK(rows[0].serial_number == pki::x509::serial_hex(cert));
        CHECK(rows[0].state == engine::InventoryState::Valid);
    });
}

TEST_CASE("ops_test: a ttl over the role's max_ttl is capped, with the warning in the request's context") {
    Ca ca;
    std::vector<std::string> warnings;
    auto issued = ca.issue("a.example.com", 100 * 3600, &warnings);
    CHECK(pki::x509::not_after(issued.cert.get()) == ca.now + 48 * 3600);
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].find("capping to 48h") != std::string::npos);
}

TEST_CASE("ops_test: a name the role refuses is an Error(Denied) and leaves the store as it was") {
    Ca ca;
    try {
        ca.issue("www.other.org");
        FAIL("issued a name outside allowed_domains");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Denied);
        CHECK(std::string(e.what()).find("www.other.org") != std::string::npos);
    }
    ca.write("pki", [&](engine::Context& ctx) { CHECK(engine::inventory(ctx, {}).size() == 1); });  // the root alone
}

TEST_CASE("ops_test: revoke marks the certificate; the inventory filter and list_revoked see it") {
    Ca ca;
    auto kept = ca.issue("kept.example.com");
    auto gone = ca.issue("gone.example.com");
    std::string serial = pki::x509::serial_hex(gone.cert.get());
    ca.now += 60;
    ca.write("pki", [&](engine::Context& ctx) {
        auto r = engine::revoke(ctx, {serial, "", ""});
        CHECK(r.outcome == engine::RevokeOutcome::Revoked);
        CHECK(r.revocation_time == ca.now);
    });
    auto again = ca.write("pki", [&](engine::Context& ctx) {
        CHECK(engine::revoke(ctx, {serial, "", ""}).outcome == engine::RevokeOutcome::AlreadyRevoked);
    });
    CHECK_FALSE(again.empty());  // said, not refused
    ca.write("pki", [&](engine::Context& ctx) {
        CHECK(engine::list_revoked(ctx) == std::vector<std::string>{serial});
        engine::InventoryFilter only_revoked;
        only_revoked.revoked = true;
        auto rows = engine::inventory(ctx, only_revoked);
        REQUIRE(rows.size() == 1);
        CHECK(rows[0].serial_number == serial);
        CHECK(rows[0].state == engine::InventoryState::Revoked);
        // The CRL the default issuer signs lists it.
        std::string der = engine::read_crl_der(ctx);
        const auto* p = reinterpret_cast<const unsigned char*>(der.data());
        X509_CRL* crl = d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size()));
        REQUIRE(crl != nullptr);
        CHECK(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) == 1);
        CHECK(X509_CRL_verify(crl, X509_get0_pubkey(ca.root.certificate.get())) == 1);
        X509_CRL_free(crl);
    });
}

TEST_CASE("ops_test: an issuer's typed leaf_not_after_behavior decides a leaf that would outlive it") {
    Ca ca;
    ca.write("pki", [&](engine::Context& ctx) {
        pki::policy::Role role = engine::read_role(ctx, "web");
        role.max_ttl = 0;  // the mount's maximum: ten years, beyond the root's one
        role.ttl = 0;
        engine::write_role(ctx, role);
    });
    int64_t root_expiry = pki::x509::not_after(ca.root.certificate.get());
    CHECK_THROWS_AS(ca.issue("long.example.com", 2 * 8760 * 3600), Error);  // err: refused
    ca.write("pki", [&](engine::Context& ctx) {
        engine::IssuerUpdate u;
        u.leaf_not_after_behavior = engine::LeafNotAfter::Truncate;
        auto updated = engine::update_issuer(ctx, "root", u);
        CHECK(updated.leaf_not_after_behavior == engine::LeafNotAfter::Truncate);
        CHECK(updated.usage.has(engine::IssuerUse::IssuingCertificates));  // untouched by the update
    });
    auto issued = ca.issue("long.example.com", 2 * 8760 * 3600);
    CHECK(pki::x509::not_after(issued.cert.get()) == root_expiry);
}

TEST_CASE("ops_test: keys: typed generation, rename, the default, and an idempotent delete that warns") {
    Ca ca;
    ca.write("pki", [&](engine::Context& ctx) {
        auto k = engine::generate_key(ctx, {true, "spare", {pki::crypto::KeyType::Ed25519, 0}});
        CHECK(k.entry.type == "ed25519");
        REQUIRE(k.exported);  // exported: handed out once
        CHECK(pki::crypto::describe_key(k.exported.get()).type == pki::crypto::KeyType::Ed25519);
        CHECK(engine::rename_key(ctx, "spare", "other").name == "other");
        CHECK(engine::read_key(ctx, "other").id == k.entry.id);
        CHECK(engine::default_key(ctx) == ca.root.issuer.key_id);  // the root's key came first
        CHECK(engine::make_default_key(ctx, "other") == k.entry.id);
        engine::delete_key(ctx, "other");
    });
    auto warned = ca.write("pki", [&](engine::Context& ctx) { engine::delete_key(ctx, "other"); });
    REQUIRE(warned.size() == 1);
    CHECK(warned[0].find("nothing was deleted") != std::string::npos);
    // The root's key is in use: refused.
    CHECK_THROWS_AS(ca.write("pki", [&](engine::Context& ctx) { engine::delete_key(ctx, ca.root.issuer.key_id); }), Error);
}

TEST_CASE("ops_test: the engine's operations run from several threads at once on one store") {
    Ca ca;
    constexpr int kThreads = 4, kEach = 25;
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                try {
                    ca.issue(fmt::format("h{}-{}.example.com", t, i));
                } catch (...) {
                    ++failures;
                }
            }
        });
    for (auto& th : threads) th.join();
    CHECK(failures == 0);
    ca.write("pki", [&](engine::Context& ctx) { CHECK(engine::inventory(ctx, {}).size() == kThreads * kEach + 1); });  // and the root
}
