#!/bin/sh
# Runs libFuzzer targets one after the other (never in parallel) for a fixed
# time each, over their committed seeds and regressions. New inputs found go
# to <build>/fuzz-corpus/<name> (the first corpus directory, the only one
# libFuzzer writes to); crashes to <build>/fuzz-artifacts/<name>/.
# Exits non-zero when any target crashed, leaked, hung or failed an invariant.
#
#   fuzz/run.sh <build-dir> <seconds> <name>...
set -u
build=$1
seconds=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
shared_corpus=${LOFT_CORPUS_DIR:-}
if [ -z "$shared_corpus" ]; then
  for c in "$here/../../shared/corpus/messages" /work/shared/corpus/messages; do
    [ -d "$c" ] && { shared_corpus=$c; break; }
  done
fi

failed=""
for name in "$@"; do
  exe="$build/${name}_fuzz"
  corpus="$build/fuzz-corpus/$name"
  artifacts="$build/fuzz-artifacts/$name"
  mkdir -p "$corpus" "$artifacts"
  case $name in
    mime) max_len=262144 ;;
    config) max_len=8192 ;;
    *) max_len=4096 ;;
  esac
  extra=""
  # Real messages for the MIME parser, read in place (libFuzzer never writes
  # to a corpus directory but the first).
  [ "$name" = mime ] && [ -n "$shared_corpus" ] && extra=$shared_corpus
  echo "== $name: ${seconds}s (max_len $max_len)"
  # shellcheck disable=SC2086
  "$exe" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$corpus" "$here/seeds/$name" "$here/regressions/$name" $extra \
    >"$build/fuzz-$name.log" 2>&1
  rc=$?
  grep -E "^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)" \
    "$build/fuzz-$name.log" | sed 's/^/   /'
  if [ $rc -ne 0 ]; then
    echo "   FAILED (exit $rc): see $build/fuzz-$name.log and $artifacts/"
    grep -m3 -E "ERROR: |invariant failed|runtime error" "$build/fuzz-$name.log" | sed 's/^/   /'
    failed="$failed $name"
  fi
done
if [ -n "$failed" ]; then
  echo "fuzz: failed:$failed (copy the reproducer to fuzz/regressions/<name>/ once understood)"
  exit 1
fi
echo "fuzz: all targets ran clean"
