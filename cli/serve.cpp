// pki serve: Vault's HTTP API over the state directory (server/). The options map one to one
// onto server::Options; the server itself knows nothing of CLI11.
#include "cli/session.hpp"
#include "server/server.hpp"
#include "util/duration.hpp"

namespace pki::cli {
namespace {

// A duration option ("10s", "2m") as milliseconds; Error(Usage) naming the option.
std::chrono::milliseconds duration_option(const std::string& name, const std::string& text) {
    auto s = util::parse_duration(text);
    if (!s || *s <= 0) fail(ErrorKind::Usage, "{} {}: give a positive duration such as 10s or 2m", name, text);
    return std::chrono::milliseconds(*s * 1000);
}

}  // namespace

void add_serve_command(CLI::App& app, Session& s) {
    auto* cmd = app.add_subcommand(
        "serve",
        "Serve Vault's HTTP API (/v1/...) from the state directory: hvac, curl, Vault Agent and this CLI (PKI_ADDR) work against it. "
        "See pki-serve(1).");
    cmd->group("Other commands");
    auto o = std::make_shared<server::Options>();
    auto header_timeout = std::make_shared<std::string>("10s");
    auto idle_timeout = std::make_shared<std::string>("60s");
    auto body_timeout = std::make_shared<std::string>("60s");
    auto shutdown_timeout = std::make_shared<std::string>("30s");
    auto crl_check = std::make_shared<std::string>("60s");
    cmd->add_option("--listen", o->listen, "Address to listen on, ADDR:PORT or [ADDR]:PORT; repeat for several (default 127.0.0.1:8200).")
        ->type_name("ADDR:PORT");
    cmd->add_option("--tls-cert", o->tls_cert, "PEM file with the server's certificate, its chain after it. Reloaded on SIGHUP.")->type_name("FILE");
    cmd->add_option("--tls-key", o->tls_key, "PEM file with the private key of --tls-cert.")->type_name("FILE");
    cmd->add_option("--tls-role", o->tls_role, "Issue the server's own certificate from MOUNT/ROLE at start-up and renew it at two thirds of its life.")
        ->type_name("MOUNT/ROLE");
    cmd->add_option("--tls-name", o->tls_names, "A DNS name or IP address of the --tls-role certificate; repeat for several (the first is the CN).")
        ->type_name("NAME");
    cmd->add_flag("--insecure-plain-http", o->insecure_plain_http, "Allow plain HTTP on addresses outside loopback (tokens and keys cross the network in the clear).");
    cmd->add_option("--max-request-size", o->max_body_bytes, "Largest request body in bytes; larger ones get 413 (default 33554432, Vault's).")
        ->type_name("BYTES");
    cmd->add_option("--max-header-size", o->max_header_bytes, "Largest request header block in bytes; larger ones get 431 (default 65536).")
        ->type_name("BYTES");
    cmd->add_option("--max-connections", o->max_connections, "Connections served at once; more are answered 503 and closed (default 1024).")
        ->type_name("N");
    cmd->add_option("--header-timeout", *header_timeout, "Time a client has to send a request's headers once it starts (default 10s).")->type_name("DURATION");
    cmd->add_option("--body-timeout", *body_timeout, "Time to read a request's body, and to write a response (default 60s).")->type_name("DURATION");
    cmd->add_option("--idle-timeout", *idle_timeout, "Time a kept-alive connection may wait for its next request (default 60s).")->type_name("DURATION");
    cmd->add_option("--shutdown-timeout", *shutdown_timeout, "On SIGTERM or SIGINT, how long requests in flight may take to finish (default 30s).")
        ->type_name("DURATION");
    cmd->add_option("--crl-check-interval", *crl_check,
                    "How often to look for CRLs due under auto_rebuild (config/crl) and rebuild them (default 60s).")
        ->type_name("DURATION");
    cmd->add_option("--threads", o->threads, "I/O threads (default: one per core, at least 2).")->type_name("N")->check(CLI::Range(1u, 256u));
    cmd->add_option("--log-file", o->log_file, "Append the access log (one JSON line per request) to FILE instead of standard error.")->type_name("FILE");
    cmd->add_option("--root-token-file", o->root_token_file, "Write the root token created at the first start to FILE (0600) instead of standard error.")
        ->type_name("FILE");
    cmd->callback([&s, o, header_timeout, idle_timeout, body_timeout, shutdown_timeout, crl_check] {
        s.action = [&s, o, header_timeout, idle_timeout, body_timeout, shutdown_timeout, crl_check] {
            o->crl_check_interval = duration_option("--crl-check-interval", *crl_check);
            o->header_timeout = duration_option("--header-timeout", *header_timeout);
            o->idle_timeout = duration_option("--idle-timeout", *idle_timeout);
            o->body_timeout = duration_option("--body-timeout", *body_timeout);
            o->shutdown_timeout = duration_option("--shutdown-timeout", *shutdown_timeout);
            server::check_options(*o);
            if (s.remote()) fail(ErrorKind::Usage, "pki serve serves a state directory; unset PKI_ADDR/VAULT_ADDR (or drop --address)");
            const api::Service& svc = s.service();
            s.print_open_warnings();
            return server::serve(svc, *o, s.err);
        };
    });
}

}  // namespace pki::cli
