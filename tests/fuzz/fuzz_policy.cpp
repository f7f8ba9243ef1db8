// ACL policies as sys/policies/acl and pki policy write take them (HCL or JSON), and the ACL built
// from what parses, asked about a path taken from the same input.
#include "fuzz_common.hpp"
#include "policy/acl.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return pki::fuzz::run([&] {
        auto in = pki::fuzz::text(data, size);
        auto policy = pki::policy::parse_policy(in);
        pki::policy::Acl acl({policy});
        for (const auto& r : policy.rules) {
            acl.capabilities(r.path, false);
            acl.capabilities(r.path + "/", true);
            pki::policy::capability_names(r.capabilities);
        }
        acl.capabilities(in.substr(0, 64), false);
    });
}
