#include "store/overlay.hpp"

namespace pki::store {

std::optional<std::string_view> OverlayTxn::get(std::string_view key) const {
    if (auto w = writes_.find(key); w != writes_.end()) {
        if (!w->second) return std::nullopt;
        return std::string_view(*w->second);
    }
    auto v = base_.get(key);
    if (reads_.find(key) == reads_.end())
        reads_.emplace(std::string(key), v ? std::optional<std::string>(std::string(*v)) : std::nullopt);
    return v;
}

void OverlayTxn::put(std::string_view key, std::string_view value) {
    writes_.insert_or_assign(std::string(key), std::optional<std::string>(std::string(value)));
}

bool OverlayTxn::del(std::string_view key) {
    bool existed = get(key).has_value();
    writes_.insert_or_assign(std::string(key), std::nullopt);
    return existed;
}

void OverlayTxn::scan_from(std::string_view prefix, std::string_view start, const Visit& visit) const {
    // Merge the snapshot with this transaction's own writes, in key order. What the snapshot
    // showed is recorded for validation.
    Scan rec{std::string(prefix), std::string(start), {}, false, std::nullopt};
    auto w = writes_.lower_bound(start);
    auto in_prefix = [&](std::string_view k) { return k.substr(0, prefix.size()) == prefix; };
    bool stopped = false;
    auto emit_writes_before = [&](std::optional<std::string_view> bound) {
        while (!stopped && w != writes_.end() && in_prefix(w->first) && (!bound || w->first < *bound)) {
            if (w->second && !visit(w->first, *w->second)) {
                stopped = true;
                rec.bound = w->first;  // entries of the snapshot past this one were never looked at
            }
            ++w;
        }
    };
    base_.scan_from(prefix, start, [&](std::string_view k, std::string_view v) {
        emit_writes_before(k);
        if (stopped) return false;
        rec.seen.emplace_back(std::string(k), std::string(v));
        if (w != writes_.end() && w->first == k) {  // overwritten or deleted here
            bool go = !w->second || visit(k, *w->second);
            ++w;
            if (!go) stopped = true;
            return go;
        }
        if (!visit(k, v)) stopped = true;
        return !stopped;
    });
    if (!stopped) emit_writes_before(std::nullopt);
    rec.stopped = stopped;
    scans_.push_back(std::move(rec));
}

bool OverlayTxn::validate(const Txn& current) const {
    for (const auto& [key, seen] : reads_) {
        auto now = current.get(key);
        if (now.has_value() != seen.has_value()) return false;
        if (now && *now != *seen) return false;
    }
    for (const auto& s : scans_) {
        size_t i = 0;
        bool same = true;
        current.scan_from(s.prefix, s.start, [&](std::string_view k, std::string_view v) {
            if (i == s.seen.size()) {  // one more entry than was seen: fine only if the scan had stopped
                same = s.stopped && (!s.bound || k >= *s.bound);
                return false;
            }
            if (s.seen[i].first != k || s.seen[i].second != v) {
                same = false;
                return false;
            }
            ++i;
            return true;
        });
        if (!same || i < s.seen.size()) return false;
    }
    return true;
}

void OverlayTxn::apply(Txn& target) const {
    for (const auto& [key, value] : writes_) {
        if (value) target.put(key, *value);
        else target.del(key);
    }
}

}  // namespace pki::store
