#!/usr/bin/env bash
# The whole suite: installs dependencies, builds twice (AddressSanitizer +
# UndefinedBehaviorSanitizer, then release) and runs every test with CTest in
# both. The release build also runs the store's and the end-to-end suites on
# PostgreSQL (NAME@pg): CTest starts throwaway servers on 127.0.0.1 for them
# (scripts/pg-cluster.sh), as the postgres user when run as root, and the
# dashboard's tests in headless Chromium (screenshots in build/ui-screenshots/). Test data
# is read from ../shared/data (LIAISON_DATA_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/deps.sh
jobs=$(nproc)

cmake -S . -B build-asan -DLIAISON_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs"
echo "== tests under ASan + UBSan"
(cd build-asan && ctest --output-on-failure -j"$jobs")

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIAISON_TEST_PG=ON \
	-DLIAISON_TEST_BROWSER=ON >/dev/null
cmake --build build -j"$jobs"
echo "== tests, release build"
cd build && ctest --output-on-failure -j"$jobs"
