#pragma once
// Optimistic transactions: run a request against a read snapshot with its writes buffered, so
// that the expensive part (key generation, signing) runs on any thread while another commits.
// What the request read is remembered; at commit, inside the real write transaction, validate()
// checks that every value read is still the same (and every scan still sees the same entries),
// and apply() writes the buffered changes. A request that fails validation is run again in the
// write transaction itself, so the outcome is always that of running requests one at a time in
// order (serializable).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace pki::store {

class OverlayTxn final : public Txn {
public:
    explicit OverlayTxn(const Txn& base) : base_(base) {}
    void release_read_pages() const override { base_.release_read_pages(); }

    bool writable() const override { return true; }
    std::optional<std::string_view> get(std::string_view key) const override;
    void put(std::string_view key, std::string_view value) override;
    bool del(std::string_view key) override;
    void scan_from(std::string_view prefix, std::string_view start, const Visit& visit) const override;

    bool has_writes() const { return !writes_.empty(); }
    // Whether everything read would read the same in `current`.
    bool validate(const Txn& current) const;
    // Write the buffered changes into `target`.
    void apply(Txn& target) const;

private:
    struct Scan {
        std::string prefix, start;
        std::vector<std::pair<std::string, std::string>> seen;
        bool stopped = false;  // the visitor stopped it (else it ran to the end of the prefix)
        std::optional<std::string> bound;  // it stopped on one of this transaction's writes
    };
    const Txn& base_;
    std::map<std::string, std::optional<std::string>, std::less<>> writes_;  // nullopt: deleted
    mutable std::map<std::string, std::optional<std::string>, std::less<>> reads_;
    mutable std::vector<Scan> scans_;
};

}  // namespace pki::store
