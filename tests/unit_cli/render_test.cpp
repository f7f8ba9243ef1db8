#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "cli/output/render.hpp"
#include "util/error.hpp"

using pki::Error;
using pki::ErrorKind;
using pki::api::Op;
using pki::api::Response;
using pki::cli::Format;
using pki::cli::OutputOptions;
using pki::cli::render;

namespace {

const std::string kDer("\x30\x03\x02\x01\x01", 5);  // SEQUENCE { INTEGER 1 }
const std::string kPemCert = "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n";

struct Rendered {
    std::string out, err;
};

Rendered run(const Response& r, OutputOptions o, const std::string& path, Op op = Op::Read) {
    std::ostringstream out, err;
    render(r, o, path, op, out, err);
    return {out.str(), err.str()};
}

OutputOptions given(Format f) {
    OutputOptions o;
    o.format = f;
    o.format_given = true;
    return o;
}

ErrorKind kind_of(const Response& r, const OutputOptions& o, const std::string& path, std::string* message = nullptr) {
    try {
        run(r, o, path);
    } catch (const Error& e) {
        if (message) *message = e.what();
        return e.kind();
    }
    FAIL("render did not throw");
    return ErrorKind::Internal;
}

}  // namespace

TEST_CASE("raw endpoints print their bytes unless a format is given on the command line") {
    Response der = pki::api::raw_reply("application/pkix-crl", kDer);
    CHECK(run(der, {}, "pki/crl").out == kDer);
    OutputOptions from_env;  // PKI_FORMAT=json: format set, not given
    from_env.format = Format::Json;
    CHECK(run(der, from_env, "pki/crl").out == kDer);
    CHECK(run(der, given(Format::Table), "pki/crl").out == kDer);
    CHECK(run(der, given(Format::Der), "pki/crl").out == kDer);
}

TEST_CASE("-format=pem turns raw DER into PEM labelled by the content type") {
    CHECK(run(pki::api::raw_reply("application/pkix-crl", kDer), given(Format::Pem), "pki/crl").out ==
          "-----BEGIN X509 CRL-----\nMAMCAQE=\n-----END X509 CRL-----\n");
    CHECK(run(pki::api::raw_reply("application/pkix-cert", kDer), given(Format::Pem), "pki/ca").out == kPemCert);
    Response pem = pki::api::raw_reply("application/pem-certificate-chain", kPemCert);
    CHECK(run(pem, given(Format::Pem), "pki/ca/pem").out == kPemCert);
}

TEST_CASE("-format=der turns raw PEM into the DER of its first block") {
    Response chain = pki::api::raw_reply("application/pem-certificate-chain",
                                         kPemCert + "-----BEGIN CERTIFICATE-----\nMAMCAQI=\n-----END CERTIFICATE-----\n");
    CHECK(run(chain, given(Format::Der), "pki/ca_chain").out == kDer);
    CHECK(kind_of(pki::api::raw_reply("application/pem-certificate-chain", "\n"), given(Format::Der), "pki/ca_chain") ==
          ErrorKind::NotFound);
}

TEST_CASE("json, yaml and --field on a raw endpoint are usage errors naming the JSON path") {
    Response der = pki::api::raw_reply("application/pkix-crl", kDer);
    std::string msg;
    CHECK(kind_of(der, given(Format::Json), "pki/crl", &msg) == ErrorKind::Usage);
    CHECK(msg.find("pki read -format=json pki/cert/crl") != std::string::npos);
    CHECK(msg.find("application/pkix-crl") != std::string::npos);
    CHECK(kind_of(der, given(Format::Yaml), "pki_int/issuer/default/crl/der", &msg) == ErrorKind::Usage);
    CHECK(msg.find("pki_int/issuer/default/crl") != std::string::npos);
    OutputOptions field;
    field.field = "certificate";
    CHECK(kind_of(der, field, "pki/cert/0a:1b/raw/pem", &msg) == ErrorKind::Usage);
    CHECK(msg.find("pki read pki/cert/0a:1b") != std::string::npos);
    CHECK(kind_of(der, given(Format::Json), "pki/ca", &msg) == ErrorKind::Usage);
    CHECK(msg.find("pki/cert/ca") != std::string::npos);
    CHECK(kind_of(der, given(Format::Json), "pki/ca_chain", &msg) == ErrorKind::Usage);
    CHECK(msg.find("pki/cert/ca_chain") != std::string::npos);
    CHECK(kind_of(der, given(Format::Json), "pki/issuer/root-a/pem", &msg) == ErrorKind::Usage);
    CHECK(msg.find("pki/issuer/root-a/json") != std::string::npos);
}

TEST_CASE("an empty LIST in table format leaves stdout empty and notes it on stderr") {
    Response empty = pki::api::reply({{"keys", pki::api::Json::array()}});
    Rendered table = run(empty, {}, "pki/issuers", Op::List);
    CHECK(table.out.empty());
    CHECK(table.err == "No entries found at pki/issuers\n");
    Rendered json = run(empty, given(Format::Json), "pki/issuers", Op::List);
    CHECK(json.err.empty());
    CHECK(json.out.find("\"keys\": []") != std::string::npos);
    // Writes and deletes without data keep Vault's success line on stdout.
    CHECK(run(pki::api::reply(nullptr), {}, "pki/roles/web", Op::Delete).out ==
          "Success! Data deleted (if it existed) at: pki/roles/web\n");
}
