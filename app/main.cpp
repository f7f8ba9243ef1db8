// pki: build the CLI, run it, and turn errors into exit codes (the one place that does).
#include <openssl/crypto.h>
#include <signal.h>

#include <iostream>

#include "cli/output/render.hpp"
#include "cli/session.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

int main(int argc, char** argv) {
    // No openssl.cnf: pki's behaviour must not depend on the host's OpenSSL configuration, and
    // skipping it keeps start-up short.
    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT, nullptr);
    // pki writes only through the iostreams (never stdio), so they need not sync with C stdio: large
    // outputs (a million-row inventory) are written in blocks instead of a call per insertion.
    // std::cerr stays tied to std::cout, so errors still follow what was printed before them.
    std::ios::sync_with_stdio(false);
    // A closed pipe is an error to report (exit 3), not a signal that ends pki before it can
    // undo what it did for output nobody received.
    ::signal(SIGPIPE, SIG_IGN);
    try {
        int rc = pki::cli::run(argc, argv, std::cin, std::cout, std::cerr);
        std::cout.flush();
        if (!std::cout)
            throw pki::Error(pki::ErrorKind::Storage, "cannot write standard output (a full disk or a closed pipe?); the output is incomplete");
        return rc;
    } catch (const pki::Error& e) {
        std::cout.clear();
        std::cout.flush();
        // One line, whatever the message quotes back (control characters, a 10 MB common name).
        std::cerr << pki::cli::error_prefix(pki::cli::color_enabled(2)) << pki::util::printable(pki::cli::error_text(e)) << "\n";
        return pki::exit_code_for(e.kind());
    } catch (const std::exception& e) {
        std::cout.flush();
        std::cerr << pki::cli::error_prefix(pki::cli::color_enabled(2)) << "internal failure: " << pki::util::printable(e.what()) << "\n";
        return pki::exit_code_for(pki::ErrorKind::Internal);
    }
}
