#!/usr/bin/env bash
# Wall time of the whole `tensorfab study` command (process start, reading
# the data files, evaluating, printing), median of N runs.
# Usage: bench/time-study.sh [BINARY] [N]
set -euo pipefail
bin=${1:-build/release/bin/tensorfab}
runs=${2:-50}
times=()
for _ in $(seq "$runs"); do
  start=$(date +%s%N)
  "$bin" study > /dev/null
  times+=($(( $(date +%s%N) - start )))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
median=${sorted[$((runs / 2))]}
max=${sorted[$((runs - 1))]}
printf 'tensorfab study: median %d.%02d ms, max %d.%02d ms over %d runs\n' \
  $((median / 1000000)) $((median / 10000 % 100)) $((max / 1000000)) $((max / 10000 % 100)) "$runs"
