#!/usr/bin/env bash
# Installs what building and testing pg_migrate needs, from Debian's
# packages, when it is missing.  Safe to run again: it installs nothing when
# everything is there.
set -euo pipefail

packages=(make gcc postgresql-15 postgresql-server-dev-15 postgresql-client-15
	libipc-run-perl ${PGM_EXTRA_PACKAGES:-})
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
# npm (with nodejs) installs the real dbmate for t/060_dbmate_interop.pl
# (test/dbmate.sh).  Checked by command: a nodejs from elsewhere (NodeSource)
# brings its own npm and conflicts with Debian's package.
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "pg_migrate: missing packages: ${missing[*]}" >&2
	echo "pg_migrate: run 'make test' as root once, or install them with apt-get." >&2
	exit 1
fi
echo "pg_migrate: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
