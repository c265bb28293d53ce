#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds twice (release, then
# AddressSanitizer + UndefinedBehaviorSanitizer) and runs every test with
# CTest in both. Test data is read from ../shared/data (LIAISON_DATA_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/deps.sh
jobs=$(nproc)

cmake -S . -B build-asan -DLIAISON_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs"
echo "== tests under ASan + UBSan"
(cd build-asan && ctest --output-on-failure -j"$jobs")

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
echo "== tests, release build"
cd build && ctest --output-on-failure -j"$jobs"
