#!/usr/bin/env bash
# `mpirun -np 2 tensorfab sweep` gives the same result files as one
# process: each rank takes its share of every chunk and rank 0 writes them.
set -euo pipefail
bin=$1 mpiexec=$2 sweep=$3
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$bin" sweep "$sweep" --threads 1 --force --progress none --out "$out/one" > /dev/null
# CI runs as root, which Open MPI refuses unless told. Under the sanitizers,
# Open MPI's own allocations (never freed by its plugins) would read as
# leaks: leak checking is off for the ranks, and stays on in the run above.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "$mpiexec" -np 2 --oversubscribe -x ASAN_OPTIONS \
  "$bin" sweep "$sweep" --threads 1 --chunk 50 --force --progress none --out "$out/two" > "$out/two.txt"
grep -q "on 2 processes" "$out/two.txt" || { cat "$out/two.txt"; echo "not run on 2 processes" >&2; exit 1; }
for f in points.csv points.jsonl pareto.csv summary.json spec.json; do
  cmp "$out/one/$f" "$out/two/$f"
done
echo "mpirun -np 2: the same $(wc -l < "$out/one/points.jsonl") points, byte for byte"
