#!/usr/bin/env bash
# Installs the Debian 12 packages tensorfab needs to build and test, only
# those missing. As root it runs apt-get; otherwise it prints the command to
# run and stops. With --tests it adds what only the tests use (below).
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config
  libyaml-cpp-dev nlohmann-json3-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev libtbb-dev librapidcheck-dev
  libopenmpi-dev openmpi-bin
  python3-dev pybind11-dev
  clang libclang-rt-14-dev
)
# With --tests: PyTorch, the outside reference for the prototype's model
# (tests/torch/); headless Chromium with Node.js for the browser test of
# the HTML reports (tests/browser/; its npm package comes from the npm
# registry); pytest, matplotlib and pandas for the Python package's tests
# and examples (tests/python/, examples/).
if [ "${1:-}" = "--tests" ]; then
  packages+=(python3-torch chromium python3-pytest python3-matplotlib python3-pandas)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm by their commands: a machine may have them from elsewhere.
if [ "${1:-}" = "--tests" ]; then
  command -v node > /dev/null || missing+=(nodejs)
  command -v npm > /dev/null || missing+=(npm)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "tensorfab needs these Debian packages. Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
