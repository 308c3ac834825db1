#!/usr/bin/env bash
# The real peers some tests run that Node does not bring: h2load (Debian's nghttp2-client) and
# redis-server. Installed with apt-get when missing, so `npm install && npm test` works on a fresh
# machine as .ci/run does; where apt-get cannot run (not root, no apt), says which are missing and
# lets the suite run (the tests that need them fail with the command's name).
set -uo pipefail
missing=()
command -v h2load >/dev/null || missing+=(nghttp2-client)
command -v redis-server >/dev/null || missing+=(redis-server)
[ ${#missing[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null && [ "$(id -u)" -eq 0 ]; then
  echo "installing test peers: ${missing[*]}"
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null && exit 0
fi
echo "test peers missing (install them to run every test): ${missing[*]}" >&2
exit 0
