#!/usr/bin/env bash
# Installs the test dependencies that are not crates: Debian's chromium and
# chromedriver (verify page in a real browser), Debian's postgresql (the server the
# PostgreSQL liabilities tests start throwaway clusters of) and the npm packages
# (anvil, solc).
# Idempotent: does nothing when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
# The server binaries live in /usr/lib/postgresql/<version>/bin, not on PATH.
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need_apt+=(postgresql)
# A font with Chinese glyphs, so the screenshots of the zh-CN pages show text.
fc-list :lang=zh-cn 2>/dev/null | grep -q . || need_apt+=(fonts-noto-cjk)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} (apt)" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  if [[ " ${need_apt[*]} " == *" postgresql "* ]]; then
    # The tests start their own clusters: no system cluster created or left running.
    $SUDO mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "setup: npm ci" >&2
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
# cargo-deny (licences and duplicate crates, offline: deny.toml), pinned so the check
# means the same on every machine.
deny_version="0.20.2"
if [ "$(cargo deny --version 2>/dev/null)" != "cargo-deny $deny_version" ]; then
  echo "setup: cargo install cargo-deny $deny_version" >&2
  cargo install cargo-deny --locked --version "$deny_version"
fi
