#!/bin/sh
# Runs the native addon under valgrind memcheck (slow: not a timed test).
#   scripts/native-memcheck.sh [count]        handshakes, data, corrupt records, PHA over memory BIOs
#   scripts/native-memcheck.sh [count] fused  the fused path: native TCP sockets with the engine
# V8's conservative stack scan reads uninitialised stack words by design; that one report is
# suppressed, so any remaining error is in the addon or in OpenSSL.
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
if [ "${2:-engine}" = fused ]; then
  exec valgrind --error-exitcode=9 --suppressions="$supp" \
    node --expose-gc --jitless bench/fused-memcheck.mjs "${1:-40}"
fi
exec valgrind --error-exitcode=9 --suppressions="$supp" \
  node --expose-gc --jitless bench/native-rss.mjs "${1:-20}" mixed
