#!/usr/bin/env bash
# Installs what nta and its test suite need on a Debian machine (run as root), builds nta and puts `nta` on
# the PATH. .ci/run runs it too, so the Quick start and CI install the same things.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# nta itself: libpcap for live capture; g++/make/python3 build better-sqlite3 from source; sqlite3 is the CLI
# people query the log with; tcpdump feeds `nta read -` from a pipe; iproute2 for `nta interfaces`.
runtime="g++ make python3 sqlite3 tcpdump libpcap0.8 iproute2 ca-certificates"
# The tests: tshark/capinfos check written pcapng, tcpreplay drives the live benchmarks, chromium opens the
# report and the dashboard, nfdump collects IPFIX; PostgreSQL comes from .ci/postgres.sh.
tests="tshark tcpreplay chromium nfdump"
apt-get install -y -qq --no-install-recommends $runtime $tests >/dev/null
bash .ci/postgres.sh
npm ci --no-audit --no-fund
npm run build
npm link --no-audit --no-fund >/dev/null
echo "nta $(nta --version) is installed"
