// pki ocsp: the mount's OCSP responder without a server, for a CA that publishes pre-signed
// responses: answer a request file, or build the response for one serial number.
#include <cstring>
#include <fstream>

#include "cli/session.hpp"
#include "util/strings.hpp"
#include "x509/ocsp.hpp"

namespace pki::cli {
namespace {

// An OCSP request file as DER: DER itself, or PEM ("-----BEGIN OCSP REQUEST-----").
std::string request_der(const std::string& file, std::istream& in) {
    std::string bytes = read_value(file == "-" ? file : "@" + file, in);
    std::string_view text = util::trim(bytes);
    if (util::starts_with(text, "-----BEGIN ")) {
        auto body_start = text.find('\n');
        auto end = text.find("-----END ");
        if (body_start == std::string_view::npos || end == std::string_view::npos || end < body_start)
            fail(ErrorKind::Invalid, "{} is not a PEM OCSP request (no END line)", file);
        std::string b64;
        for (char c : text.substr(body_start, end - body_start))
            if (!std::isspace(static_cast<unsigned char>(c))) b64 += c;
        bytes = util::base64_decode(b64);
    }
    try {
        x509::OcspRequest check(bytes);  // the reason in full, which the responder's OCSP status cannot carry
    } catch (const Error& e) {
        fail(ErrorKind::Invalid, "{}: {}", file, e.what());
    }
    return bytes;
}

}  // namespace

void add_ocsp_command(CLI::App& app, Session& s) {
    auto* cmd = app.add_subcommand("ocsp",
                                   "Answer OCSP without a server: a DER or PEM request file (--request), or one serial number "
                                   "(--serial). The DER response goes to --out or standard output; each certificate's status to "
                                   "standard error.\nPath: :mount/ocsp (read)");
    struct Args {
        std::string mount = "pki", request, serial, out;
    };
    auto a = std::make_shared<Args>();
    if (const char* m = std::getenv("PKI_MOUNT"); m && *m) a->mount = m;
    cmd->add_option("-m,--mount", a->mount, "Mount to use (default: pki, or $PKI_MOUNT).")->type_name("MOUNT");
    auto* req = cmd->add_option("--request", a->request, "The OCSP request (openssl ocsp -reqout FILE), DER or PEM; - reads standard input.")
                    ->type_name("FILE");
    auto* ser = cmd->add_option("--serial", a->serial, "Answer for this serial number of the mount instead of a request.")->type_name("SERIAL");
    req->excludes(ser);
    cmd->add_option("-o,--out", a->out, "Write the DER response to FILE (0644) instead of standard output.")->type_name("FILE");
    cmd->callback([&s, a] {
        s.action = [&s, a] {
            api::Json d = api::Json::object();
            if (!a->request.empty()) d["request"] = util::base64(request_der(a->request, s.in));
            else if (!a->serial.empty()) d["serial_number"] = a->serial;
            else fail(ErrorKind::Usage, "give --request FILE (an OCSP request) or --serial SERIAL");
            auto resp = s.execute(api::Request{api::Op::Read, a->mount + "/ocsp", d});
            for (const auto& w : resp.warnings) s.err << warning_prefix(color_enabled(2)) << w << "\n";
            if (!resp.raw) fail(ErrorKind::Internal, "the responder gave no OCSP response");
            auto summary = x509::summarize_ocsp_response(resp.raw->body);
            if (summary.status != "successful")
                fail(ErrorKind::Invalid, "the responder answered {}{}", summary.status,
                     summary.status == "unauthorized" ? fmt::format(" (OCSP is off on mount {}, or no issuer there can sign for it: see "
                                                                    "pki read {}/config/crl and the issuers' ocsp-signing usage)",
                                                                    a->mount, a->mount)
                                                      : "");
            if (!a->out.empty()) {
                std::ofstream f(a->out, std::ios::binary | std::ios::trunc);
                f << resp.raw->body;
                f.close();
                if (!f) fail(ErrorKind::Storage, "cannot write {}: {}", a->out, std::strerror(errno));
            } else {
                deliver_output(s.out, resp.raw->body);
            }
            for (const auto& [serial, status] : summary.certificates) s.err << serial << ": " << status << "\n";
            return 0;
        };
    });
}

}  // namespace pki::cli
