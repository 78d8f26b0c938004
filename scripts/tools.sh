#!/usr/bin/env bash
# Install what building and testing Gatehouse needs, skipping whatever is already there.
#   scripts/tools.sh build   the wasm target and wasm-opt (npm binaryen); wasm-bindgen is a
#                            library of xtask/, built with the workspace
#   scripts/tools.sh test    the above, plus Chromium, Playwright and the SMTP test server
set -euo pipefail
want=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
say() { printf '==> %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# npm's binaryen provides wasm-opt (Debian's is too old and breaks hydration);
# @playwright/test drives Debian's Chromium. Never download a browser.
if [ ! -x "$root/end2end/node_modules/.bin/wasm-opt" ] || [ "$root/end2end/package-lock.json" -nt "$root/end2end/node_modules/.stamp" ]; then
  say "installing npm packages in end2end/ (binaryen, playwright)"
  (cd "$root/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund && touch node_modules/.stamp)
fi

[ "$want" = test ] || exit 0

if [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's chromium"
  cfg=$(mktemp)
  # This image deletes .debs after each dpkg run; an install of several runs then fails.
  printf 'DPkg::Post-Invoke {};\n' > "$cfg"
  apt-get update -qq
  APT_CONFIG="$cfg" DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation
  rm -f "$cfg"
fi

venv="$root/target/tools/py"
if [ ! -x "$venv/bin/aiosmtpd" ]; then
  say "installing aiosmtpd (the SMTP server the mail test talks to)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet aiosmtpd==1.4.6
fi
