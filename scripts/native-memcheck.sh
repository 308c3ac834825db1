#!/bin/sh
# Runs handshakes through the native engine under valgrind memcheck (slow: not a timed test).
# V8's conservative stack scan reads uninitialised stack words by design; that one report is
# suppressed, so any remaining error is in the addon or in OpenSSL. Usage: scripts/native-memcheck.sh [count]
set -e
supp=$(mktemp)
trap 'rm -f "$supp"' EXIT
cat > "$supp" <<'SUPP'
{
   v8-conservative-stack-scan
   Memcheck:Cond
   fun:*IteratePointersInStack*
}
SUPP
exec valgrind --error-exitcode=9 --suppressions="$supp" \
  node --expose-gc --jitless bench/native-rss.mjs "${1:-20}" mixed
