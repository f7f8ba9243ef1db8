#pragma once
// Declarative apply (a front end: it reads YAML, so it lives in cli/, not in the core): a YAML file describes mounts, their URLs and CRL settings, their roles, and a
// root or intermediate to create when missing. plan_apply validates the whole file against the
// table's field schemas (refusing it, with file, line and field, before anything is written) and
// compares it with the state; the steps it returns bring the state to the file.
#include <functional>
#include <string>
#include <vector>

#include "api/request.hpp"
#include "api/table.hpp"

namespace pki::cli {

// Runs one request (against the service, or inside the atomic unit of the apply).
using Executor = std::function<api::Response(const api::Request&)>;

struct ApplyStep {
    std::string description;                // "create mount pki_int", "update role web (max_ttl)"
    std::function<void(const Executor&)> run;
};

std::vector<ApplyStep> plan_apply(const api::Table& table, const Executor& execute, const std::string& file_name,
                                  const std::string& yaml_text);

}  // namespace pki::cli
