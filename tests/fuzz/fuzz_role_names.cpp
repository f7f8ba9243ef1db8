// The role name policy: a name, URI, other SAN, IP or subject serial checked against role settings
// drawn from the first bytes of the input.
#include "fuzz_common.hpp"
#include "policy/idna.hpp"
#include "policy/names.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return pki::fuzz::run([&] {
        if (size < 2) return;
        uint8_t flags = data[0];
        auto rest = pki::fuzz::text(data + 1, size - 1);
        auto split = rest.find('\n');
        std::string allowed(rest.substr(0, split));
        std::string_view name = split == std::string_view::npos ? rest : rest.substr(split + 1);
        pki::policy::NamePolicy p;
        p.allowed_domains = {allowed, "example.com"};
        p.allow_bare_domains = flags & 1;
        p.allow_subdomains = flags & 2;
        p.allow_glob_domains = flags & 4;
        p.allow_any_name = flags & 8;
        p.allow_localhost = flags & 16;
        p.enforce_hostnames = flags & 32;
        p.allow_wildcard_certificates = flags & 64;
        pki::policy::check_name(p, name);
        pki::policy::check_uri_san({allowed}, name);
        pki::policy::check_other_san({allowed}, name);
        pki::policy::check_ip_san(flags & 128, name);
        pki::policy::check_subject_serial({allowed}, name);
        pki::policy::glob_match(allowed, name);
        pki::policy::to_ascii(name);
    });
}
