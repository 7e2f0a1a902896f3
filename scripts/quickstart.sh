#!/usr/bin/env bash
# From a fresh clone to the main job: install what is missing, build an
# optimised tensorfab, and run the default study.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release
cmake --build --preset release --target tensorfab_cli
build/release/bin/tensorfab study
