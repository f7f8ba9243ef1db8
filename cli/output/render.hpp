#pragma once
// Output formatters shared by every command: table (Vault's Key/Value), json (the Vault API
// envelope), yaml, pem and der (the object itself), and --field NAME (one value, raw).
#include <ostream>
#include <string>
#include <vector>

#include "api/request.hpp"

namespace pki::cli {

enum class Format { Table, Json, Yaml, Pem, Der };
Format parse_format(const std::string& name);  // throws Error(Usage)

struct OutputOptions {
    Format format = Format::Table;
    bool format_given = false;  // --format was on the command line (PKI_FORMAT does not count):
                                // only then are the bytes of raw endpoints converted or refused
    std::string field;
    bool color = false;
};

// Write `response` to `out`; warnings and notes (an empty LIST) go to `err`. `path` and `op`
// shape the success lines Vault prints for writes and deletes that return no data. Raw
// endpoints (DER, PEM) print their bytes as served; an explicit -format=pem|der converts them,
// and -format=json|yaml or --field on them is a usage error naming the JSON endpoint.
void render(const api::Response& response, const OutputOptions& options, const std::string& path, api::Op op,
            std::ostream& out, std::ostream& err);

// An aligned table with a header row (bold when `color`) and a dashed rule under it.
void print_columns(std::ostream& out, const std::vector<std::string>& headers,
                   const std::vector<std::vector<std::string>>& rows, bool color = false);

// Colour only on a terminal, and never with NO_COLOR set (or TERM=dumb).
bool color_enabled(int fd);
// "Warning: ..." / "Error: ..." prefixes, coloured when `color`.
std::string warning_prefix(bool color);
std::string error_prefix(bool color);


}  // namespace pki::cli
