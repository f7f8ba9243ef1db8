#pragma once
// The CLI as a client of pki serve (or of Vault's PKI API): a request of the service sent as
// Vault's HTTP request, its answer read back into the same api::Response (or the same Error) the
// local service would have given, so output and exit codes do not depend on where the state is.
#include <memory>
#include <string>

#include "api/request.hpp"
#include "util/error.hpp"

namespace pki::cli {

struct ClientOptions {
    std::string address;  // http://127.0.0.1:8200, https://ca.example.com:8200
    std::string token;    // X-Vault-Token; empty: none
    std::string ca_file;  // PEM CA bundle to verify the server; empty: the system's
};

// The error an error response describes: the structured pki_error a pki server sends beside
// Vault's "errors", else (another server, a proxy) a kind by status.
Error error_from_body(int status, std::string_view body);

class Client {
public:
    // Error(Usage) for an address that is not an http(s) URL.
    explicit Client(ClientOptions options);
    ~Client();
    // Send one request; Error(Storage) when the server cannot be reached (exit 3), the server's
    // error otherwise.
    api::Response send(const api::Request& request);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pki::cli
