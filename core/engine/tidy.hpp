#pragma once
// Tidy: remove certificates and revoked entries expired for longer than a safety buffer, in
// bounded transactions, then rebuild the CRLs that lost entries. tidy-status reports on it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.hpp"

namespace pki::engine {

struct TidyOptions {
    bool tidy_cert_store = false;     // remove expired certificates
    bool tidy_revoked_certs = false;  // remove expired revoked entries (and their CRL entries)
    int64_t safety_buffer = 72 * 3600;  // seconds past expiry an entry is kept; must be positive
};

enum class TidyState { Inactive, Running, Finished, Error };
std::string_view tidy_state_name(TidyState s);  // "Inactive", "Running", "Finished", "Error"

// The running or last tidy of a mount, as recorded. What a tidy has not set yet is absent.
struct TidyStatus {
    TidyState state = TidyState::Inactive;
    std::optional<int64_t> safety_buffer;  // seconds
    std::optional<bool> tidy_cert_store;
    std::optional<bool> tidy_revoked_certs;
    std::optional<std::string> error;
    std::optional<std::string> time_started;   // RFC 3339 UTC
    std::optional<std::string> time_finished;  // RFC 3339 UTC
    std::optional<std::string> message;        // progress while running
    int64_t cert_store_deleted_count = 0;
    int64_t revoked_cert_deleted_count = 0;
};

struct TidyResult {
    TidyStatus status;                  // Finished
    std::vector<std::string> warnings;  // from rebuilding the CRLs
};

// Runs its own bounded transactions, recording its progress in the status as it goes; on an
// error the status records it (state Error) and the error is rethrown.
TidyResult tidy(BatchContext& ctx, const TidyOptions& options);
// tidy-status: a Running tidy whose process is gone is reported as an Error.
TidyStatus tidy_status(Context& ctx);

}  // namespace pki::engine
