#pragma once
// The operation table: every endpoint is one PathSpec (pattern, field schema, operations with
// their handlers, help). The generic commands, the ergonomic commands, help, man pages and
// completions are all built from it.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/fields.hpp"
#include "api/request.hpp"

namespace pki::engine {
struct Context;
struct BatchContext;
}

namespace pki::api {

struct PathSpec;

// What a handler gets: the engine's context (transaction, mount, time, key store) and the
// request's parsed fields. A handler reads its typed parameters from the fields, calls the
// engine's operation and renders its result as the Vault response.
struct Call {
    engine::Context& ctx;
    const Fields& fields;
    const PathSpec& spec;
    Op op;
};
using Handler = Response (*)(Call&);
// For work too large for one transaction (tidy): the handler runs its own bounded transactions
// through the store of its context, its typed parameters read from the request's fields.
struct BatchCall {
    engine::BatchContext& ctx;
    const Fields& fields;
};
using BatchHandler = Response (*)(BatchCall&);

struct OpSpec {
    Op op;
    Handler handler;
    std::string summary;                // one line, used in help and man pages
    std::vector<std::string> command;   // ergonomic command words ("key", "generate"); empty: none
    BatchHandler batch = nullptr;       // set instead of handler for batch operations
    bool mutates = false;               // a read that changes state (crl/rotate): runs in a write transaction
    bool fresh_crls = false;            // a read of a CRL: for the local operator, due CRLs are rebuilt first
    // A field the ergonomic command also takes as a last positional FILE (its contents; "-" for
    // standard input): `pki policy write NAME FILE`.
    std::string file_arg{};
};

// Who may call a path over pki serve (the local operator may call every path).
enum class Access {
    Token,  // a valid token whose policies grant the operation's capability on the path
    Open,   // anyone: the certificates and CRLs Vault serves unauthenticated, logins
};

// Whether the object a write names exists already: a write of a new one needs the "create"
// capability, of an existing one "update" (Vault's existence check). Paths without one: update.
using ExistenceCheck = bool (*)(Call&);

struct PathSpec {
    // "issuer/:issuer_ref/sign/:role"; under sys/ when `sys`. A last part "*name" takes the rest
    // of the path, slashes and all (ocsp/*request: base64 in the path).
    std::string pattern;
    std::string family;    // grouping for help and man pages: "key", "issuer", "role" ...
    std::string description;
    std::vector<FieldSpec> fields;  // body fields and, with in_path, the pattern's parameters
    std::vector<OpSpec> ops;
    // "" for a path of a mount; "sys" or "auth" for a path of the tool itself (sys/mounts,
    // auth/token/create), which the pattern follows.
    std::string root{};
    bool sys() const { return !root.empty(); }
    Access access = Access::Token;
    bool sudo = false;                 // Vault's root-protected paths: the sudo capability is needed too
    ExistenceCheck exists = nullptr;

    const OpSpec* find(Op op) const;
    std::vector<std::string> params() const;  // the ":name" and "*name" parts, in order
    std::string display() const;              // "sys/mounts/:path" or ":mount/keys/generate/:type"
};

// A request path in its parts: under a root of the tool ("sys/mounts/pki": root "sys", sub
// "mounts/pki"), or under a mount ("pki/roles/web": mount "pki", sub "roles/web").
struct PathParts {
    std::string root;   // "sys", "auth", or "" for a mount's path
    std::string mount;  // "" under a root
    std::string sub;
};
// Leading and trailing slashes are dropped first.
PathParts split_path(std::string_view path);
// `path` without its leading and trailing slashes; Error(Invalid) when nothing is left.
std::string normalized_path(std::string_view path);
// The first path segments that are the tool's own, not mount names.
inline constexpr std::string_view kRoots[] = {"sys", "auth"};

struct Match {
    const PathSpec* spec = nullptr;
    std::map<std::string, std::string> params;
};

class Table {
public:
    void add(PathSpec spec);
    std::optional<Match> match(std::string_view subpath, std::string_view root) const;  // root "" for a mount's paths
    const std::vector<PathSpec>& paths() const { return paths_; }
    // One-line help for a command word that groups others ("key", "role", "config" ...); a group
    // under another is named by its words joined with '/' ("approle/role").
    void describe_group(std::string word, std::string help) { groups_[std::move(word)] = std::move(help); }
    std::string group_help(const std::string& word) const;

private:
    std::vector<PathSpec> paths_;
    std::vector<std::vector<std::string>> segments_;  // each pattern split at '/', once
    std::map<std::string, std::string> groups_;
};

// `spec` served without a token (Access::Open).
inline PathSpec open_path(PathSpec spec) {
    spec.access = Access::Open;
    return spec;
}

// Every family of the tool, registered explicitly.
Table build_table();

}  // namespace pki::api
