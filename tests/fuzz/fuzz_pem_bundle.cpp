// PEM bundles as issuers/import/bundle and config/ca split them: every block, then each
// certificate or key in it parsed as the import would.
#include "crypto/keys.hpp"
#include "fuzz_common.hpp"
#include "x509/cert.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return pki::fuzz::run([&] {
        for (const auto& block : pki::x509::pem_blocks(pki::fuzz::text(data, size))) {
            try {
                if (block.label == "CERTIFICATE") pki::x509::parse_cert(block.text);
                else pki::crypto::parse_private_key(block.text);
            } catch (const pki::Error&) {
            }
        }
    });
}
