// pki: build the CLI, run it, and turn errors into exit codes (the one place that does).
#include <openssl/crypto.h>

#include <iostream>

#include "cli/output/render.hpp"
#include "cli/session.hpp"
#include "util/error.hpp"

int main(int argc, char** argv) {
    // No openssl.cnf: pki's behaviour must not depend on the host's OpenSSL configuration, and
    // skipping it keeps start-up short.
    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT, nullptr);
    try {
        return pki::cli::run(argc, argv, std::cin, std::cout, std::cerr);
    } catch (const pki::Error& e) {
        std::cout.flush();
        std::cerr << pki::cli::error_prefix(pki::cli::color_enabled(2)) << e.what() << "\n";
        return pki::exit_code_for(e.kind());
    } catch (const std::exception& e) {
        std::cout.flush();
        std::cerr << pki::cli::error_prefix(pki::cli::color_enabled(2)) << "internal failure: " << e.what() << "\n";
        return pki::exit_code_for(pki::ErrorKind::Internal);
    }
}
