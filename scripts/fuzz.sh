#!/usr/bin/env bash
# `make fuzz`: builds the fuzz targets with libFuzzer (+ AddressSanitizer) into .build-fuzz and runs each for
# FUZZ_SECONDS (default 600) from the committed seeds in Fuzz/corpus/<target>. New inputs go to a scratch corpus;
# a crash, a leak, an input slower than 10 s or over 2 GB of memory stops the target and leaves its input in
# Fuzz/artifacts/ (copy it into Fuzz/corpus/<target>/ once fixed: make test replays every corpus file).
#   FUZZ_SECONDS=60 scripts/fuzz.sh [target...]      targets: docx html markdown text format multipart wordpiece json
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-600}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(docx html markdown text format multipart wordpiece json)
swift build -c release --scratch-path .build-fuzz --product hyperion-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing -Xswiftc -DFUZZING -Xswiftc -use-ld=lld || exit 1
bin=.build-fuzz/release/hyperion-fuzz
mkdir -p Fuzz/artifacts
status=0
for target in "${targets[@]}"; do
  scratch=$(mktemp -d /tmp/hyperion-fuzz-$target.XXXXXX)
  echo "==> $target for ${seconds}s"
  LSAN_OPTIONS="suppressions=$(pwd)/Fuzz/lsan.supp" HYPERION_FUZZ_TARGET=$target "$bin" "$scratch" "Fuzz/corpus/$target" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 -artifact_prefix="Fuzz/artifacts/$target-" 2>"$scratch.log"
  code=$?
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)" "$scratch.log" | tr '\n' ' '; echo
  if [ $code -ne 0 ]; then
    echo "FAIL  $target (exit $code): see Fuzz/artifacts/ and $scratch.log"; tail -30 "$scratch.log"; status=1
  else
    echo "ok    $target: $(ls "$scratch" | wc -l) new corpus inputs"
  fi
done
exit $status
