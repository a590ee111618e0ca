#!/usr/bin/env bash
# The system packages `make test` needs on a bare Debian/Ubuntu machine, installed only when
# missing (so a second run does nothing and needs no network):
#   chromium, chromium-driver  the browser the web tests drive through Playwright's executable_path
#                              (never `playwright install`: it downloads a browser per user)
#   postgresql                 initdb and pg_ctl for the throwaway cluster the PostgreSQL tests start
set -euo pipefail

PACKAGES=(chromium chromium-driver postgresql)

installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
    echo "system-deps: no apt-get here; install these with your package manager, then rerun:" \
        "${PACKAGES[*]}" >&2
    exit 1
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
    installed "$pkg" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "system-deps: ${missing[*]} missing, and installing needs root: this is not root and" \
        "has no sudo. As root run: apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! "${as_root[@]}" apt-get update -q ||
    ! "${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    echo "system-deps: could not install ${missing[*]} with apt-get (see above)." \
        "Install them by hand, then rerun make test" >&2
    exit 1
fi
