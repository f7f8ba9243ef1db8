#pragma once
// The CA lifecycle: generating roots and intermediate CSRs, cross-signing, signing intermediates
// and self-issued certificates, installing signed intermediates, importing CA bundles, and
// deleting every issuer of a mount.
#include "api/request.hpp"
#include "engine/engine.hpp"
#include "engine/issuers.hpp"
#include "engine/records.hpp"

namespace pki::engine {

struct ImportResult {
    Json imported_issuers = Json::array();
    Json imported_keys = Json::array();
    Json mapping = Json::object();
    std::vector<std::string> warnings;
};
ImportResult import_pem(Context& ctx, const std::string& pem, bool allow_keys, const char* field);
Json import_response(const ImportResult& r);

api::Response generate_root(Context& ctx);
api::Response generate_intermediate(Context& ctx);
api::Response cross_sign(Context& ctx);
api::Response sign_intermediate(Context& ctx);
api::Response sign_self_issued(Context& ctx);
api::Response set_signed(Context& ctx);
api::Response import_bundle(Context& ctx);
api::Response import_cert(Context& ctx);
api::Response delete_root(Context& ctx);

}  // namespace pki::engine
