#!/bin/sh
# Installs what the project needs on a fresh machine, and nothing when it is already there:
# - npm packages, including Node.js 24 itself (the npm registry's `node` package carries the binaries,
#   and npm puts node_modules/.bin first on PATH for every script);
# - Java 17+ for DynamoDB Local (Debian's openjdk-17-jre-headless);
# - with --test: Debian's chromium for the browser tests.
set -e
cd "$(dirname "$0")/../../.."

stamp=node_modules/.package-lock.json
if [ ! -x node_modules/.bin/node ] || [ ! -f "$stamp" ] || [ package.json -nt "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "Installing npm packages (Node.js 24 included)..." >&2
  npm install --no-audit --no-fund --loglevel=error >&2
  touch "$stamp"
fi

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "Need root to install $*; install it by hand." >&2; return 1; fi
}
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq >&2; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >&2
}

java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
if [ -z "$java_major" ] || [ "$java_major" -lt 17 ]; then
  echo "Installing Java 17 for DynamoDB Local..." >&2
  apt_install openjdk-17-jre-headless
fi

if [ "$1" = "--test" ] && [ ! -x /usr/bin/chromium ]; then
  echo "Installing Chromium for the browser tests..." >&2
  apt_install chromium fonts-dejavu-core
fi
exit 0
