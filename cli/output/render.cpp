#include "cli/output/render.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include <yaml-cpp/yaml.h>

#include "crypto/random.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::cli {
namespace {

using api::Json;

std::string scalar_text(const Json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return "n/a";
    if (v.is_array()) {
        std::string out = "[";
        for (size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + scalar_text(v[i]);
        return out + "]";
    }
    if (v.is_object()) {
        std::string out = "map[";
        bool first = true;
        for (const auto& [k, item] : v.items()) {
            out += (first ? "" : " ") + k + ":" + scalar_text(item);
            first = false;
        }
        return out + "]";
    }
    return v.dump();
}

void print_table(const Json& data, std::ostream& out, bool color) {
    if (data.contains("keys") && data["keys"].is_array() && data.size() <= 2 &&
        (data.size() == 1 || data.contains("key_info"))) {
        // A LIST response: one key a line, with what key_info says of each beside it.
        const Json& keys = data["keys"];
        const Json info = data.value("key_info", Json::object());
        std::vector<std::string> cols{"Keys"};
        for (const auto& k : keys)
            if (info.contains(k.get<std::string>()))
                for (const auto& [col, _] : info[k.get<std::string>()].items())
                    if (std::find(cols.begin(), cols.end(), col) == cols.end()) cols.push_back(col);
        std::vector<std::vector<std::string>> rows;
        for (const auto& k : keys) {
            std::vector<std::string> row{k.get<std::string>()};
            for (size_t c = 1; c < cols.size(); ++c) {
                const Json& entry = info.value(row[0], Json::object());
                row.push_back(entry.contains(cols[c]) ? scalar_text(entry[cols[c]]) : "");
            }
            rows.push_back(std::move(row));
        }
        print_columns(out, cols, rows, color);
        return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& [k, v] : data.items()) rows.push_back({k, scalar_text(v)});
    print_columns(out, {"Key", "Value"}, rows, color);
}

YAML::Node to_yaml(const Json& v) {
    if (v.is_object()) {
        YAML::Node n(YAML::NodeType::Map);
        for (const auto& [k, item] : v.items()) n[k] = to_yaml(item);
        return n;
    }
    if (v.is_array()) {
        YAML::Node n(YAML::NodeType::Sequence);
        for (const auto& item : v) n.push_back(to_yaml(item));
        return n;
    }
    if (v.is_null()) return YAML::Node();
    if (v.is_string()) return YAML::Node(v.get<std::string>());
    return YAML::Node(v.dump());
}

// The object a pem/der output prints: the first of these fields present in the response.
const Json* primary_object(const Json& data, std::string& label) {
    static constexpr std::pair<const char*, const char*> kFields[] = {
        {"certificate", "CERTIFICATE"}, {"csr", "CERTIFICATE REQUEST"}, {"crl", "X509 CRL"}, {"private_key", "PRIVATE KEY"}};
    if (!data.is_object()) return nullptr;
    for (const auto& [name, pem_label] : kFields)
        if (data.contains(name) && data[name].is_string() && !data[name].get<std::string>().empty()) {
            label = pem_label;
            return &data[name];
        }
    return nullptr;
}

std::string first_pem_block_der(const std::string& pem) {
    auto begin = pem.find("-----BEGIN ");
    if (begin == std::string::npos) return util::base64_decode(pem);  // already base64 DER
    auto body = pem.find('\n', begin);
    auto end = pem.find("-----END ", body);
    if (body == std::string::npos || end == std::string::npos) fail(ErrorKind::Internal, "malformed PEM in response");
    return util::base64_decode(pem.substr(body + 1, end - body - 1));
}

std::string as_pem(const std::string& value, const std::string& label) {
    if (value.find("-----BEGIN ") != std::string::npos) return value;
    std::string b64(util::trim(value));
    std::string out = "-----BEGIN " + label + "-----\n";
    for (size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
    return out + "-----END " + label + "-----";
}

void ensure_newline(std::ostream& out, const std::string& s) {
    out << s;
    if (s.empty() || s.back() != '\n') out << '\n';
}

// The JSON endpoint that holds what a raw endpoint serves, for the message refusing
// json/yaml/--field on raw bytes; "" when there is none.
std::string json_twin(std::string_view path) {
    auto slash = path.find('/');
    if (slash == std::string_view::npos) return "";
    std::string mount(path.substr(0, slash));
    std::vector<std::string> parts;
    for (auto part : util::split(path.substr(slash + 1), '/'))
        if (!part.empty()) parts.emplace_back(part);
    std::string sub = util::join(parts, "/");
    if (sub == "crl" || sub == "crl/pem") return mount + "/cert/crl";
    if (sub == "ca" || sub == "ca/pem") return mount + "/cert/ca";
    if (sub == "ca_chain") return mount + "/cert/ca_chain";
    if (parts.size() >= 3 && parts[0] == "cert" && parts[2] == "raw") return mount + "/cert/" + parts[1];
    if (parts.size() == 3 && parts[0] == "issuer" && (parts[2] == "der" || parts[2] == "pem"))
        return mount + "/issuer/" + parts[1] + "/json";
    if (parts.size() == 4 && parts[0] == "issuer" && parts[2] == "crl") return mount + "/issuer/" + parts[1] + "/crl";
    return "";
}

// A raw endpoint's bytes: exactly as served unless -format=pem or -format=der was given on the
// command line, which convert DER to PEM and PEM (its first block) to DER.
void render_raw(const api::RawBody& raw, const OutputOptions& options, const std::string& path, std::ostream& out) {
    if (!options.field.empty() || (options.format_given && (options.format == Format::Json || options.format == Format::Yaml))) {
        std::string asked = options.field.empty() ? (options.format == Format::Json ? "-format=json" : "-format=yaml")
                                                  : "-field=" + options.field;
        std::string twin = json_twin(path);
        if (!twin.empty()) twin = ", or read the JSON form: pki read " + (options.field.empty() ? asked + " " : "") + twin;
        fail(ErrorKind::Usage, "{} returns raw bytes ({}), so {} does not apply; use -format=pem or -format=der{}", path,
             raw.content_type, asked, twin);
    }
    const bool der = raw.binary();
    if (!options.format_given || options.format == Format::Table || (der == (options.format == Format::Der))) {
        out << raw.body;  // Vault's bytes, unchanged
        return;
    }
    if (options.format == Format::Der) {
        if (raw.body.find("-----BEGIN ") == std::string::npos)
            fail(ErrorKind::NotFound, "{} returned no PEM block to print as der", path);
        out << first_pem_block_der(raw.body);
        return;
    }
    std::string label = raw.content_type == "application/pkix-crl" ? "X509 CRL" : "CERTIFICATE";
    ensure_newline(out, as_pem(util::base64(raw.body), label));
}

}  // namespace

bool color_enabled(int fd) {
    const char* no_color = std::getenv("NO_COLOR");
    const char* term = std::getenv("TERM");
    return ::isatty(fd) && !(no_color && *no_color) && !(term && std::string_view(term) == "dumb");
}

std::string warning_prefix(bool color) { return color ? "\033[33mWarning:\033[0m " : "Warning: "; }
std::string error_prefix(bool color) { return color ? "\033[31mError:\033[0m " : "Error: "; }

void print_columns(std::ostream& out, const std::vector<std::string>& headers,
                   const std::vector<std::vector<std::string>>& rows, bool color) {
    std::vector<size_t> w(headers.size());
    for (size_t c = 0; c < headers.size(); ++c) w[c] = headers[c].size();
    for (const auto& r : rows)
        for (size_t c = 0; c < r.size() && c < w.size(); ++c) w[c] = std::max(w[c], r[c].size());
    const std::string spaces((w.empty() ? 0 : *std::max_element(w.begin(), w.end())) + 4, ' ');
    auto line = [&](const std::vector<std::string>& cells, bool bold) {
        for (size_t c = 0; c < cells.size(); ++c) {
            if (bold) out << "\033[1m" << cells[c] << "\033[0m";
            else out << cells[c];
            if (c + 1 < cells.size())
                out.write(spaces.data(), static_cast<std::streamsize>((w[c] > cells[c].size() ? w[c] - cells[c].size() : 0) + 4));
        }
        out.put('\n');
    };
    line(headers, color);
    std::vector<std::string> rule;
    for (const auto& h : headers) rule.emplace_back(h.size(), '-');
    line(rule, false);
    for (const auto& r : rows) line(r, false);
}

Format parse_format(const std::string& name) {
    if (name == "table") return Format::Table;
    if (name == "json") return Format::Json;
    if (name == "yaml") return Format::Yaml;
    if (name == "pem") return Format::Pem;
    if (name == "der") return Format::Der;
    fail(ErrorKind::Usage, "output format \"{}\" is not supported; use table, json, yaml, pem or der", name);
}

void render(const api::Response& response, const OutputOptions& options, const std::string& path, api::Op op,
            std::ostream& out, std::ostream& err) {
    for (const auto& w : response.warnings) err << warning_prefix(color_enabled(2)) << w << "\n";

    if (response.raw) {
        render_raw(*response.raw, options, path, out);
        return;
    }
    // A token (auth/token/create, renew-self) shows as Vault's CLI shows it: -field=token prints it.
    Json token_view;
    if (response.auth.is_object() && (options.format == Format::Table || !options.field.empty())) {
        const Json& a = response.auth;
        token_view = Json{{"token", a.value("client_token", "")},
                          {"token_accessor", a.value("accessor", "")},
                          {"token_duration", util::format_duration(a.value("lease_duration", int64_t{0}))},
                          {"token_renewable", a.value("renewable", false)},
                          {"token_policies", a.value("token_policies", Json::array())},
                          {"identity_policies", Json::array()},
                          {"policies", a.value("policies", Json::array())}};
    }
    const Json& data = token_view.is_null() ? response.data : token_view;

    if (!options.field.empty()) {
        if (!data.is_object() || !data.contains(options.field))
            fail(ErrorKind::NotFound, "field \"{}\" is not present in the response from {}", options.field, path);
        const Json& v = data[options.field];
        if (v.is_array()) {
            for (const auto& item : v) ensure_newline(out, item.is_string() ? item.get<std::string>() : item.dump());
        } else if (v.is_string()) {
            ensure_newline(out, v.get<std::string>());
        } else {
            ensure_newline(out, v.is_null() ? "" : v.dump());
        }
        return;
    }

    switch (options.format) {
        case Format::Json: {
            // The envelope in Vault's key order; data is dumped once (no re-parse: large LISTs).
            std::string body = data.is_null() ? "null" : data.dump(2);
            out << "{\n  \"request_id\": " << Json(crypto::random_uuid()).dump() << ",\n  \"lease_id\": " << Json(response.lease_id).dump()
                << ",\n  \"lease_duration\": " << response.lease_duration << ",\n  \"renewable\": false,\n  \"data\": ";
            // data nested one level deeper: two more spaces after every newline, written in runs.
            for (size_t from = 0;;) {
                size_t nl = body.find('\n', from);
                if (nl == std::string::npos) {
                    out.write(body.data() + from, static_cast<std::streamsize>(body.size() - from));
                    break;
                }
                out.write(body.data() + from, static_cast<std::streamsize>(nl + 1 - from));
                out << "  ";
                from = nl + 1;
            }
            out << ",\n  \"wrap_info\": null,\n  \"warnings\": "
                << (response.warnings.empty() ? std::string("null") : Json(response.warnings).dump()) << ",\n  \"auth\": ";
            if (response.auth.is_null()) out << "null";
            else {
                std::string auth = response.auth.dump(2);
                for (char c : auth) {
                    out.put(c);
                    if (c == '\n') out << "  ";
                }
            }
            out << "\n}\n";
            return;
        }
        case Format::Yaml: {
            YAML::Emitter em;
            em << to_yaml(Json{{"request_id", crypto::random_uuid()},
                               {"lease_id", response.lease_id},
                               {"lease_duration", response.lease_duration},
                               {"renewable", false},
                               {"data", data},
                               {"wrap_info", nullptr},
                               {"warnings", response.warnings.empty() ? Json() : Json(response.warnings)},
                               {"auth", response.auth}});
            out << em.c_str() << "\n";
            return;
        }
        case Format::Pem:
        case Format::Der: {
            std::string label;
            const Json* obj = primary_object(data, label);
            if (!obj)
                fail(ErrorKind::Usage, "the response from {} holds no certificate, CSR, CRL or key to print as {}; use -format=json",
                     path, options.format == Format::Pem ? "pem" : "der");
            const std::string& value = obj->get_ref<const std::string&>();
            if (options.format == Format::Pem) ensure_newline(out, as_pem(value, label));
            else out << first_pem_block_der(value);
            return;
        }
        case Format::Table:
            if (data.is_null() || (data.is_object() && data.empty()) ||
                (op == api::Op::List && data.is_object() && data.contains("keys") && data["keys"].is_array() &&
                 data["keys"].empty())) {
                if (op == api::Op::Delete) out << "Success! Data deleted (if it existed) at: " << path << "\n";
                else if (op == api::Op::List) err << "No entries found at " << path << "\n";  // stdout stays empty: | wc -l
                else out << "Success! Data written to: " << path << "\n";
                return;
            }
            print_table(data, out, options.color);
            return;
    }
}

}  // namespace pki::cli
