#pragma once
// What the issuer files (issuer_store, ca, import, issuers, certs) share inside the engine: the
// issuer record, the default issuer, chain building, adding an issuer, importing PEM. Callers
// outside these files use issuers.hpp.
#include <string>
#include <vector>

#include "engine/issuers.hpp"
#include "engine/records.hpp"

namespace pki::engine {

inline constexpr char kIssuerKind[] = "issuer";
extern const std::vector<std::string> kCaKeyUsage;  // keyCertSign, cRLSign

Json to_record(const Issuer& i);
Issuer from_record(const Json& r);
void save_issuer(store::Txn& txn, const std::string& mount, const Issuer& i);
void set_default_issuer(store::Txn& txn, const std::string& mount, const std::string& id);
void check_issuer_name_free(const store::Txn& txn, const std::string& mount, const std::string& name, const std::string& except);
// Every issuer's ca_chain: itself, then its parents (manual_chain when set).
void rebuild_chains(store::Txn& txn, const std::string& mount);
// Store a new issuer for `cert` (the default one when the mount has none), rebuild the chains
// and its CRL.
Issuer add_issuer(Context& ctx, X509* cert, const std::string& key_id, const std::string& name);
Issuer default_issuer(const store::Txn& txn, const std::string& mount);  // Error(NotFound) with a hint


}  // namespace pki::engine
