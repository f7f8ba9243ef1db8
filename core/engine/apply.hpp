#pragma once
// Declarative apply: a YAML file describes mounts, their URLs and CRL settings, their roles, and a
// root or intermediate to create when missing. plan_apply validates the whole file against the
// table's field schemas (refusing it, with file, line and field, before anything is written) and
// compares it with the state; the steps it returns bring the state to the file.
#include <functional>
#include <string>
#include <vector>

#include "engine/engine.hpp"

namespace pki::engine {

struct ApplyStep {
    std::string description;                // "create mount pki_int", "update role web (max_ttl)"
    std::function<void(Engine&)> run;
};

std::vector<ApplyStep> plan_apply(Engine& engine, const std::string& file_name, const std::string& yaml_text);

}  // namespace pki::engine
