#pragma once
// pki serve: Vault's HTTP API over the service, with Boost.Beast on Asio (HTTP/1.1, keep-alive,
// TLS through OpenSSL). Reads run on the I/O threads; writes are prepared there and committed in
// groups by one committer thread (Service::prepare/commit), so a response is sent only once its
// write is durable; tidy runs on a thread of its own.
#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "api/service.hpp"

namespace pki::server {

struct Options {
    std::vector<std::string> listen;          // ADDR:PORT, [v6]:PORT; none: 127.0.0.1:8200
    std::string tls_cert, tls_key;            // PEM files (the chain after the certificate)
    std::string tls_role;                     // MOUNT/ROLE: issue the server's own certificate
    std::vector<std::string> tls_names;       // names (and IPs) of that certificate
    bool insecure_plain_http = false;         // plain HTTP outside loopback
    size_t max_body_bytes = 32u << 20;        // Vault's default max_request_size
    size_t max_header_bytes = 64u << 10;
    std::chrono::milliseconds header_timeout{10'000};  // from a request's first byte to its last header line
    std::chrono::milliseconds body_timeout{60'000};    // to read a body, and to write a response
    std::chrono::milliseconds idle_timeout{60'000};    // a kept-alive connection with no request
    std::chrono::milliseconds shutdown_timeout{30'000};  // requests in flight at SIGTERM
    size_t max_connections = 1024;
    std::chrono::milliseconds crl_check_interval{60'000};  // how often the CRLs due under auto_rebuild are looked for
    unsigned threads = 0;                     // I/O threads; 0: one per core (at least 2)
    std::string log_file;                     // access log; empty: standard error
    std::string root_token_file;              // where the first root token goes (0600); empty: stderr
};

// Check the options without touching the network or the state: Error(Usage) naming the option.
void check_options(const Options& options);
// Serve until SIGTERM or SIGINT, then finish the requests in flight and return 0. Error(Usage)
// for bad options, Error(Storage) when an address cannot be bound or the TLS files not read.
// Messages for the operator (listening addresses, the root token) go to `err`.
int serve(const api::Service& service, const Options& options, std::ostream& err);

}  // namespace pki::server
