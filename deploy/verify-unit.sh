#!/usr/bin/env bash
# Checks deploy/kamobot.service with systemd-analyze: `verify` must pass and
# `security` prints the exposure score. The unit names /usr/local/bin/kamobot;
# a copy of it points at a stand-in binary, so the check needs no install.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#!/bin/sh\nexit 0\n' > "$tmp/kamobot"
chmod +x "$tmp/kamobot"
sed "s#/usr/local/bin/kamobot#$tmp/kamobot#" "$here/kamobot.service" > "$tmp/kamobot.service"
systemd-analyze verify --man=no "$tmp/kamobot.service"
echo "systemd-analyze verify: ok"
systemd-analyze security --offline=yes "$tmp/kamobot.service" 2>/dev/null | tail -1 || true
