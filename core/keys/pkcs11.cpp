// The RSA_METHOD and EC_KEY_METHOD hooks below are OpenSSL's deprecated (but supported) way to
// give a key's private operation to code outside OpenSSL: such a key is "foreign" to OpenSSL 3,
// which then signs through the key's method instead of a provider.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "keys/pkcs11.hpp"

#include <dlfcn.h>
#include <sys/stat.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <charconv>
#include <map>
#include <set>
#include <shared_mutex>
#include <vector>

#include "crypto/digest.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::keys {
namespace {

// The names of the return values a user can act on; others are shown in hex.
std::string rv_name(CK_RV rv) {
    switch (rv) {
        case CKR_PIN_INCORRECT: return "CKR_PIN_INCORRECT";
        case CKR_PIN_LOCKED: return "CKR_PIN_LOCKED";
        case CKR_PIN_EXPIRED: return "CKR_PIN_EXPIRED";
        case CKR_PIN_LEN_RANGE: return "CKR_PIN_LEN_RANGE";
        case CKR_TOKEN_NOT_PRESENT: return "CKR_TOKEN_NOT_PRESENT";
        case CKR_TOKEN_NOT_RECOGNIZED: return "CKR_TOKEN_NOT_RECOGNIZED";
        case CKR_DEVICE_REMOVED: return "CKR_DEVICE_REMOVED";
        case CKR_DEVICE_ERROR: return "CKR_DEVICE_ERROR";
        case CKR_DEVICE_MEMORY: return "CKR_DEVICE_MEMORY";
        case CKR_SLOT_ID_INVALID: return "CKR_SLOT_ID_INVALID";
        case CKR_SESSION_HANDLE_INVALID: return "CKR_SESSION_HANDLE_INVALID";
        case CKR_SESSION_CLOSED: return "CKR_SESSION_CLOSED";
        case CKR_OBJECT_HANDLE_INVALID: return "CKR_OBJECT_HANDLE_INVALID";
        case CKR_KEY_HANDLE_INVALID: return "CKR_KEY_HANDLE_INVALID";
        case CKR_USER_NOT_LOGGED_IN: return "CKR_USER_NOT_LOGGED_IN";
        case CKR_USER_PIN_NOT_INITIALIZED: return "CKR_USER_PIN_NOT_INITIALIZED";
        case CKR_MECHANISM_INVALID: return "CKR_MECHANISM_INVALID";
        case CKR_KEY_TYPE_INCONSISTENT: return "CKR_KEY_TYPE_INCONSISTENT";
        case CKR_KEY_FUNCTION_NOT_PERMITTED: return "CKR_KEY_FUNCTION_NOT_PERMITTED";
        case CKR_KEY_SIZE_RANGE: return "CKR_KEY_SIZE_RANGE";
        case CKR_TEMPLATE_INCONSISTENT: return "CKR_TEMPLATE_INCONSISTENT";
        case CKR_ATTRIBUTE_VALUE_INVALID: return "CKR_ATTRIBUTE_VALUE_INVALID";
        case CKR_TOKEN_WRITE_PROTECTED: return "CKR_TOKEN_WRITE_PROTECTED";
        case CKR_GENERAL_ERROR: return "CKR_GENERAL_ERROR";
        case CKR_FUNCTION_FAILED: return "CKR_FUNCTION_FAILED";
        case CKR_HOST_MEMORY: return "CKR_HOST_MEMORY";
        case CKR_ARGUMENTS_BAD: return "CKR_ARGUMENTS_BAD";
        case CKR_CRYPTOKI_NOT_INITIALIZED: return "CKR_CRYPTOKI_NOT_INITIALIZED";
        default: return fmt::format("CKR 0x{:08x}", static_cast<unsigned long>(rv));
    }
}

// Return values that mean the session, the token or the device is gone: the session is dropped
// and opened again for the next request.
bool session_lost(CK_RV rv) {
    return rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED || rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT ||
           rv == CKR_DEVICE_ERROR || rv == CKR_USER_NOT_LOGGED_IN || rv == CKR_CRYPTOKI_NOT_INITIALIZED;
}

ErrorKind kind_of(CK_RV rv) {
    if (rv == CKR_PIN_LOCKED || rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_DEVICE_REMOVED || rv == CKR_DEVICE_ERROR ||
        rv == CKR_TOKEN_NOT_RECOGNIZED || rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED)
        return ErrorKind::Unavailable;
    return ErrorKind::Denied;
}

std::string trim_padded(const unsigned char* p, size_t n) {
    std::string s(reinterpret_cast<const char*>(p), n);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
    return s;
}

}  // namespace

std::string token_key_id(const std::string& key_id) {
    if (key_id.size() >= 2 && key_id[0] == '0' && (key_id[1] == 'x' || key_id[1] == 'X')) {
        std::string hex = key_id.substr(2);
        if (hex.empty() || hex.size() % 2 || !std::all_of(hex.begin(), hex.end(), [](unsigned char c) { return std::isxdigit(c); }))
            fail(ErrorKind::Invalid, "key_id \"{}\" starts with 0x but is not an even number of hex digits; write e.g. key_id=0x01", key_id);
        std::string out;
        for (size_t i = 0; i < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
        return out;
    }
    return key_id;
}

int token_curve_nid(std::string_view curve) {
    std::string c = util::to_lower(curve);
    if (c.empty() || c == "p-256" || c == "p256") return NID_X9_62_prime256v1;
    if (c == "p-384" || c == "p384") return NID_secp384r1;
    if (c == "p-521" || c == "p521") return NID_secp521r1;
    fail(ErrorKind::Invalid, "curve \"{}\" is not supported; use P-256, P-384 or P-521", curve);
}

namespace {

// A loaded module. Every call on its sessions holds `gate` shared; a restart (C_Finalize and
// C_Initialize, after a token was removed and put back) holds it alone and starts a new
// generation, so a session of an older one is never used again: the module may hand its handle
// number to a new session.
struct Module {
    std::string path;
    void* dl = nullptr;
    CK_FUNCTION_LIST* f = nullptr;
    bool finalize = false;  // we initialised it
    std::shared_mutex gate;
    uint64_t generation = 0;

    ~Module() {
        if (f && finalize) f->C_Finalize(nullptr);
        if (dl) dlclose(dl);
    }
};

// What pki keeps of one token (a module's slot): the session it logs in, finds and generates keys
// on, and up to max_parallel more that sign (a PKCS#11 session takes one call at a time; the
// login of the first is the whole application's, and a token object's handle is good in all).
struct Session {
    Module* mod = nullptr;
    uint64_t generation = 0;   // the module's, when opened
    CK_SLOT_ID slot = 0;
    CK_SESSION_HANDLE h = 0;
    std::string where;         // "module M, slot N (token "L")" for messages
    std::string pin_hash;      // SHA-256 of the PIN it logged in with; "" when not logged in
    std::mutex mu;             // for h
    std::atomic<bool> lost = false;

    std::mutex pool_mu;        // for the signing sessions
    std::condition_variable pool_cv;
    std::vector<CK_SESSION_HANDLE> idle;
    size_t signing = 0;        // signing sessions open
    size_t max_parallel = 1;   // the largest of the managed keys' using this token

    // Under mod->gate (shared): whether the handles are still this session's.
    bool current() const { return h != 0 && generation == mod->generation; }
    ~Session() {
        if (!h) return;
        std::shared_lock gate(mod->gate);
        if (!current()) return;
        for (auto s : idle) mod->f->C_CloseSession(s);
        mod->f->C_CloseSession(h);
    }
    CK_FUNCTION_LIST* f() const { return mod->f; }

    // A signing session (under mod->gate, shared): an idle one, a new one while fewer than
    // max_parallel are open, or the next one given back. 0 when the token opens none.
    CK_SESSION_HANDLE take(CK_RV* rv) {
        std::unique_lock lock(pool_mu);
        pool_cv.wait(lock, [&] { return !idle.empty() || signing < max_parallel; });
        *rv = CKR_OK;
        if (!idle.empty()) {
            CK_SESSION_HANDLE s = idle.back();
            idle.pop_back();
            return s;
        }
        CK_SESSION_HANDLE s = 0;
        *rv = f()->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &s);
        if (*rv != CKR_OK) return 0;
        ++signing;
        return s;
    }
    void give_back(CK_SESSION_HANDLE s, bool broken) {
        {
            std::lock_guard lock(pool_mu);
            if (broken) {
                f()->C_CloseSession(s);
                --signing;
            } else {
                idle.push_back(s);
            }
        }
        pool_cv.notify_one();
    }
};

// What a token key's EVP_PKEY carries: its session and object.
struct TokenKey {
    std::shared_ptr<Session> s;
    CK_OBJECT_HANDLE obj = 0;
    std::string what;  // "key \"label\" on module M, slot N"
    // CKA_ALWAYS_AUTHENTICATE (PIV slot 9c, say): the PIN again after each C_SignInit, as a
    // context-specific login; then the PIN is kept here, in memory only.
    bool always_authenticate = false;
    std::string pin;

    ~TokenKey() { OPENSSL_cleanse(pin.data(), pin.size()); }

    // C_Sign over `in`; false (with an OpenSSL error naming the key) when the token refused.
    bool sign(CK_MECHANISM_TYPE mech, const unsigned char* in, size_t in_len, std::vector<unsigned char>& out) const {
        std::shared_lock gate(s->mod->gate);
        CK_RV rv = CKR_SESSION_HANDLE_INVALID;
        if (s->current()) {
            CK_SESSION_HANDLE h = s->take(&rv);
            if (h) {
                CK_MECHANISM m{mech, nullptr, 0};
                rv = s->f()->C_SignInit(h, &m, obj);
                if (rv == CKR_OK && always_authenticate)
                    rv = s->f()->C_Login(h, CKU_CONTEXT_SPECIFIC, reinterpret_cast<CK_UTF8CHAR*>(const_cast<char*>(pin.data())), pin.size());
                CK_ULONG len = 0;
                if (rv == CKR_OK) rv = s->f()->C_Sign(h, const_cast<unsigned char*>(in), in_len, nullptr, &len);
                if (rv == CKR_OK) {
                    out.resize(len);
                    rv = s->f()->C_Sign(h, const_cast<unsigned char*>(in), in_len, out.data(), &len);
                    out.resize(len);
                }
                // C_Sign ends the operation either way, except when it only reported the length.
                s->give_back(h, rv != CKR_OK);
            }
        }
        if (rv == CKR_OK) return true;
        if (session_lost(rv)) s->lost = true;
        ERR_raise_data(ERR_LIB_USER, ERR_R_OPERATION_FAIL, "the token refused to sign with %s: %s", what.c_str(), rv_name(rv).c_str());
        return false;
    }
};

void free_token_key(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) { delete static_cast<TokenKey*>(ptr); }

// OpenSSL's ex_data slots for the TokenKey of an RSA or EC key, registered once per process.
int rsa_slot() {
    static const int idx = RSA_get_ex_new_index(0, nullptr, nullptr, nullptr, free_token_key);
    return idx;
}
int ec_slot() {
    static const int idx = EC_KEY_get_ex_new_index(0, nullptr, nullptr, nullptr, free_token_key);
    return idx;
}

const TokenKey* token_key(EVP_PKEY* k) {
    if (const RSA* rsa = EVP_PKEY_get0_RSA(k)) return static_cast<const TokenKey*>(RSA_get_ex_data(rsa, rsa_slot()));
    if (const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(k)) return static_cast<const TokenKey*>(EC_KEY_get_ex_data(ec, ec_slot()));
    return nullptr;
}

int rsa_sign(int type, const unsigned char* m, unsigned int m_len, unsigned char* sigret, unsigned int* siglen, const RSA* rsa) {
    const auto* k = static_cast<const TokenKey*>(RSA_get_ex_data(rsa, rsa_slot()));
    if (!k) return 0;
    // CKM_RSA_PKCS signs a DigestInfo (RFC 8017 9.2) the caller builds.
    crypto::Handle<X509_SIG, X509_SIG_free> info(X509_SIG_new());
    X509_ALGOR* alg = nullptr;
    ASN1_OCTET_STRING* digest = nullptr;
    if (!info) return 0;
    X509_SIG_getm(info.get(), &alg, &digest);
    if (X509_ALGOR_set0(alg, OBJ_nid2obj(type), V_ASN1_NULL, nullptr) != 1 || ASN1_OCTET_STRING_set(digest, m, static_cast<int>(m_len)) != 1)
        return 0;
    unsigned char* der = nullptr;
    int der_len = i2d_X509_SIG(info.get(), &der);
    if (der_len <= 0) return 0;
    crypto::OsslBytes owned(der);
    std::vector<unsigned char> sig;
    if (!k->sign(CKM_RSA_PKCS, der, static_cast<size_t>(der_len), sig)) return 0;
    if (sig.size() > static_cast<size_t>(RSA_size(rsa))) return 0;
    std::copy(sig.begin(), sig.end(), sigret);
    *siglen = static_cast<unsigned int>(sig.size());
    return 1;
}

ECDSA_SIG* ec_sign_sig(const unsigned char* dgst, int dgst_len, const BIGNUM*, const BIGNUM*, EC_KEY* ec) {
    const auto* k = static_cast<const TokenKey*>(EC_KEY_get_ex_data(ec, ec_slot()));
    if (!k) return nullptr;
    std::vector<unsigned char> rs;
    if (!k->sign(CKM_ECDSA, dgst, static_cast<size_t>(dgst_len), rs)) return nullptr;
    // CKM_ECDSA answers r || s, each as long as the group's order.
    if (rs.empty() || rs.size() % 2) {
        ERR_raise_data(ERR_LIB_USER, ERR_R_OPERATION_FAIL, "the token answered an ECDSA signature of %zu bytes with %s", rs.size(),
                       k->what.c_str());
        return nullptr;
    }
    size_t half = rs.size() / 2;
    ECDSA_SIG* sig = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(rs.data(), static_cast<int>(half), nullptr);
    BIGNUM* s = BN_bin2bn(rs.data() + half, static_cast<int>(half), nullptr);
    if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(sig);
        return nullptr;
    }
    return sig;
}

// The methods of token keys: OpenSSL's own for public operations, the token for signing.
// Made once per process and never changed, like a vtable.
const RSA_METHOD* rsa_method() {
    static RSA_METHOD* m = [] {
        RSA_METHOD* meth = RSA_meth_dup(RSA_PKCS1_OpenSSL());
        RSA_meth_set1_name(meth, "pki PKCS#11 token key");
        RSA_meth_set_sign(meth, rsa_sign);
        RSA_meth_set_flags(meth, RSA_meth_get_flags(meth) | RSA_FLAG_EXT_PKEY);
        return meth;
    }();
    return m;
}

const EC_KEY_METHOD* ec_method() {
    static EC_KEY_METHOD* m = [] {
        EC_KEY_METHOD* meth = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
        int (*sign)(int, const unsigned char*, int, unsigned char*, unsigned int*, const BIGNUM*, const BIGNUM*, EC_KEY*) = nullptr;
        int (*setup)(EC_KEY*, BN_CTX*, BIGNUM**, BIGNUM**) = nullptr;
        EC_KEY_METHOD_get_sign(EC_KEY_OpenSSL(), &sign, &setup, nullptr);
        EC_KEY_METHOD_set_sign(meth, sign, setup, ec_sign_sig);  // OpenSSL's DER wrapper calls ec_sign_sig
        return meth;
    }();
    return m;
}

class Attr {
public:
    void add(CK_ATTRIBUTE_TYPE t, const void* p, size_t n) { list_.push_back(CK_ATTRIBUTE{t, const_cast<void*>(p), n}); }
    void flag(CK_ATTRIBUTE_TYPE t, const CK_BBOOL& v) { add(t, &v, sizeof v); }
    void ulong(CK_ATTRIBUTE_TYPE t, const CK_ULONG& v) { add(t, &v, sizeof v); }
    void bytes(CK_ATTRIBUTE_TYPE t, const std::string& s) {
        if (!s.empty()) add(t, s.data(), s.size());
    }
    CK_ATTRIBUTE* data() { return list_.data(); }
    CK_ULONG size() const { return list_.size(); }

private:
    std::vector<CK_ATTRIBUTE> list_;
};

}  // namespace

TokenMechanism parse_mechanism(std::string_view text) {
    std::string t = util::to_lower(util::trim(text));
    unsigned long v = 0;
    bool hex = t.size() > 2 && t[0] == '0' && t[1] == 'x';
    const char* first = t.data() + (hex ? 2 : 0);
    auto [end, ec] = std::from_chars(first, t.data() + t.size(), v, hex ? 16 : 10);
    bool number = !t.empty() && ec == std::errc() && end == t.data() + t.size();
    if ((number && v == CKM_RSA_PKCS) || t == "ckm_rsa_pkcs") return TokenMechanism::RsaPkcs;
    if ((number && v == CKM_ECDSA) || t == "ckm_ecdsa") return TokenMechanism::Ecdsa;
    if ((number && (v == CKM_RSA_PKCS_PSS || v == CKM_SHA256_RSA_PKCS_PSS)) || t == "ckm_rsa_pkcs_pss")
        fail(ErrorKind::Invalid, "mechanism {}: RSA-PSS is not used for CA keys here (RSA signs with PKCS#1 v1.5, as Vault's PKI); "
                                 "use mechanism=0x0001 (CKM_RSA_PKCS) or 0x1041 (CKM_ECDSA)", text);
    fail(ErrorKind::Invalid, "mechanism \"{}\" is not supported; use 0x0001 (CKM_RSA_PKCS) for RSA keys or 0x1041 (CKM_ECDSA) for EC keys",
         text);
}

std::string mechanism_text(TokenMechanism m) { return m == TokenMechanism::RsaPkcs ? "0x0001" : "0x1041"; }

struct Pkcs11::Impl {
    std::mutex mu;
    std::map<std::string, std::unique_ptr<Module>> modules;     // by path; kept until the end
    std::map<std::string, std::shared_ptr<Session>> sessions;   // by module and token
    std::map<std::string, crypto::PKey> keys;                   // by session and key

    ~Impl() {
        keys.clear();
        sessions.clear();
        modules.clear();
    }

    Module& module(const std::string& path) {
        if (auto it = modules.find(path); it != modules.end()) return *it->second;
        if (path.empty()) fail(ErrorKind::Invalid, "the managed key names no library; set library=/path/to/pkcs11-module.so");
        struct stat st {};
        if (path.front() != '/' || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
            fail(ErrorKind::Invalid, "PKCS#11 module {} is not a file; check the managed key's library path", path);
        auto m = std::make_unique<Module>();
        m->path = path;
        m->dl = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!m->dl) {
            const char* why = dlerror();
            fail(ErrorKind::Invalid, "PKCS#11 module {} cannot be loaded ({}); check the managed key's library path", path,
                 why ? why : "unknown reason");
        }
        auto get = reinterpret_cast<CK_C_GetFunctionList>(dlsym(m->dl, "C_GetFunctionList"));
        if (!get || get(&m->f) != CKR_OK || !m->f)
            fail(ErrorKind::Invalid, "{} is not a PKCS#11 module (no C_GetFunctionList); check the managed key's library path", path);
        CK_C_INITIALIZE_ARGS args{};
        args.flags = CKF_OS_LOCKING_OK;
        CK_RV rv = m->f->C_Initialize(&args);
        if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
            fail(ErrorKind::Unavailable, "PKCS#11 module {} failed to initialise: {}", path, rv_name(rv));
        m->finalize = rv == CKR_OK;
        return *modules.emplace(path, std::move(m)).first->second;
    }

    CK_SLOT_ID find_slot(Module& m, const TokenKeyConfig& cfg) {
        if (cfg.slot) {
            CK_TOKEN_INFO ti{};
            CK_RV rv = m.f->C_GetTokenInfo(*cfg.slot, &ti);
            if (rv == CKR_SLOT_ID_INVALID) {
                token_gone_ = true;
                fail(ErrorKind::Invalid, "module {} has no slot {}; list the slots with pkcs11-tool --module {} --list-slots", m.path, *cfg.slot,
                     m.path);
            }
            if (rv != CKR_OK) {
                token_gone_ = true;
                fail(kind_of(rv), "slot {} of module {} holds no usable token: {}", *cfg.slot, m.path, rv_name(rv));
            }
            return *cfg.slot;
        }
        if (cfg.token_label.empty()) fail(ErrorKind::Invalid, "the managed key names neither slot nor token_label; set one of them");
        CK_ULONG n = 0;
        CK_RV rv = m.f->C_GetSlotList(CK_TRUE, nullptr, &n);
        std::vector<CK_SLOT_ID> slots(n);
        if (rv == CKR_OK && n) rv = m.f->C_GetSlotList(CK_TRUE, slots.data(), &n);
        if (rv != CKR_OK) {
            token_gone_ = true;
            fail(ErrorKind::Unavailable, "module {} cannot list its slots: {}", m.path, rv_name(rv));
        }
        slots.resize(n);
        for (CK_SLOT_ID s : slots) {
            CK_TOKEN_INFO ti{};
            if (m.f->C_GetTokenInfo(s, &ti) == CKR_OK && trim_padded(ti.label, sizeof ti.label) == cfg.token_label) return s;
        }
        token_gone_ = true;
        fail(ErrorKind::Invalid, "module {} has no token labelled \"{}\" ({} token(s) present); check token_label", m.path, cfg.token_label, n);
    }

    // Sessions are per token: PKCS#11 logs an application in to a token, not to a session.
    std::string session_key(const TokenKeyConfig& cfg) const {
        return cfg.library + '\n' + (cfg.slot ? std::to_string(*cfg.slot) : "label:" + cfg.token_label);
    }

    std::shared_ptr<Session> open(const TokenKeyConfig& cfg) {
        Module& m = module(cfg.library);
        std::shared_lock gate(m.gate);
        auto s = std::make_shared<Session>();
        s->mod = &m;
        s->generation = m.generation;
        s->slot = find_slot(m, cfg);
        CK_TOKEN_INFO ti{};
        std::string label = m.f->C_GetTokenInfo(s->slot, &ti) == CKR_OK ? trim_padded(ti.label, sizeof ti.label) : "";
        s->where = fmt::format("module {}, slot {} (token \"{}\")", m.path, s->slot, label);
        // Read-write, so that a key can be generated; a write-protected token is used read-only.
        CK_RV rv = m.f->C_OpenSession(s->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &s->h);
        if (rv == CKR_TOKEN_WRITE_PROTECTED) rv = m.f->C_OpenSession(s->slot, CKF_SERIAL_SESSION, nullptr, nullptr, &s->h);
        if (rv != CKR_OK) {
            s->h = 0;
            if (session_lost(rv)) token_gone_ = true;
            fail(kind_of(rv), "cannot open a session on {}: {}", s->where, rv_name(rv));
        }
        return s;
    }

    // Logged in with cfg's PIN: a session logged in with another PIN logs out first, so a wrong
    // PIN is never taken for a right one. A PIN the token refused is not tried again by this
    // process (tokens lock after a few wrong PINs, and OCSP requests need no token of the caller).
    void login(Session& s, const TokenKeyConfig& cfg, const std::string& sk) {
        std::string h = crypto::sha256_hex(cfg.pin);
        if (s.pin_hash == h) return;
        if (refused_pins.count(sk + '\n' + h))
            fail(ErrorKind::Denied, "the PIN of managed key \"{}\" was refused by {} before (CKR_PIN_INCORRECT); pki does not try a refused PIN "
                                    "again: correct it with sys/managed-keys/pkcs11/{} pin=...", cfg.name, s.where, cfg.name);
        CK_TOKEN_INFO ti{};
        if (s.f()->C_GetTokenInfo(s.slot, &ti) == CKR_OK && (ti.flags & CKF_USER_PIN_LOCKED))
            fail(ErrorKind::Unavailable, "the user PIN of {} is locked; unlock it with the token's SO PIN", s.where);
        if (!s.pin_hash.empty()) s.f()->C_Logout(s.h);
        s.pin_hash.clear();
        auto pin = reinterpret_cast<CK_UTF8CHAR*>(const_cast<char*>(cfg.pin.data()));
        CK_RV rv = s.f()->C_Login(s.h, CKU_USER, pin, cfg.pin.size());
        if (rv == CKR_USER_ALREADY_LOGGED_IN) {  // logged in before by another PIN of this process: that proves nothing of this one
            s.f()->C_Logout(s.h);
            rv = s.f()->C_Login(s.h, CKU_USER, pin, cfg.pin.size());
        }
        if (rv == CKR_PIN_INCORRECT) {
            refused_pins.insert(sk + '\n' + h);
            fail(ErrorKind::Denied, "the PIN of managed key \"{}\" is wrong for {} (CKR_PIN_INCORRECT); correct it with "
                                    "sys/managed-keys/pkcs11/{} pin=...", cfg.name, s.where, cfg.name);
        }
        if (rv != CKR_OK) {
            if (session_lost(rv)) s.lost = true;
            fail(kind_of(rv), "cannot log in to {}: {}", s.where, rv_name(rv));
        }
        s.pin_hash = h;
    }

    // The session of cfg's token: the cached one unless the token lost it (*fresh: newly opened).
    std::shared_ptr<Session> session(const TokenKeyConfig& cfg, const std::string& sk, bool* fresh) {
        *fresh = false;
        if (auto it = sessions.find(sk); it != sessions.end()) {
            auto& s = it->second;
            CK_SESSION_INFO info{};
            bool alive;
            {
                std::shared_lock gate(s->mod->gate);
                std::lock_guard lock(s->mu);
                alive = !s->lost && s->current() && s->f()->C_GetSessionInfo(s->h, &info) == CKR_OK;
            }
            if (alive) return s;
            drop(sk);
        }
        auto s = open(cfg);
        sessions[sk] = s;
        *fresh = true;
        return s;
    }

    void drop(const std::string& sk) {
        sessions.erase(sk);
        drop_keys_of(sk);
    }

    std::string describe(const TokenKeyConfig& cfg, const Session& s) const {
        std::string k = !cfg.key_label.empty() ? fmt::format("key \"{}\"", cfg.key_label) : fmt::format("key id {}", cfg.key_id);
        return fmt::format("{} on {}", k, s.where);
    }

    std::vector<CK_OBJECT_HANDLE> find(Session& s, CK_OBJECT_CLASS cls, const TokenKeyConfig& cfg, const std::string& id) {
        Attr a;
        a.ulong(CKA_CLASS, cls);
        a.bytes(CKA_LABEL, cfg.key_label);
        a.bytes(CKA_ID, id);
        std::vector<CK_OBJECT_HANDLE> out;
        CK_RV rv = s.f()->C_FindObjectsInit(s.h, a.data(), a.size());
        if (rv == CKR_OK) {
            CK_OBJECT_HANDLE batch[16];
            CK_ULONG n = 0;
            while ((rv = s.f()->C_FindObjects(s.h, batch, 16, &n)) == CKR_OK && n) out.insert(out.end(), batch, batch + n);
            s.f()->C_FindObjectsFinal(s.h);
        }
        if (rv != CKR_OK) {
            if (session_lost(rv)) s.lost = true;
            fail(kind_of(rv), "cannot search {} for the managed key \"{}\": {}", s.where, cfg.name, rv_name(rv));
        }
        return out;
    }

    std::string attribute(Session& s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t, const std::string& what) {
        CK_ATTRIBUTE a{t, nullptr, 0};
        CK_RV rv = s.f()->C_GetAttributeValue(s.h, o, &a, 1);
        std::string out;
        if (rv == CKR_OK && a.ulValueLen != CK_UNAVAILABLE_INFORMATION) {
            out.resize(a.ulValueLen);
            a.pValue = out.data();
            rv = s.f()->C_GetAttributeValue(s.h, o, &a, 1);
        }
        if (rv != CKR_OK || a.ulValueLen == CK_UNAVAILABLE_INFORMATION) {
            if (session_lost(rv)) s.lost = true;
            fail(kind_of(rv), "cannot read the {} of {}: {}", what, describe_last_, rv_name(rv));
        }
        out.resize(a.ulValueLen);
        return out;
    }

    void generate(Session& s, const TokenKeyConfig& cfg, const std::string& id) {
        CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
        Attr pub, priv;
        for (Attr* a : {&pub, &priv}) {
            a->flag(CKA_TOKEN, yes);
            a->bytes(CKA_LABEL, cfg.key_label);
            a->bytes(CKA_ID, id);
        }
        // A signing key and nothing else: never extractable, not even wrapped.
        pub.flag(CKA_VERIFY, yes);
        pub.flag(CKA_ENCRYPT, no);
        pub.flag(CKA_WRAP, no);
        priv.flag(CKA_PRIVATE, yes);
        priv.flag(CKA_SENSITIVE, yes);
        priv.flag(CKA_EXTRACTABLE, no);
        priv.flag(CKA_SIGN, yes);
        priv.flag(CKA_DECRYPT, no);
        priv.flag(CKA_UNWRAP, no);
        priv.flag(CKA_DERIVE, no);
        CK_MECHANISM mech{};
        CK_ULONG bits = static_cast<CK_ULONG>(cfg.key_bits ? cfg.key_bits : 2048);
        static const unsigned char exponent[] = {0x01, 0x00, 0x01};
        std::string params;
        if (cfg.mechanism == TokenMechanism::RsaPkcs) {
            if (bits < 2048 || bits > 8192)
                fail(ErrorKind::Invalid, "key_bits {} is out of range for an RSA key on a token; use 2048 to 8192", bits);
            mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
            pub.ulong(CKA_MODULUS_BITS, bits);
            pub.add(CKA_PUBLIC_EXPONENT, exponent, sizeof exponent);
        } else {
            crypto::Asn1Object oid(OBJ_nid2obj(token_curve_nid(cfg.curve)));
            params = crypto::to_der<ASN1_OBJECT>(oid.get(), i2d_ASN1_OBJECT, "curve OID");
            mech.mechanism = CKM_EC_KEY_PAIR_GEN;
            pub.bytes(CKA_EC_PARAMS, params);
        }
        CK_OBJECT_HANDLE hpub = 0, hpriv = 0;
        CK_RV rv = s.f()->C_GenerateKeyPair(s.h, &mech, pub.data(), pub.size(), priv.data(), priv.size(), &hpub, &hpriv);
        if (rv != CKR_OK) {
            if (session_lost(rv)) s.lost = true;
            fail(kind_of(rv), "generating {} failed: {}", describe_last_, rv_name(rv));
        }
    }

    // The public half of the key at `priv`, as an EVP_PKEY that signs through the token.
    crypto::PKey wrap(Session& s, const std::shared_ptr<Session>& owner, CK_OBJECT_HANDLE priv, const TokenKeyConfig& cfg,
                      const std::string& id) {
        std::string type = attribute(s, priv, CKA_KEY_TYPE, "key type");
        CK_KEY_TYPE kt = 0;
        std::copy_n(type.data(), std::min(type.size(), sizeof kt), reinterpret_cast<char*>(&kt));
        auto tk = std::make_unique<TokenKey>();
        tk->s = owner;
        tk->obj = priv;
        tk->what = describe_last_;
        CK_BBOOL always = CK_FALSE;
        CK_ATTRIBUTE aa{CKA_ALWAYS_AUTHENTICATE, &always, sizeof always};
        if (s.f()->C_GetAttributeValue(s.h, priv, &aa, 1) == CKR_OK && always == CK_TRUE) {
            tk->always_authenticate = true;
            tk->pin = cfg.pin;
        }
        crypto::PKey pkey(EVP_PKEY_new());
        if (kt == CKK_RSA) {
            if (cfg.mechanism != TokenMechanism::RsaPkcs)
                fail(ErrorKind::Denied, "{} is an RSA key but the managed key's mechanism is {} (ECDSA); set mechanism=0x0001", describe_last_,
                     mechanism_text(cfg.mechanism));
            std::string n = attribute(s, priv, CKA_MODULUS, "modulus");
            std::string e = attribute(s, priv, CKA_PUBLIC_EXPONENT, "public exponent");
            RSA* rsa = RSA_new_method(nullptr);
            crypto::BigNum bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr));
            crypto::BigNum be(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr));
            if (!rsa || !bn || !be || RSA_set_method(rsa, rsa_method()) != 1 || RSA_set0_key(rsa, bn.get(), be.get(), nullptr) != 1) {
                RSA_free(rsa);
                fail(ErrorKind::Internal, "building the RSA key of {} failed: {}", describe_last_, crypto::openssl_error());
            }
            (void)bn.release();  // the RSA key owns them now
            (void)be.release();
            RSA_set_ex_data(rsa, rsa_slot(), tk.release());
            if (EVP_PKEY_assign_RSA(pkey.get(), rsa) != 1) {
                RSA_free(rsa);
                fail(ErrorKind::Internal, "building the RSA key of {} failed", describe_last_);
            }
        } else if (kt == CKK_EC) {
            if (cfg.mechanism != TokenMechanism::Ecdsa)
                fail(ErrorKind::Denied, "{} is an EC key but the managed key's mechanism is {} (RSA); set mechanism=0x1041", describe_last_,
                     mechanism_text(cfg.mechanism));
            std::string params = attribute(s, priv, CKA_EC_PARAMS, "curve");
            // CKA_EC_POINT is on the public key object (a private key object has none).
            auto pubs = find(s, CKO_PUBLIC_KEY, cfg, id);
            if (pubs.size() != 1)
                fail(ErrorKind::Denied, "{} has {} public key objects with its label and id; pki needs exactly one to know the EC key",
                     describe_last_, pubs.size());
            std::string point = attribute(s, pubs.front(), CKA_EC_POINT, "public point");
            const unsigned char* p = reinterpret_cast<const unsigned char*>(params.data());
            crypto::Asn1Object oid(d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(params.size())));
            int nid = oid ? OBJ_obj2nid(oid.get()) : NID_undef;
            if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1 && nid != NID_secp521r1)
                fail(ErrorKind::Denied, "{} is on a curve pki does not use for CA keys; use P-256, P-384 or P-521", describe_last_);
            // The point comes DER-wrapped in an OCTET STRING, as PKCS#11 says; some tokens give it bare.
            const unsigned char* q = reinterpret_cast<const unsigned char*>(point.data());
            crypto::Asn1Octets wrapped(d2i_ASN1_OCTET_STRING(nullptr, &q, static_cast<long>(point.size())));
            if (wrapped && q == reinterpret_cast<const unsigned char*>(point.data()) + point.size())
                point.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(wrapped.get())), static_cast<size_t>(ASN1_STRING_length(wrapped.get())));
            EC_KEY* ec = EC_KEY_new_by_curve_name(nid);
            if (!ec || EC_KEY_set_method(ec, ec_method()) != 1 ||
                EC_KEY_oct2key(ec, reinterpret_cast<const unsigned char*>(point.data()), point.size(), nullptr) != 1) {
                EC_KEY_free(ec);
                fail(ErrorKind::Denied, "the public point of {} cannot be read: {}", describe_last_, crypto::openssl_error());
            }
            EC_KEY_set_ex_data(ec, ec_slot(), tk.release());
            if (EVP_PKEY_assign_EC_KEY(pkey.get(), ec) != 1) {
                EC_KEY_free(ec);
                fail(ErrorKind::Internal, "building the EC key of {} failed", describe_last_);
            }
        } else {
            fail(ErrorKind::Denied, "{} is neither an RSA nor an EC key (CKA_KEY_TYPE {}); pki signs with RSA and EC keys", describe_last_, kt);
        }
        return pkey;
    }

    // One try on the cached session (or a new one); throws what the token said.
    crypto::PKey attempt(const TokenKeyConfig& cfg, const std::string& sk, const std::string& id, Pkcs11::Missing missing, bool* generated) {
        bool fresh = false;
        auto s = session(cfg, sk, &fresh);
        last_fresh_ = fresh;
        std::string kk = sk + '\n' + cfg.key_label + '\n' + id + '\n' + mechanism_text(cfg.mechanism);
        std::shared_lock gate(s->mod->gate);
        std::lock_guard lock(s->mu);
        if (!s->current()) fail(ErrorKind::Unavailable, "the session on {} ended with a restart of its module", s->where);
        describe_last_ = describe(cfg, *s);
        login(*s, cfg, sk);
        {
            std::lock_guard pool(s->pool_mu);
            s->max_parallel = std::max<size_t>(s->max_parallel, static_cast<size_t>(std::max(1, cfg.max_parallel)));
        }
        if (auto it = keys.find(kk); it != keys.end()) {
            // Still on the token? (A key deleted there would fail only at signing.)
            CK_OBJECT_CLASS cls = 0;
            CK_ATTRIBUTE a{CKA_CLASS, &cls, sizeof cls};
            const auto* tk = token_key(it->second.get());
            if (tk && s->f()->C_GetAttributeValue(s->h, tk->obj, &a, 1) == CKR_OK) {
                EVP_PKEY_up_ref(it->second.get());
                return crypto::PKey(it->second.get());
            }
            keys.erase(it);
        }
        auto found = find(*s, CKO_PRIVATE_KEY, cfg, id);
        if (found.empty() && !fresh)  // perhaps only this session's view: tried again on a new one
            fail(ErrorKind::Unavailable, "{} is not found on the token", describe_last_);
        if (found.empty() && missing == Pkcs11::Missing::Refuse)
            fail(ErrorKind::Unavailable, "{} is gone from the token; put the token (or the key) back, or restore the key from the token's backup",
                 describe_last_);
        if (found.empty()) {
            if (!cfg.allow_generate_key)
                fail(ErrorKind::Denied, "{} does not exist; create it on the token (pkcs11-tool --keypairgen) or set "
                                        "allow_generate_key=true on managed key \"{}\"", describe_last_, cfg.name);
            generate(*s, cfg, id);
            if (generated) *generated = true;
            found = find(*s, CKO_PRIVATE_KEY, cfg, id);
        }
        if (found.size() > 1)
            fail(ErrorKind::Denied, "{} matches {} private keys; give a key_label and key_id that name one", describe_last_, found.size());
        if (found.empty()) fail(ErrorKind::Unavailable, "{} was generated but the token does not find it", describe_last_);
        crypto::PKey k = wrap(*s, s, found.front(), cfg, id);
        EVP_PKEY_up_ref(k.get());
        keys[kk] = crypto::PKey(k.get());
        served.insert(sk);
        return k;
    }

    // Start a module over, as after a token was removed and put back: alone on its gate (every
    // call on its sessions has ended), C_Finalize and C_Initialize, and a new generation.
    void restart(Module& m) {
        for (auto it = sessions.begin(); it != sessions.end();) it = it->second->mod == &m ? (drop_keys_of(it->first), sessions.erase(it)) : std::next(it);
        std::unique_lock gate(m.gate);
        ++m.generation;
        if (!m.finalize) return;  // someone else initialised it: not ours to restart
        m.f->C_Finalize(nullptr);
        CK_C_INITIALIZE_ARGS args{};
        args.flags = CKF_OS_LOCKING_OK;
        CK_RV rv = m.f->C_Initialize(&args);
        if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
            fail(ErrorKind::Unavailable, "{} is unavailable: module {} failed to start again ({}); is the token present?", describe_last_, m.path,
                 rv_name(rv));
    }

    void drop_keys_of(const std::string& sk) {
        for (auto it = keys.begin(); it != keys.end();) it = it->first.rfind(sk + '\n', 0) == 0 ? keys.erase(it) : std::next(it);
    }

    crypto::PKey key(const TokenKeyConfig& cfg, Pkcs11::Missing missing, bool* generated) {
        if (cfg.key_label.empty() && cfg.key_id.empty())
            fail(ErrorKind::Invalid, "managed key \"{}\" names no key; set key_label (and/or key_id)", cfg.name);
        std::string id = token_key_id(cfg.key_id);
        std::string sk = session_key(cfg);
        describe_last_ = fmt::format("managed key \"{}\" on module {}", cfg.name, cfg.library);
        // A cached session that fails is replaced once by a new one. A token that served this key
        // before and is not found now may have been removed and put back: the module is started
        // over once. A refusal (a wrong PIN above all) is never repeated.
        bool restarted = false;
        for (int round = 0;; ++round) {
            token_gone_ = false;
            last_fresh_ = true;
            try {
                return attempt(cfg, sk, id, missing, generated);
            } catch (const Error& e) {
                bool before = served.count(sk) > 0;
                bool lost = token_gone_ || (sessions.count(sk) && sessions[sk]->lost);
                if (e.kind() == ErrorKind::Denied || round >= 3) throw;
                if (!last_fresh_) {
                    drop(sk);
                    continue;
                }
                if (before && lost && !restarted && modules.count(cfg.library)) {
                    restarted = true;
                    restart(*modules[cfg.library]);
                    continue;
                }
                if (before && e.kind() == ErrorKind::Invalid)  // a token that was there: absent now, not misconfigured
                    fail(ErrorKind::Unavailable, "{} (the token served this key before: was it removed?)", e.what());
                throw;
            }
        }
    }

    std::set<std::string> served;         // session keys that once gave a key
    std::set<std::string> refused_pins;   // session key + PIN hash the token refused
    bool token_gone_ = false;             // the last failure was a token that is not there
    bool last_fresh_ = true;              // the last attempt ran on a new session
    std::string describe_last_;  // the key being worked on, for messages (under mu)
};

Pkcs11::Pkcs11() : impl_(std::make_unique<Impl>()) {}
Pkcs11::~Pkcs11() = default;

crypto::PKey Pkcs11::key(const TokenKeyConfig& cfg, Missing missing, bool* generated) const {
    std::lock_guard lock(impl_->mu);
    return impl_->key(cfg, missing, generated);
}

}  // namespace pki::keys
