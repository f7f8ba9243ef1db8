#!/usr/bin/env bash
# Run the playbook: PKI=/path/to/pki ./run.sh [ansible-playbook options...]
# The state directory is $PKI_STATE_DIR when set, else ./state; certificates go to ./certs
# (or $CERT_DIR).
set -euo pipefail
cd "$(dirname "$0")"
export PKI=${PKI:-pki}
command -v ansible-playbook >/dev/null || { echo "run.sh: ansible-playbook not found (Debian: apt-get install ansible-core)" >&2; exit 1; }
exec ansible-playbook -i inventory site.yml "$@"
