#!/usr/bin/env bash
# testing/fuzz/run-fuzzers.sh [--seconds N] [--merge] [--keep] [target ...]
#
# Builds the libFuzzer targets of testing/fuzz (clang, ASan + UBSan, Bazel
# --config=fuzz) and runs each for N seconds (default 10) on a copy of its
# corpus, one after the other. Prints one line per target:
#   units_fuzz: 1234567 runs, 0 crashes
# and exits 1 if any target crashed, leaked, timed out or ran out of memory
# (libFuzzer stops at the first such input; its path is printed). Targets
# default to every testing/fuzz/*_fuzz.cc.
#
#   --seconds N   how long to fuzz each target
#   --merge       afterwards, add inputs that reach new coverage to the
#                 corpus in the tree (libFuzzer -merge=1; review, then
#                 commit them)
#   --keep        keep the work directory (logs, artifacts, grown corpora)
#
# The build uses an output base of its own (TCPKALI_FUZZ_OUTPUT_BASE,
# default ~/.cache/bazel-tcpkali-fuzz): switching the compiler to clang
# re-runs Bazel's C++ toolchain configuration, which must not happen in the
# output base that ./run and ./test share.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=10
merge=0
keep=0
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="${2:?--seconds needs a value}"; shift 2 ;;
    --seconds=*) seconds="${1#*=}"; shift ;;
    --merge) merge=1; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run-fuzzers: unknown option $1" >&2; exit 64 ;;
    *) targets+=("$1"); shift ;;
  esac
done
case "$seconds" in
  ''|*[!0-9]*|0) echo "run-fuzzers: --seconds wants a whole number >= 1" >&2; exit 64 ;;
esac
if [ ${#targets[@]} -eq 0 ]; then
  for f in testing/fuzz/*_fuzz.cc; do targets+=("$(basename "$f" .cc)"); done
fi
for t in "${targets[@]}"; do
  [ -f "testing/fuzz/$t.cc" ] || { echo "run-fuzzers: no target $t" >&2; exit 64; }
done

output_base="${TCPKALI_FUZZ_OUTPUT_BASE:-$HOME/.cache/bazel-tcpkali-fuzz}"
bazel_args=(--config=fuzz --symlink_prefix=/)
labels=()
for t in "${targets[@]}"; do labels+=("//testing/fuzz:$t"); done
echo "run-fuzzers: building ${#targets[@]} targets with clang" >&2
bazel --output_base="$output_base" build "${bazel_args[@]}" "${labels[@]}" >&2
bin="$(bazel --output_base="$output_base" info "${bazel_args[@]}" bazel-bin 2>/dev/null)"

work="$(mktemp -d "${TMPDIR:-/tmp}/tcpkali-fuzz.XXXXXX")"
if [ "$keep" -eq 1 ]; then
  echo "run-fuzzers: work directory $work" >&2
else
  trap 'rm -rf "$work"' EXIT
fi

failed=0
for t in "${targets[@]}"; do
  # Absolute paths: a target may change directory (scratch_dir.h) before
  # libFuzzer reads its corpus.
  seeds="$PWD/testing/fuzz/corpus/$t"
  grown="$work/$t/corpus"
  artifacts="$work/$t/artifacts"
  log="$work/$t/log"
  mkdir -p "$grown" "$artifacts" "$work/$t/tmp"
  dict=()
  [ -f "testing/fuzz/$t.dict" ] && dict=("-dict=$PWD/testing/fuzz/$t.dict")
  # New inputs go to the first directory; the seeds are only read.
  # -timeout: one input running this long (seconds) is a hang, reported.
  # The run is also bounded from outside in case libFuzzer itself wedges.
  rc=0
  TMPDIR="$work/$t/tmp" timeout --kill-after=30 $((seconds + 120)) \
    "$bin/testing/fuzz/$t" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "${dict[@]}" "$grown" "$seeds" </dev/null >"$log" 2>&1 || rc=$?
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  problems="$(find "$artifacts" -type f | wc -l)"
  if [ "$rc" -ne 0 ] && [ "$problems" -eq 0 ]; then problems=1; fi
  echo "$t: ${runs:-0} runs, $problems crashes"
  if [ "$problems" -ne 0 ]; then
    failed=1
    find "$artifacts" -type f -exec echo "  input: {}" \;
    grep -m1 -E 'ERROR: libFuzzer|ERROR: AddressSanitizer|runtime error|fuzz check failed' "$log" | sed 's/^/  /' || true
    echo "  log: $log (kept)"
    trap - EXIT
  fi
  if [ "$merge" -eq 1 ] && [ "$problems" -eq 0 ]; then
    "$bin/testing/fuzz/$t" -merge=1 -timeout=10 -rss_limit_mb=2048 \
      "$seeds" "$grown" </dev/null >"$work/$t/merge.log" 2>&1
  fi
done
exit "$failed"
