#pragma once
// CIDR blocks ("10.0.0.0/8", "2001:db8::/32", or a bare address for one host) and whether an
// address lies in one: for the bound CIDRs of tokens and AppRole secret IDs.
#include <string>
#include <string_view>
#include <vector>

namespace pki::util {

// The address a request comes from, for bound-CIDR checks: `remote` over pki serve; the local
// operator ("") counts as loopback.
inline std::string request_address(std::string_view remote) { return remote.empty() ? "127.0.0.1" : std::string(remote); }

// Error(Invalid) naming `field` unless every entry is a CIDR block or an address.
void check_cidrs(const std::vector<std::string>& cidrs, std::string_view field);
// Whether `address` (an IPv4 or IPv6 literal; an IPv4-mapped IPv6 address counts as IPv4) lies in
// one of `cidrs`. An empty or unparsable address lies in none.
bool address_in(std::string_view address, const std::vector<std::string>& cidrs);
// Whether every block of `inner` lies wholly within one block of `outer` (same family, a prefix at
// least as long, its network inside), as Vault's cidrutil.SubsetBlocks. Empty `outer`: true.
bool cidrs_within(const std::vector<std::string>& inner, const std::vector<std::string>& outer);

}  // namespace pki::util
