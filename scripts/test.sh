#!/usr/bin/env bash
# Runs every test of the project; exits non-zero on the first failure.
#   1. cargo test (unit, integration, examples, benches as tests; then doctests)
#   2. CMake: configure build/ (Release), build, ctest (C examples, C API tests,
#      header tests, exported-symbol check, install + consumer test)
#   3. pytest on tests/python, if it holds any test_*.py
# Works from any directory. Environment knobs: JOBS (default 2), BUILD_DIR
# (default build), CMAKE_ARGS (extra configure arguments, word-split).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
jobs=${JOBS:-2}
build_dir=${BUILD_DIR:-build}

step() { printf '\n==> %s\n' "$*"; }

step "cargo test --all-targets"
cargo test -q --all-targets
step "cargo test --doc"
cargo test -q --doc

step "cmake configure ($build_dir, Release)"
# shellcheck disable=SC2086
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release --log-level=WARNING ${CMAKE_ARGS:-}
step "cmake build"
cmake --build "$build_dir" -j "$jobs"
step "ctest"
ctest --test-dir "$build_dir" --output-on-failure -j "$jobs"

if [ -n "$(find tests/python -name 'test_*.py' -print -quit 2>/dev/null)" ]; then
    step "pytest tests/python"
    export PYTHONPATH="$root/python${PYTHONPATH:+:$PYTHONPATH}"
    case $build_dir in
        /*) export EXRKIT_BUILD_DIR="$build_dir" ;;
        *) export EXRKIT_BUILD_DIR="$root/$build_dir" ;;
    esac
    rc=0
    python3 -m pytest -q tests/python || rc=$?
    # Exit code 5 means "no tests collected": not a failure; anything else is.
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ]; then
        exit "$rc"
    fi
else
    step "pytest: no tests/python/test_*.py, skipped"
fi

step "all tests passed"
