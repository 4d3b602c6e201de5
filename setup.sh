#!/usr/bin/env bash
# Installs what nta needs on a Debian machine (run as root), builds it and puts `nta` on the PATH.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# g++/make/python3 build better-sqlite3 from source; sqlite3 is the CLI people query the log with;
# tcpdump feeds `nta read -` from a pipe.
apt-get install -y -qq --no-install-recommends g++ make python3 sqlite3 tcpdump libpcap0.8 iproute2 ca-certificates >/dev/null
npm ci --no-audit --no-fund
npm run build
npm link --no-audit --no-fund >/dev/null
echo "nta $(nta --version) is installed"
