// Manual pages. Each page's prose is written here; its lists of commands, paths, operations and
// fields are generated from the command tree and the operation table, so they cannot drift.
// `pki man PAGE` prints one page; `pki man --write DIR` writes them all (man/ holds the result,
// and a test regenerates and compares).
#include <fstream>
#include <sstream>

#include "cli/session.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::cli {
namespace {

struct Page {
    const char* name;           // pki-role
    std::vector<std::string> families;
    const char* summary;
    const char* description;    // roff paragraphs
    const char* examples;       // roff
};

std::vector<Page> pages() {
    return {
        {"pki-secrets", {"secrets"}, "enable, tune, list and disable pki mounts",
         "A mount is an independent certificate authority inside the state directory: its own keys, issuers, roles, "
         "certificates and CRLs, under its own name (pki, pki_int ...). The Vault spelling "
         "\\fBpki secrets enable -path=NAME pki\\fR and the ergonomic \\fBpki mount create NAME\\fR do the same thing.\n.PP\n"
         "Lease TTLs bound certificate lifetimes: \\fBdefault_lease_ttl\\fR applies when a request and its role give none, "
         "\\fBmax_lease_ttl\\fR caps every certificate of the mount (both default to 768h, as in Vault). "
         "Disabling a mount deletes every record in it.",
         ".EX\npki secrets enable pki\npki secrets tune -max-lease-ttl=87600h pki\npki secrets enable -path=pki_int -description=\"issuing CA\" pki\n"
         "pki secrets list -format=json\npki mount delete pki_int\n.EE"},
        {"pki-key", {"key"}, "generate, import, list, rename and delete keys",
         "Keys are the private keys of a mount's CA certificates. A key is generated \\fBinternal\\fR (it never leaves the state "
         "directory) or \\fBexported\\fR (its private part is returned once, in that response only), or imported from PEM. "
         "Reading a key never returns private material. Keys are referred to by id, by name, or as \\fBdefault\\fR; the first key "
         "of a mount becomes its default. A key used by an issuer cannot be deleted.\n.PP\n"
         "Key types: rsa (2048, 3072, 4096, 8192 bits; 2048 by default), ec (P-224, P-256, P-384, P-521; P-256 by default), ed25519. "
         "RSA keys below 2048 bits are refused, also on import.",
         ".EX\npki key generate internal --key-type ec --key-name root-2026\npki write pki/keys/import pem_bundle=@key.pem key_name=old-root\n"
         "pki key list\npki key update root-2026 --key-name root-2026-a\n.EE"},
        {"pki-root", {"root"}, "generate root CAs and sign with them",
         "\\fBroot generate\\fR creates a self-signed CA certificate (a new issuer) with a new key (internal or exported) or an "
         "existing one (\\fBkey_ref\\fR). It is CA:TRUE (critical), has the keyCertSign and cRLSign key usages, a subject key "
         "identifier and an authority key identifier equal to it; its lifetime is capped by the mount's max lease TTL. "
         "Generating a root never replaces an issuer: a mount may hold several.\n.PP\n"
         "\\fBroot sign-intermediate\\fR signs an intermediate CA's CSR with the default issuer (see \\fBpki-issuer\\fR(1) for "
         "any other issuer); the path length is one less than the signer's when it has one, and a signer with path length 0 "
         "refuses. \\fBroot sign-self-issued\\fR re-signs a self-issued CA certificate. \\fBroot delete\\fR deletes every "
         "issuer and key of the mount.",
         ".EX\npki write pki/root/generate/internal common_name=\"Example Root\" ttl=87600h key_type=ec\n"
         "pki root generate exported --common-name \"Example Root\" --max-path-length 1 --field private_key > root.key\n"
         "pki write pki/root/sign-intermediate csr=@int.csr format=pem_bundle ttl=43800h\n.EE"},
        {"pki-intermediate", {"intermediate"}, "intermediate CAs: CSRs, cross-signing, installing signed certificates",
         "An intermediate CA is made in three steps: \\fBintermediate generate\\fR makes a key and a CSR (no issuer yet); "
         "another CA signs the CSR (\\fBpki root sign-intermediate\\fR on another mount or another state directory, or any "
         "external CA); \\fBintermediate set-signed\\fR installs the signed certificate, and any chain after it, as issuers "
         "that find their key by its public half. Only the CSR and the certificate need to travel, so the root can stay "
         "offline in a state directory of its own.\n.PP\n"
         "\\fBintermediate cross-sign\\fR makes a CSR from an existing key, for another CA to cross-sign; after set-signed, "
         "the mount holds both certificates and every chain lists every valid parent path.",
         ".EX\npki write -field=csr pki_int/intermediate/generate/internal common_name=\"Example Intermediate\" > int.csr\n"
         "pki write -field=certificate pki/root/sign-intermediate csr=@int.csr format=pem_bundle ttl=43800h > int.pem\n"
         "pki write pki_int/intermediate/set-signed certificate=@int.pem\n.EE"},
        {"pki-issuer", {"issuer", "ca"}, "issuers: list, read, configure, delete, and per-issuer signing",
         "Every CA certificate a mount holds is an issuer: generated roots, installed intermediates, imported CA certificates. "
         "Issuers are referred to by id, by name, or as \\fBdefault\\fR (see \\fBpki config issuers write\\fR). An issuer's "
         "\\fBusage\\fR says what it may do (read-only, issuing-certificates, crl-signing, ocsp-signing); \\fBleaf_not_after_behavior\\fR "
         "says what happens when a certificate would outlive it (err, truncate, permit); \\fBmanual_chain\\fR replaces the "
         "automatic chain.\n.PP\n"
         "Chains are built automatically from every issuer of the mount: a parent is an issuer whose subject is the child's "
         "issuer name and whose key verifies the child's signature. Every valid parent path is listed, self-signed roots before "
         "cross-signed ones, without duplicates, in the same order on every rebuild.\n.PP\n"
         "Import takes PEM bundles in any order; only CA certificates are accepted, duplicates are ignored, and a key imported "
         "after its certificate links up with it. An issuer without its key can be read but cannot sign.",
         ".EX\npki issuer list\npki patch pki/issuer/default issuer_name=root-2026\n"
         "pki issuer patch root-2026 --usage read-only,crl-signing\npki write pki/issuers/import/bundle pem_bundle=@ca-and-key.pem\n"
         "pki read pki/ca/pem > ca.pem\n.EE"},
        {"pki-role", {"role"}, "roles: the policy certificates are issued under",
         "A role says which names a certificate may carry and what it looks like: key type and size, key usages and extended "
         "key usages, lifetimes, subject fields, and which issuer signs. Names (the common name, DNS and e-mail SANs) are "
         "checked against \\fBallowed_domains\\fR with three independent modes: \\fBallow_bare_domains\\fR (the domain "
         "itself), \\fBallow_subdomains\\fR (any name under it, wildcards included) and \\fBallow_glob_domains\\fR (\\fB*\\fR "
         "in an entry matches anything, dots included); a name passes when any mode allows it, and one refused name refuses "
         "the whole request. \\fBallow_any_name\\fR allows every name, but \\fBenforce_hostnames\\fR and "
         "\\fBallow_wildcard_certificates\\fR still apply. International names are checked in their IDNA form.\n.PP\n"
         "\\fBrole write\\fR replaces the whole role (omitted fields take their defaults); \\fBrole patch\\fR changes only "
         "the given fields.",
         ".EX\npki write pki/roles/web allowed_domains=example.com allow_subdomains=true max_ttl=72h\n"
         "pki role write web --allowed-domains example.com --allow-subdomains --key-type ec --max-ttl 72h\n"
         "pki role patch web --ttl 24h\n.EE"},
        {"pki-issue", {"issue"}, "issue certificates and sign CSRs under roles",
         "\\fBissue\\fR generates a key and a certificate under a role and returns both; the private key is returned once and "
         "never stored. \\fBsign\\fR signs a CSR whose signature verifies and whose key meets the role. \\fBsign-verbatim\\fR "
         "signs a CSR as it is (never a CA certificate); with a role it takes only the role's lifetimes and storage settings.\n.PP\n"
         "Lifetime: the request's ttl, else the role's, else the mount default; capped by the role's max_ttl, else the mount "
         "maximum (capping warns, it does not fail); past the issuer's own expiry, the issuer's leaf_not_after_behavior decides. "
         "Serial numbers are 159 random bits from the CSPRNG, unique in the mount. Signatures use SHA-256 for RSA (or "
         "signature_bits), the curve's own hash for EC, and pure Ed25519.",
         ".EX\npki issue web --common-name www.example.com --alt-names api.example.com --ttl 24h -format=json\n"
         "pki write -field=certificate pki/sign/web csr=@req.csr > cert.pem\npki issuer issue root-2026 web --common-name a.example.com\n.EE"},
        {"pki-revoke", {"revoke"}, "revoke certificates",
         "Revokes a stored certificate by serial number (colon- or hyphen-separated hex, any case), or any certificate of the "
         "mount's issuers given as PEM (also one issued with no_store). Revoking again answers the first revocation time; an "
         "expired certificate is not added; an issuer's own certificate is refused (revoke it on its parent's mount). "
         "\\fBreason\\fR puts an RFC 5280 reasonCode in the CRL entry and the OCSP answer: unspecified (written as no "
         "reasonCode, as RFC 5280 5.3.1 asks), keyCompromise, cACompromise, affiliationChanged, superseded, "
         "cessationOfOperation, privilegeWithdrawn or aACompromise. Vault has no such field; certificateHold and removeFromCRL "
         "are refused, since a hold could not be released here. Without \\fBauto_rebuild\\fR (config/crl) the CRL of the "
         "issuer that signed the certificate is rebuilt in the same transaction; with it, the revocation is recorded and the "
         "CRL marked stale, so a revoke costs the same with a million revoked entries as with ten (see pki-crl(1)).",
         ".EX\npki write pki/revoke serial_number=39:dd:2e:90:b7:23:1f:8d\npki revoke --certificate @leaf.pem --reason keyCompromise\n.EE"},
        {"pki-crl", {"crl"}, "certificate revocation lists, delta CRLs and OCSP",
         "Each issuer signs its own version 2 CRL (issuers sharing subject and key share one) with the authority key identifier, "
         "a CRL number that grows by one on every build, thisUpdate now and nextUpdate now plus \\fBexpiry\\fR (72h by default). "
         "Only issuers with the crl-signing usage, the cRLSign key usage and a key sign CRLs; an issuer whose crl-signing usage "
         "is taken away keeps serving its last CRL, frozen (the way to retire an issuer). With \\fBdisable\\fR set, CRLs are "
         "signed and empty; revocations are still recorded and reappear when CRLs are enabled again. CRLs are built from the "
         "revoked entries only, never from the whole certificate store, and encoded entry by entry (a million entries take "
         "their DER, about 40 MB, not a million OpenSSL objects).\n.PP\n"
         "\\fBauto_rebuild\\fR (Vault 1.12): a revocation only marks the CRL stale. The complete CRL is rebuilt when it comes "
         "within \\fBauto_rebuild_grace_period\\fR (12h) of its nextUpdate, on \\fBcrl/rotate\\fR, and, for the CLI without "
         "a server, when a stale CRL is read (a read-only state directory serves the stale CRL with a warning). \\fBpki "
         "serve\\fR does the rebuilds in the background (\\fB--crl-check-interval\\fR, 60s) and never on a read.\n.PP\n"
         "\\fBenable_delta\\fR (needs auto_rebuild): delta CRLs (RFC 5280 5.2.4) at \\fBcrl/delta\\fR, \\fBcrl/delta/pem\\fR, "
         "\\fBcert/delta-crl\\fR and \\fBissuer/:ref/crl/delta\\fR[\\fB/der\\fR|\\fB/pem\\fR] list the entries revoked since "
         "the complete CRL and carry its number in the critical Delta CRL Indicator; complete and delta CRLs share one CRL "
         "number. A delta that lacks revocations is rebuilt every \\fBdelta_rebuild_interval\\fR (15m) by pki serve, on "
         "\\fBcrl/rotate-delta\\fR, and on a local read; each complete rebuild starts a new, empty delta. With "
         "\\fBdelta_crl_distribution_points\\fR in config/urls, complete CRLs and the certificates issued afterwards carry the "
         "Freshest CRL extension, so \\fBopenssl verify -crl_check -use_deltas\\fR finds the delta.\n.PP\n"
         "OCSP (RFC 6960): \\fBocsp\\fR answers without a token, over pki serve as Vault 1.12 does (POST of "
         "application/ocsp-request, or GET of \\fBocsp/\\fR\\fIbase64-request\\fR) and offline with \\fBpki ocsp --request "
         "\\fR\\fIFILE\\fR or \\fB--serial\\fR \\fISERIAL\\fR. Each response is signed by the issuer the request names (it needs "
         "its key and the ocsp-signing usage), or by its delegated responder (RFC 6960 4.2.2.2) when \\fBconfig/ocsp\\fR names one: "
         "a certificate with the OCSPSigning extended key usage that the issuer signed, whose key the mount holds "
         "(keys/import); it is included in each response, and outside its validity the issuer signs again (not a Vault "
         "path). Status good for a stored certificate, revoked with time and reason, unknown "
         "otherwise; thisUpdate now, nextUpdate now plus \\fBocsp_expiry\\fR (12h; 0 leaves it out). A malformed request is "
         "answered malformedRequest (HTTP 400), OCSP turned off (\\fBocsp_disable\\fR) or no issuer able to sign is "
         "unauthorized (HTTP 401). Unlike Vault, every certificate of a request is answered (Vault answers the first), the "
         "request's nonce is echoed (Vault drops it, and clients that require one fail), and a serial the mount never stored "
         "is unknown (Vault says good).",
         ".EX\npki read pki/crl/pem > crl.pem\npki write pki/config/crl auto_rebuild=true enable_delta=true\n"
         "pki write pki/config/urls delta_crl_distribution_points=http://ca.example.com/v1/pki/crl/delta\n"
         "openssl verify -crl_check -use_deltas -CAfile ca.pem -CRLfile crl.pem -CRLfile delta.pem leaf.pem\n"
         "openssl ocsp -url http://127.0.0.1:8200/v1/pki/ocsp -issuer ca.pem -cert leaf.pem -CAfile ca.pem\n"
         "pki ocsp --serial 39:dd:2e:90:b7:23:1f:8d -o response.der\n"
         "pki write pki/keys/import pem_bundle=@responder.key && pki write pki/config/ocsp certificate=@responder.pem\n.EE"},
        {"pki-cert", {"cert"}, "read, list and inventory stored certificates",
         "Every issued certificate (unless its role has no_store) is stored under its serial number. \\fBcert/:serial\\fR "
         "answers the certificate and its revocation time (0 when not revoked); \\fBca\\fR, \\fBca_chain\\fR and \\fBcrl\\fR "
         "are special serials. \\fBpki cert list\\fR is the inventory: serial, common name, SANs, notAfter, issuer and state "
         "of every stored certificate, with filters, read from compact summaries so it stays fast on large stores.",
         ".EX\npki list pki/certs\npki cert list --expiring-within 720h\npki cert list --revoked -format=json | jq -r '.data.certificates[].serial_number'\n"
         "pki read pki/cert/39:dd:2e:90:b7:23:1f:8d/raw/pem\n.EE"},
        {"pki-config", {"config"}, "mount configuration: default key, default issuer, URLs",
         "\\fBconfig/keys\\fR and \\fBconfig/issuers\\fR hold the mount's default key and default issuer. \\fBconfig/urls\\fR "
         "holds the URLs written into certificates issued afterwards: issuing certificate URLs and OCSP servers (authority "
         "information access), CRL distribution points and delta CRL distribution points (the Freshest CRL extension, also "
         "on complete CRLs when delta CRLs are on); writing updates only the given lists, and an empty value clears one.",
         ".EX\npki write pki/config/urls issuing_certificates=http://ca.example.com/v1/pki/ca crl_distribution_points=http://ca.example.com/v1/pki/crl\n"
         "pki config issuers write --default root-2026\n.EE"},
        {"pki-tidy", {"tidy"}, "remove expired certificates and revoked entries",
         "Tidy removes certificates (\\fBtidy_cert_store\\fR) and revoked entries (\\fBtidy_revoked_certs\\fR) whose expiry is "
         "more than \\fBsafety_buffer\\fR (72h by default) in the past, in bounded transactions so a large store never needs one "
         "huge write, then rebuilds the CRLs that lost entries. It runs in the foreground, with a progress bar on standard error "
         "when that is a terminal (\\fB--quiet\\fR silences it). A second tidy of the same mount while one runs is refused. "
         "\\fBtidy-status\\fR reports the running or last tidy.",
         ".EX\npki write pki/tidy tidy_cert_store=true tidy_revoked_certs=true safety_buffer=24h\npki read pki/tidy-status\n.EE"},
        {"pki-token", {"token"}, "tokens for pki serve",
         "Every request to \\fBpki serve\\fR needs a token (X-Vault-Token, or Authorization: Bearer), except reads of the CA "
         "certificates, the CRLs and stored certificates, OCSP, sys/health and AppRole login, which are open as in Vault. The "
         "first \\fBpki serve\\fR on a state directory creates a root token and shows it once. \\fBpki token create\\fR, run on "
         "the state directory, and \\fBauth/token/create\\fR over HTTP mint more; a token is shown once and only its SHA-256 "
         "hash is stored, beside an accessor that may be shown and logged. A token carries policies (see \\fBpki-policy\\fR(1); "
         "\\fBdefault\\fR is added unless \\fB-no-default-policy\\fR), a TTL (768h by default, the system maximum) and maximum, "
         "\\fBrenewable\\fR, a use limit (\\fB-use-limit\\fR, Vault's num_uses: the last use revokes it; unlike Vault, a "
         "request that is refused, by a policy or as bad input, uses nothing, since it changes nothing) and \\fBbound_cidrs\\fR "
         "(the addresses it may be used from; a child is bound within its parent's). A child gets only policies its parent has "
         "(unless the parent has sudo on auth/token/create), never outlives it, and is revoked with it; \\fBno_parent\\fR needs "
         "sudo, \\fBauth/token/create-orphan\\fR only its own capability, and \\fBrevoke-orphan\\fR (sudo) revokes a token but "
         "not its children. A use-limited token cannot create tokens. Policy names are lower-case: a name in another case is "
         "refused rather than rewritten, so the path a policy check sees is the policy's own. "
         "\\fBlookup-accessor\\fR, \\fBrenew-accessor\\fR and \\fBrevoke-accessor\\fR act on a token known by its accessor; "
         "\\fBsys/capabilities-self\\fR and \\fBpki token capabilities\\fR say what a token may do on a path.",
         ".EX\npki token create -policy=web -ttl=24h -display-name=deploy -field=token > deploy.token\n"
         "pki token create -policy=web -use-limit=1 -format=json\n"
         "curl -H \"X-Vault-Token: $(cat deploy.token)\" http://127.0.0.1:8200/v1/auth/token/lookup-self\n"
         "pki token revoke-accessor --accessor 1hG3...\n.EE"},
        {"pki-policy", {"policy"}, "ACL policies: who may do what over pki serve",
         "Policies are Vault's: path blocks, each with capabilities \\fBcreate\\fR, \\fBread\\fR, \\fBupdate\\fR, "
         "\\fBpatch\\fR, \\fBdelete\\fR, \\fBlist\\fR, \\fBsudo\\fR and \\fBdeny\\fR, in the HCL form Vault's documentation "
         "writes (comments with #, // and /* */; several blocks; the older \\fBpolicy = \"write\"\\fR form) or in Vault's JSON "
         "form. A path is exact, ends in \\fB*\\fR (a prefix, matching inside a segment too), or has \\fB+\\fR segments "
         "(exactly one segment each). For a request the most specific rule decides, in Vault's order: an exact path first; "
         "then, among the matching prefixes and + paths, the one whose first wildcard comes latest, then one that is not a "
         "prefix, then fewer + segments, then the longer. Rules for the same path in several policies add up, and \\fBdeny\\fR "
         "in any of them leaves only deny. Operations need the capability Vault maps them to: read, list, delete, patch, and "
         "for writes update, or create for a new AppRole role (the only path with Vault's existence check; every pki path takes "
         "update, as in Vault). \\fBsys/auth/*\\fR and \\fBauth/token/accessors\\fR need sudo too. A refusal is HTTP 403 with one "
         "line naming the capability and the path; a token that is not valid learns nothing beyond \"permission denied\". "
         "\\fBroot\\fR is built in and grants everything; \\fBdefault\\fR (lookup-self, renew-self, revoke-self, "
         "sys/capabilities-self) may be rewritten but not deleted. A policy that does not parse is refused with its line and "
         "column. Differences from Vault: allowed_parameters, denied_parameters, required_parameters, the wrapping TTLs, "
         "mfa_methods and control_group are refused (they would not be enforced), identity templating has no identities to "
         "fill in, and heredoc strings are not read.",
         ".EX\ncat > web.hcl <<'EOF'\npath \"pki/issue/web\" {\n  capabilities = [\"update\"]\n}\nEOF\n"
         "pki policy write web web.hcl\npki policy list\npki token create -policy=web -ttl=24h\n"
         "curl -X PUT -H \"X-Vault-Token: $VAULT_TOKEN\" --data @policy.json http://127.0.0.1:8200/v1/sys/policies/acl/web\n.EE"},
        {"pki-managed-key", {"managed-key"}, "CA keys on PKCS#11 tokens: HSMs, smart cards, SoftHSM",
         "A managed key (Vault's, of type pkcs11) tells pki where a CA key lives on a PKCS#11 token and how to reach it: "
         "\\fBlibrary\\fR (the module's absolute path, loaded when the key is first used), \\fBslot\\fR or "
         "\\fBtoken_label\\fR, the user PIN (\\fBpin\\fR, kept in the state directory until sealing comes; or "
         "\\fBpin_file\\fR, a small regular file, or \\fBpin_env\\fR, a variable, both read at each use so the state holds "
         "no PIN), \\fBkey_label\\fR and/or \\fBkey_id\\fR (CKA_LABEL, CKA_ID: 0x and hex digits as pkcs11-tool's --id), "
         "and \\fBmechanism\\fR: 0x0001 (CKM_RSA_PKCS, RSA with PKCS#1 v1.5 as the reference says) or 0x1041 (CKM_ECDSA, "
         "P-256, P-384 or P-521). With \\fBallow_generate_key\\fR, a key that is not on the token is generated there "
         "(\\fBkey_bits\\fR, \\fBcurve\\fR), sensitive and never extractable, used only to sign. A mount may use a "
         "managed key when the key has \\fBany_mount\\fR or the mount lists it in \\fBallowed_managed_keys\\fR "
         "(sys/mounts/MOUNT/tune), as in Vault. Then \\fBtype kms\\fR with \\fBmanaged_key_name\\fR or "
         "\\fBmanaged_key_id\\fR on keys/generate, root/generate and intermediate/generate makes the mount's key the "
         "token's; key_type and key_bits are refused there (the managed key decides). Everything else works as with any key: "
         "issue, sign, sign-intermediate, cross-sign, CRLs, delta CRLs and OCSP are signed on the token, which never gives "
         "the key out; exported requests never return it. \\fBtest/sign\\fR signs random bytes and verifies the signature. "
         "A wrong PIN, a missing module, slot, token or key, or a key of the wrong type is refused in one line naming the "
         "module, slot and key (exit 1, HTTP 400), with nothing changed; a PIN the token refused is not tried again by the "
         "same process, since tokens lock after a few wrong PINs. A token that is removed while pki serve runs answers HTTP "
         "503; put back, it is used again without a restart. A key that is gone from the token is never generated anew for "
         "a mount that used it. Keys on a YubiKey (PIV) work through OpenSC's module: library=/usr/lib/x86_64-linux-gnu/"
         "opensc-pkcs11.so, token_label as \\fBpkcs11-tool --list-slots\\fR shows it, key_id=0x01 for PIV slot 9a "
         "(0x02 for 9c), with the key made on the device first (ykman piv keys generate, then a certificate in the slot so "
         "OpenSC shows the key). A key that asks for the PIN at every signature (CKA_ALWAYS_AUTHENTICATE, as slot 9c) gets "
         "it as a context-specific login, from the managed key's PIN. The sys/managed-keys paths need sudo over pki serve (library is a module "
         "the server loads). Differences from Vault: only type pkcs11; library is a path; pin_file and pin_env are pki's; "
         "allow_replace_key, allow_store_key and force_rw_session are stored with no effect (sessions are read-write unless "
         "the token is write-protected). \\fBmax_parallel\\fR (default 1, as Vault) is how many signatures may be in "
         "flight on the token at once, each on a session of its own: raise it for a token that signs in parallel.",
         ".EX\npki write sys/managed-keys/pkcs11/root-hsm library=/usr/lib/softhsm/libsofthsm2.so token_label=ca \\e\n"
         "    pin_file=/etc/pki/ca.pin key_label=root mechanism=0x1041 curve=P-384 allow_generate_key=true any_mount=true\n"
         "pki write sys/managed-keys/pkcs11/root-hsm/test/sign\n"
         "pki write pki/root/generate/kms managed_key_name=root-hsm common_name=\"Example Root\" ttl=87600h\n"
         "pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --token-label ca --login --list-objects\n.EE"},
        {"pki-approle", {"approle", "auth"}, "AppRole logins for machines",
         "AppRole is Vault's login for machines (Vault Agent, cert-manager, scripts). Enable it once with \\fBpki auth enable "
         "approle\\fR (or POST sys/auth/approle with type approle; it lives at auth/approle only). A role names the policies "
         "and limits of the tokens its logins get: \\fBtoken_policies\\fR, \\fBtoken_ttl\\fR, \\fBtoken_max_ttl\\fR, "
         "\\fBtoken_explicit_max_ttl\\fR, \\fBtoken_num_uses\\fR, \\fBtoken_bound_cidrs\\fR, \\fBtoken_no_default_policy\\fR; "
         "and of its secret IDs: \\fBbind_secret_id\\fR, \\fBsecret_id_ttl\\fR, \\fBsecret_id_num_uses\\fR, "
         "\\fBsecret_id_bound_cidrs\\fR. A write changes only the fields given. A machine logs in at \\fBauth/approle/login\\fR "
         "(open, as in Vault) with the role's \\fBrole_id\\fR and one of its \\fBsecret_id\\fRs, and gets an orphan token "
         "with the role's policies (plus default) and metadata role_name. Secret IDs are returned once and stored as SHA-256 "
         "hashes, each with an accessor for listing, lookup and destroying; a use-limited one is deleted by its last login. "
         "A wrong role ID or secret ID, an expired or used-up secret ID, or an address outside the bound CIDRs is refused "
         "(HTTP 400, one line, never the secret) and changes nothing. Local requests count as coming from 127.0.0.1. Periodic "
         "and batch tokens are not supported.",
         ".EX\npki auth enable approle\npki approle role write agent --token-policies web --token-ttl 20m --secret-id-num-uses 1\n"
         "pki approle role-id read agent -field=role_id > role_id\n"
         "pki approle secret-id generate agent -field=secret_id > secret_id\n"
         "curl -s -d \"{\\\"role_id\\\":\\\"$(cat role_id)\\\",\\\"secret_id\\\":\\\"$(cat secret_id)\\\"}\" "
         "http://127.0.0.1:8200/v1/auth/approle/login | jq -r .auth.client_token\n.EE"},
    };
}

std::string esc(const std::string& s) {
    std::string out;
    bool line_start = true;
    for (char c : s) {
        if (c == '\\') out += "\\e";
        else if (line_start && (c == '.' || c == '\'')) out += std::string("\\&") + c;
        else out += c;
        line_start = c == '\n';
    }
    return out;
}

void header(std::ostream& o, const std::string& name, const std::string& summary) {
    std::string upper;
    for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    o << ".TH " << upper << " 1 \"\" \"pki " << PKI_VERSION << "\" \"pki manual\"\n";
    o << ".SH NAME\n" << name << " \\- " << esc(summary) << "\n";
}

void paths_section(std::ostream& o, const api::Table& table, const std::vector<std::string>& families) {
    o << ".SH PATHS\n";
    o << "Each path below is relative to a mount (\\fIMOUNT\\fR/...); generic commands take it as \\fBpki read|write|list|"
         "delete|patch\\fR \\fIMOUNT/PATH\\fR [\\fIfield\\fR=\\fIvalue\\fR ...], ergonomic commands take \\fB\\-m\\fR \\fIMOUNT\\fR "
         "(default pki) and each field as \\fB\\-\\-field\\-name\\fR.\n";
    for (const auto& spec : table.paths()) {
        if (std::find(families.begin(), families.end(), spec.family) == families.end()) continue;
        o << ".SS " << esc(spec.display()) << "\n" << esc(spec.description) << "\n";
        for (const auto& op : spec.ops) {
            o << ".TP\n\\fB" << api::op_name(op.op) << "\\fR";
            if (!op.command.empty()) o << " (\\fBpki " << esc(util::join(op.command, " ")) << "\\fR)";
            o << "\n" << esc(op.summary) << "\n";
        }
        bool any = false;
        for (const auto& f : spec.fields) {
            if (!any) o << ".PP\nFields:\n";
            any = true;
            std::string d = api::default_text(f);
            o << ".TP\n\\fB" << esc(f.name) << "\\fR (" << api::type_name(f.type) << (f.in_path ? ", in the path" : "")
              << (d.empty() ? "" : ", default " + esc(d)) << ")\n"
              << esc(f.help) << (f.choices.empty() ? "" : " One of: " + esc(api::choices_text(f)) + ".") << "\n";
        }
    }
}

std::string overview(CLI::App& app) {
    std::ostringstream o;
    header(o, "pki", "a local certificate authority with the Vault PKI API");
    o << ".SH SYNOPSIS\n\\fBpki\\fR [\\fB\\-\\-state\\-dir\\fR \\fIDIR\\fR] [\\fB\\-\\-format\\fR \\fIFORMAT\\fR] "
         "[\\fB\\-\\-field\\fR \\fINAME\\fR] \\fICOMMAND\\fR ...\n";
    o << ".SH DESCRIPTION\n\\fBpki\\fR does locally, in one state directory, what the Vault PKI secrets engine does in a Vault "
         "cluster: mounts, keys, issuers, roles, issuing and signing, intermediates, revocation, CRLs and tidy. Every Vault path "
         "works with \\fBvault\\fR replaced by \\fBpki\\fR (\\fBpki write pki/roles/web allowed_domains=example.com\\fR), and "
         "every path also has an ergonomic command (\\fBpki role write web \\-\\-allowed\\-domains example.com\\fR). Vault's "
         "one-dash flags (\\fB\\-format=json\\fR) are accepted as well as two-dash ones.\n";
    o << ".SH OPTIONS\n";
    for (const CLI::Option* opt : app.get_options())
        if (!opt->get_positional() && !opt->get_lnames().empty()) {
            o << ".TP\n\\fB\\-\\-" << esc(opt->get_lnames().front()) << "\\fR";
            if (opt->get_expected_min() > 0) o << " \\fI" << esc(opt->get_type_name()) << "\\fR";
            o << "\n" << esc(opt->get_description()) << "\n";
        }
    o << ".SH COMMANDS\n";
    for (CLI::App* c : app.get_subcommands([](CLI::App*) { return true; }))
        if (!c->get_group().empty()) o << ".TP\n\\fB" << esc(c->get_name()) << "\\fR\n" << esc(c->get_description()) << "\n";
    o << ".SH FIELD VALUES\nGeneric commands take fields as \\fIkey\\fR=\\fIvalue\\fR; \\fIkey\\fR=@\\fIfile\\fR reads the value "
         "from a file and \\fIkey\\fR=\\- from standard input; a lone \\fB\\-\\fR reads a JSON object of fields from standard "
         "input, a lone @\\fIfile\\fR from a file (Vault's \\fB@payload.json\\fR). A key given twice makes a list, as in Vault (\\fBallowed_domains=a allowed_domains=b\\fR); a field that "
         "takes one value refuses it. Giving one field both as a flag and as \\fIkey\\fR=\\fIvalue\\fR is a usage error. "
         "Lists are also comma-separated. Durations are seconds or Go-style units (\\fB72h\\fR, \\fB30m\\fR, \\fB1h30m\\fR, "
         "\\fB1.5h\\fR, \\fB1d\\fR) and must come to whole seconds; times are UTC, \\fBYYYY\\-MM\\-DDTHH:MM:SSZ\\fR. "
         "Deleting a role, key or issuer that does not exist succeeds with a warning, as in Vault. A field the path does not "
         "know is ignored, as Vault ignores it, with Vault's warning (\"Endpoint ignored these unrecognized parameters: [...]\") "
         "and one naming the closest known field (\\fBallowed_domain\\fR: did you mean \\fBallowed_domains\\fR?); an unknown "
         "\\fB\\-\\-flag\\fR of an ergonomic command stays a usage error.\n";
    o << ".SH STATE DIRECTORY\nAll state lives in one LMDB environment (\\fIdata.mdb\\fR, \\fIlock.mdb\\fR) in one directory, "
         "chosen by \\fB\\-\\-state\\-dir\\fR, else \\fBPKI_STATE_DIR\\fR, else \\fI$XDG_DATA_HOME/pki\\fR, else "
         "\\fI~/.local/share/pki\\fR. It is created with mode 0700 and its files 0600; a looser existing directory gets a "
         "warning. Every request runs in one transaction: it commits whole or changes nothing. Any number of \\fBpki\\fR "
         "processes may use one state directory at once (make \\-j, Ansible forks): writers take turns, readers never wait. "
         "CA private keys never leave it except on \\fBexported\\fR requests; issued private keys are never stored.\n";
    o << ".SH ENVIRONMENT\n.TP\n\\fBPKI_STATE_DIR\\fR\nThe state directory, when \\fB\\-\\-state\\-dir\\fR is not given.\n"
         ".TP\n\\fBPKI_FORMAT\\fR\nThe default output format (table when unset).\n.TP\n\\fBPKI_MOUNT\\fR\nThe default mount "
         "of ergonomic commands (pki when unset).\n.TP\n\\fBXDG_DATA_HOME\\fR, \\fBHOME\\fR\nWhere the default state directory is.\n"
         ".TP\n\\fBPKI_ADDR\\fR, \\fBVAULT_ADDR\\fR\nSend requests to the \\fBpki serve\\fR(1) (or Vault) at this URL instead of "
         "a state directory, unless \\fB\\-\\-state\\-dir\\fR is given; with \\fBPKI_TOKEN\\fR or \\fBVAULT_TOKEN\\fR (else "
         "~/.pki-token) and \\fBPKI_CACERT\\fR or \\fBVAULT_CACERT\\fR. \\fBapply\\fR and \\fBbatch\\fR work on a state directory "
         "only.\n";
    o << ".SH OUTPUT\n\\fBtable\\fR (the default) prints Vault's Key/Value table; \\fBjson\\fR prints the Vault API envelope "
         "(request_id, lease_id, lease_duration, renewable, data, wrap_info, warnings, auth); \\fByaml\\fR the same as YAML; "
         "\\fBpem\\fR and \\fBder\\fR print the certificate, CSR, CRL or key of the response itself. \\fB\\-\\-field\\fR "
         "\\fINAME\\fR prints one field raw, a list one item a line. Paths that serve bytes (ca, ca/pem, ca_chain, crl, crl/pem, "
         "cert/SERIAL/raw, issuer/REF/der|pem|crl/der|crl/pem) print exactly those bytes, also with \\fBPKI_FORMAT\\fR set; "
         "an explicit \\fB\\-format=pem\\fR or \\fB\\-format=der\\fR converts them (DER to PEM, the first PEM block to "
         "DER), and \\fB\\-format=json\\fR, \\fB\\-format=yaml\\fR or \\fB\\-\\-field\\fR on them is a usage error that "
         "names the JSON path holding the same object (cert/crl, cert/ca, cert/ca_chain, cert/SERIAL, issuer/REF/json, "
         "issuer/REF/crl). Warnings and progress go to standard error, and so does the note that a list is empty (No entries "
         "found at PATH), which leaves standard output empty in table format.\n";
    o << ".SH EXIT STATUS\n.TP\n0\nSuccess.\n.TP\n1\nThe request was refused: bad input, a policy refusal, or something not "
         "found. Nothing was changed.\n.TP\n2\nUsage error: the command line itself is wrong.\n.TP\n3\nThe state directory or "
         "an internal step failed.\n";
    o << ".SH DIFFERENCES FROM VAULT\nWhere the reference is silent, pki does what Vault 1.11's code does; it differs on "
         "purpose here:\n.IP \\(bu 2\nExit codes 0, 1, 2 and 3 (above) instead of Vault's 2 for every API error.\n"
         ".IP \\(bu 2\nRefused although Vault 1.11 accepts them, since they make defective certificates: invalid OIDs (a "
         "first arc above 2), unknown key usage names, countries that are not ISO 3166 two-letter codes, times before 1950 "
         "or after 9999, a root or intermediate with an empty subject, RSA keys below 2048 bits and SHA-1 signatures.\n"
         ".IP \\(bu 2\nNo leases: \\fBgenerate_lease\\fR is stored and warned about; revoke by serial.\n"
         ".IP \\(bu 2\nRole, config/urls and config/crl writes return the written data, as Vault 1.13 and later do.\n"
         ".IP \\(bu 2\nsignature_bits chooses the hash of RSA signatures only: an ECDSA issuer signs with its curve's "
         "hash (the reference's note and Vault 1.11's code); a role stores 256 for RSA when 0 is given, as Vault does.\n"
         ".IP \\(bu 2\nsign\\-verbatim signs the CSR's names as they are: alt_names, ip_sans, uri_sans and "
         "exclude_cn_from_sans are accepted with no effect (Vault 1.11 also adds the common name to the DNS names); "
         "common_name (when the CSR has none), serial_number and other_sans are honoured, as Vault does.\n"
         ".IP \\(bu 2\nManaged keys (type kms) are PKCS#11 tokens only (no AWS, Azure or GCP KMS); \\fBlibrary\\fR is "
         "the module's path rather than the name of a kms_library stanza, so the sys/managed-keys paths need sudo; see "
         "\\fBpki\\-managed\\-key\\fR(1).\n"
         ".IP \\(bu 2\nACL policies refuse the parameter constraints (allowed_parameters and the like) instead of "
         "ignoring them; see \\fBpki\\-policy\\fR(1).\n";
    o << ".SH FILES\n.TP\n\\fI$STATE_DIR/data.mdb\\fR, \\fI$STATE_DIR/lock.mdb\\fR\nThe LMDB environment.\n";
    o << ".SH EXAMPLES\n.EX\npki secrets enable pki\npki secrets tune -max-lease-ttl=87600h pki\n"
         "pki write -field=certificate pki/root/generate/internal common_name=example.com ttl=87600h > root.pem\n"
         "pki role write web --allowed-domains example.com --allow-subdomains --max-ttl 72h\n"
         "pki issue web --common-name www.example.com -format=json | jq -r .data.certificate\n.EE\n";
    o << ".SH SEE ALSO\n";
    auto all = pages();
    for (size_t i = 0; i < all.size(); ++i) o << (i ? ",\n" : "") << "\\fB" << all[i].name << "\\fR(1)";
    o << ",\n\\fBpki-apply\\fR(1),\n\\fBpki-batch\\fR(1),\n\\fBpki-serve\\fR(1)\n";
    return o.str();
}

// The OPTIONS section of a page for one command of the tree.
void options_of(std::ostream& o, CLI::App& app, const std::string& name) {
    o << ".SH OPTIONS\n";
    for (CLI::App* a : app.get_subcommands([&](CLI::App* c) { return c->get_name() == name; }))
        for (const CLI::Option* opt : a->get_options())
            if (!opt->get_positional() && !opt->get_lnames().empty())
                o << ".TP\n\\fB\\-\\-" << esc(opt->get_lnames().front()) << "\\fR\n" << esc(opt->get_description()) << "\n";
}

std::string batch_page(CLI::App& app) {
    std::ostringstream o;
    header(o, "pki-batch", "run many requests in one process, as JSON lines");
    o << ".SH SYNOPSIS\n\\fBpki batch\\fR [\\fB\\-f\\fR \\fIFILE\\fR] [\\fB\\-\\-stop\\-on\\-error\\fR] "
         "[\\fB\\-\\-workers\\fR \\fIN\\fR]\n";
    o << ".SH DESCRIPTION\n\\fBpki batch\\fR reads requests, one JSON object a line, from standard input (or \\fIFILE\\fR): "
         "\\fB{\"op\": \"write\", \"path\": \"pki/issue/web\", \"data\": {\"common_name\": \"a.example.com\"}}\\fR, with "
         "\\fBop\\fR one of read, write, list, delete, patch (as the commands of the same names), \\fBpath\\fR a path as "
         "\\fBpki read\\fR takes it, and \\fBdata\\fR (optional) the fields. It writes one JSON line per request to standard "
         "output, in input order: the Vault response envelope (request_id, lease_id, lease_duration, renewable, data, wrap_info, "
         "warnings, auth), or \\fB{\"error\": {\"kind\": ..., \"message\": ..., \"field\": ..., \"hint\": ...}, \"line\": N}\\fR "
         "for a refused request, N being its line number. Raw endpoints (DER, PEM) give \\fBdata.content_type\\fR and "
         "\\fBdata.body\\fR (PEM) or \\fBdata.body_base64\\fR (DER). Blank lines are skipped.\n.PP\n"
         "Requests are prepared on worker threads against a snapshot of the state (key generation and signing use every core) "
         "and committed in input order, in groups that share one flush to disk; each request still commits whole or not at "
         "all, and sees every request before it, exactly as if the lines had been run one \\fBpki\\fR command at a time. "
         "A line is written only once its request is stored, and a group is kept only once its lines were written: when "
         "standard output cannot be written, nothing of that group is kept. A refused request does not stop the batch "
         "unless \\fB\\-\\-stop\\-on\\-error\\fR is given; then nothing after it runs. Input is streamed: memory stays "
         "bounded however long it is. On a terminal, a progress line goes to standard error.\n";
    options_of(o, app, "batch");
    o << ".SH EXIT STATUS\n.TP\n0\nEvery request succeeded.\n.TP\n1\nAt least one request was refused (its line says why).\n"
         ".TP\n2\nUsage error.\n.TP\n3\nThe state directory failed (or standard output could not be written); the batch "
         "stopped, and the requests of the group being committed were not kept.\n";
    o << ".SH EXAMPLES\n.EX\nfor i in $(seq 1000); do\n  printf '{\"op\":\"write\",\"path\":\"pki/issue/web\",\"data\":"
         "{\"common_name\":\"h%d.example.com\"}}\\en' $i\ndone | pki batch > issued.jsonl\n"
         "jq -r 'select(.error) | \"line \\e(.line): \\e(.error.message)\"' issued.jsonl\n.EE\n";
    o << ".SH SEE ALSO\n\\fBpki\\fR(1), \\fBpki-issue\\fR(1)\n";
    return o.str();
}

std::string serve_page(CLI::App& app) {
    std::ostringstream o;
    header(o, "pki-serve", "serve Vault's PKI HTTP API from the state directory");
    o << ".SH SYNOPSIS\n\\fBpki serve\\fR [\\fB\\-\\-listen\\fR \\fIADDR:PORT\\fR]... [\\fB\\-\\-tls\\-cert\\fR \\fIFILE\\fR "
         "\\fB\\-\\-tls\\-key\\fR \\fIFILE\\fR | \\fB\\-\\-tls\\-role\\fR \\fIMOUNT/ROLE\\fR \\fB\\-\\-tls\\-name\\fR "
         "\\fINAME\\fR...] [\\fIoptions\\fR]\n";
    o << ".SH DESCRIPTION\n\\fBpki serve\\fR serves every path of \\fBpki\\fR(1) at \\fB/v1/\\fIMOUNT\\fB/\\fIPATH\\fR with Vault's "
         "methods (GET reads, and lists with \\fB?list=true\\fR; LIST; POST and PUT write; PATCH; DELETE), JSON bodies, "
         "query parameters on GET, and Vault's responses: the JSON envelope for data paths, the bytes themselves with "
         "Vault's media types for the raw paths (ca, ca/pem, ca_chain, crl, crl/pem, cert/SERIAL/raw, issuer/REF/der|pem, "
         "issuer/REF/crl/der|pem), 204 when there is nothing to say, and \\fB{\"errors\": [...]}\\fR with 400 (refused input), "
         "403 (permission denied), 404 (unknown path or object; also an empty LIST, as Vault), 405 (wrong method), 413 (body "
         "too large), 431 (headers too large), 500 (the state failed), 503 (too many connections). Every response carries a "
         "request_id (in the body and the X-Request-Id header). Mounts are managed at Vault's sys/mounts paths, and "
         "sys/health answers as Vault's. Tools written for Vault's API (hvac, Vault Agent, cert-manager, Terraform, curl) "
         "work unchanged, and so does this CLI: with \\fBPKI_ADDR\\fR (or \\fBVAULT_ADDR\\fR, or \\fB\\-\\-address\\fR) "
         "set, \\fBpki read|write|list|delete|patch\\fR and the ergonomic commands send their requests to the server, with "
         "the same output and exit codes.\n.PP\n"
         "Writes are prepared on the I/O threads and committed in groups that share one flush, so a response is sent only "
         "once what it says is on disk. Reads run on a snapshot. Several servers and CLI processes may share one state "
         "directory. See \\fBpki-token\\fR(1) for the tokens every request but the open reads needs; the first start on "
         "a state directory creates the root token and shows it once (standard error, or \\fB\\-\\-root\\-token\\-file\\fR).\n.PP\n"
         "TLS (1.2 and 1.3, OpenSSL) is required on any address outside loopback unless \\fB\\-\\-insecure\\-plain\\-http\\fR "
         "is given. \\fB\\-\\-tls\\-role\\fR issues the server's own certificate from a role of the state at start-up and "
         "renews it at two thirds of its life without a restart; SIGHUP reloads \\fB\\-\\-tls\\-cert\\fR and \\fB\\-\\-tls\\-key\\fR. "
         "SIGTERM and SIGINT stop accepting, let the requests in flight finish (up to \\fB\\-\\-shutdown\\-timeout\\fR) and "
         "exit 0. Each request leaves one JSON line in the access log (time, remote address, method, path, status, "
         "duration_ms, request_id, and the token's accessor, never the token or a key).\n.PP\n"
         "Revocation: the OCSP responder answers at \\fB/v1/\\fIMOUNT\\fB/ocsp\\fR without a token (POST of "
         "application/ocsp-request, or GET with the request in the path), and CRLs under \\fBauto_rebuild\\fR are rebuilt "
         "in the background when due, checked every \\fB\\-\\-crl\\-check\\-interval\\fR; see \\fBpki-crl\\fR(1).\n";
    options_of(o, app, "serve");
    o << ".SH EXIT STATUS\n.TP\n0\nStopped by SIGTERM or SIGINT.\n.TP\n2\nUsage error (an option, or plain HTTP outside "
         "loopback).\n.TP\n3\nThe state directory failed, or an address could not be bound.\n";
    o << ".SH ENVIRONMENT\n.TP\n\\fBPKI_ADDR\\fR, \\fBVAULT_ADDR\\fR\nFor the CLI: the server to send requests to.\n"
         ".TP\n\\fBPKI_TOKEN\\fR, \\fBVAULT_TOKEN\\fR\nFor the CLI: the token (else the first line of ~/.pki-token).\n"
         ".TP\n\\fBPKI_CACERT\\fR, \\fBVAULT_CACERT\\fR\nFor the CLI: the CA bundle that verifies the server.\n";
    o << ".SH EXAMPLES\n.EX\npki serve --root-token-file ~/.pki-token &\n"
         "curl -s -H \"X-Vault-Token: $(cat ~/.pki-token)\" -d '{\"common_name\":\"www.example.com\"}' \\e\n"
         "    http://127.0.0.1:8200/v1/pki/issue/web | jq -r .data.certificate\n"
         "PKI_ADDR=http://127.0.0.1:8200 pki issue web --common-name www.example.com\n"
         "pki serve --listen 0.0.0.0:8200 --tls-role pki/server --tls-name ca.example.com\n.EE\n";
    o << ".SH SEE ALSO\n\\fBpki\\fR(1), \\fBpki-token\\fR(1), \\fBpki-batch\\fR(1), \\fBpki-crl\\fR(1)\n";
    return o.str();
}

std::string apply_page(CLI::App& app) {
    std::ostringstream o;
    header(o, "pki-apply", "bring a state directory to what a YAML file describes");
    o << ".SH SYNOPSIS\n\\fBpki apply \\-f\\fR \\fIFILE\\fR [\\fB\\-\\-dry\\-run\\fR]\n";
    o << ".SH DESCRIPTION\n\\fBpki apply\\fR reads a YAML file describing mounts (their TTLs and description), their "
         "\\fBurls\\fR (config/urls) and \\fBcrl\\fR (config/crl) settings, their roles with any role field, and a root or "
         "an intermediate to create when the mount has no issuer yet, and makes the state directory match it. It is "
         "idempotent: a second run changes nothing and says so. The whole file is checked first, every field against the same "
         "schema the paths use, and an invalid file is refused before anything is written, naming the file, line and field.\n";
    options_of(o, app, "apply");
    o << ".SH FILE FORMAT\n.EX\nmounts:\n  pki:\n    max_lease_ttl: 87600h\n    root:\n      common_name: Example Root\n"
         "      key_type: ec\n      ttl: 87600h\n  pki_int:\n    max_lease_ttl: 43800h\n    urls:\n"
         "      issuing_certificates: [http://ca.example.com/v1/pki_int/ca]\n    crl:\n      expiry: 48h\n"
         "    intermediate:\n      common_name: Example Intermediate\n      signed_by: pki\n      ttl: 43800h\n"
         "    roles:\n      web:\n        allowed_domains: [example.com]\n        allow_subdomains: true\n        max_ttl: 72h\n.EE\n";
    o << ".SH SEE ALSO\n\\fBpki\\fR(1), \\fBpki-role\\fR(1), \\fBpki-secrets\\fR(1)\n";
    return o.str();
}

std::string family_page(const Page& p, const api::Table& table) {
    std::ostringstream o;
    header(o, p.name, p.summary);
    o << ".SH SYNOPSIS\n";
    bool first = true;
    for (const auto& spec : table.paths()) {
        if (std::find(p.families.begin(), p.families.end(), spec.family) == p.families.end()) continue;
        for (const auto& op : spec.ops) {
            if (op.command.empty()) continue;
            o << (first ? "" : ".br\n") << "\\fBpki " << esc(util::join(op.command, " ")) << "\\fR";
            for (const auto& param : spec.params()) o << " \\fI" << esc(util::to_lower(param)) << "\\fR";
            o << " [\\fIoptions\\fR]\n";
            first = false;
        }
    }
    o << ".SH DESCRIPTION\n" << p.description << "\n";
    paths_section(o, table, p.families);
    o << ".SH EXAMPLES\n" << p.examples << "\n";
    o << ".SH SEE ALSO\n\\fBpki\\fR(1)\n";
    return o.str();
}

}  // namespace

std::vector<std::pair<std::string, std::string>> manual_pages(CLI::App& app, const api::Table& table) {
    std::vector<std::pair<std::string, std::string>> out{{"pki", overview(app)}};
    for (const auto& p : pages()) out.emplace_back(p.name, family_page(p, table));
    out.emplace_back("pki-apply", apply_page(app));
    out.emplace_back("pki-batch", batch_page(app));
    out.emplace_back("pki-serve", serve_page(app));
    return out;
}

void add_man_command(CLI::App& app, Session& s) {
    auto* cmd = app.add_subcommand("man", "Print a manual page (pki, pki-role, ...), or write them all with --write DIR.");
    cmd->group("Other commands");
    auto page = std::make_shared<std::string>();
    auto dir = std::make_shared<std::string>();
    cmd->add_option("page", *page, "Page name; none lists the pages.");
    cmd->add_option("--write", *dir, "Write every page as DIR/NAME.1.")->type_name("DIR");
    CLI::App* root = &app;
    cmd->callback([&s, page, dir, root] {
        s.action = [&s, page, dir, root] {
            auto all = manual_pages(*root, s.table);
            if (!dir->empty()) {
                for (const auto& [name, text] : all) {
                    std::ofstream f(*dir + "/" + name + ".1");
                    if (!f) fail(ErrorKind::Invalid, "cannot write {}/{}.1", *dir, name);
                    f << text;
                }
                return 0;
            }
            for (const auto& [name, text] : all) {
                if (page->empty()) s.out << name << "\n";
                else if (name == *page) {
                    s.out << text;
                    return 0;
                }
            }
            if (!page->empty()) fail(ErrorKind::NotFound, "no manual page \"{}\"; run pki man to list them", *page);
            return 0;
        };
    });
}

}  // namespace pki::cli
