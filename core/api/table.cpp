#include "api/table.hpp"

#include "api/paths.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::api {

const OpSpec* PathSpec::find(Op op) const {
    for (const auto& o : ops)
        if (o.op == op) return &o;
    return nullptr;
}

std::vector<std::string> PathSpec::params() const {
    std::vector<std::string> out;
    for (auto seg : util::split(pattern, '/'))
        if (!seg.empty() && (seg.front() == ':' || seg.front() == '*')) out.emplace_back(seg.substr(1));
    return out;
}

std::string PathSpec::display() const { return sys() ? root + "/" + pattern : ":mount/" + pattern; }

namespace {

std::string_view trim_slashes(std::string_view path) {
    while (!path.empty() && path.front() == '/') path.remove_prefix(1);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    return path;
}

}  // namespace

std::string normalized_path(std::string_view path) {
    path = trim_slashes(path);
    if (path.empty()) fail(ErrorKind::Invalid, "empty path; give a path such as pki/roles/web");
    return std::string(path);
}

PathParts split_path(std::string_view path) {
    path = trim_slashes(path);
    auto slash = path.find('/');
    std::string_view first = path.substr(0, slash);
    std::string_view rest = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    PathParts p;
    for (auto root : kRoots)
        if (first == root) {
            p.root = root;
            p.sub = rest;
            return p;
        }
    p.mount = first;
    p.sub = rest;
    return p;
}

std::string Table::group_help(const std::string& word) const {
    auto it = groups_.find(word);
    return it == groups_.end() ? std::string() : it->second;
}

void Table::add(PathSpec spec) {
    // Every path parameter is a field too (a string, in the path), declared here when the
    // family did not declare it with its own help.
    for (const auto& p : spec.params()) {
        bool declared = false;
        for (auto& f : spec.fields)
            if (f.name == p) {
                f.in_path = true;
                declared = true;
            }
        if (!declared) spec.fields.push_back(FieldSpec{p, FieldType::String, nullptr, "Part of the path.", {}, true});
    }
    std::vector<std::string> segs;
    for (auto seg : util::split(spec.pattern, '/')) segs.emplace_back(seg);
    segments_.push_back(std::move(segs));
    paths_.push_back(std::move(spec));
}

std::optional<Match> Table::match(std::string_view subpath, std::string_view root) const {
    auto segs = util::split(subpath, '/');
    if (!segs.empty() && segs.back().empty() && segs.size() > 1) segs.pop_back();  // trailing slash
    // The most specific pattern wins: the most literal parts ("cert/crl" before "cert/:serial"),
    // then a fixed length before a tail; among equals, the first added.
    std::optional<Match> best;
    int best_score = -1;
    for (size_t n = 0; n < paths_.size(); ++n) {
        const PathSpec& spec = paths_[n];
        if (spec.root != root) continue;
        const auto& pat = segments_[n];
        bool tail = !pat.empty() && !pat.back().empty() && pat.back().front() == '*';
        size_t fixed = tail ? pat.size() - 1 : pat.size();
        if (tail ? segs.size() < pat.size() : pat.size() != segs.size()) continue;
        // The fixed parts first, without building anything: most patterns fail here.
        bool ok = true;
        int literals = 0;
        for (size_t i = 0; i < fixed && ok; ++i) {
            if (!pat[i].empty() && pat[i].front() == ':') {
                ok = !segs[i].empty();
            } else {
                ok = pat[i] == segs[i];
                ++literals;
            }
        }
        int score = literals * 2 + (tail ? 0 : 1);
        if (!ok || score <= best_score) continue;
        Match m{&spec, {}};
        for (size_t i = 0; i < fixed; ++i)
            if (!pat[i].empty() && pat[i].front() == ':') m.params[pat[i].substr(1)] = std::string(segs[i]);
        if (tail) {
            size_t start = 0;
            for (size_t i = 0; i < fixed; ++i) start += segs[i].size() + 1;
            std::string_view rest = subpath.substr(std::min(start, subpath.size()));
            if (rest.empty()) continue;
            m.params[pat.back().substr(1)] = std::string(rest);
        }
        best = std::move(m);
        best_score = score;
    }
    return best;
}

Table build_table() {
    Table t;
    add_sys_paths(t);
    add_key_paths(t);
    add_ca_paths(t);
    add_issuer_paths(t);
    add_role_paths(t);
    add_crl_paths(t);
    add_auth_paths(t);
    add_approle_paths(t);
    add_policy_paths(t);
    add_managed_key_paths(t);
    return t;
}

}  // namespace pki::api
