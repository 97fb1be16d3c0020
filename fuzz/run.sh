#!/usr/bin/env bash
# Builds the fuzz targets under AddressSanitizer, replays each target's
# corpus (every input once), then fuzzes each target for a fixed time.
# Exits non-zero on any finding: a crash, a panic, a failed assertion, a
# leak, an input that takes longer than 10 s, or one that needs more than
# 2 GiB.
#
#     bash fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 60; CI uses a short time, a long run is
# e.g. `bash fuzz/run.sh 3600`); TARGETs default to every target of
# `cargo fuzz list`. The corpora live in fuzz/corpus/<target> (not
# committed): made by fuzz/seeds.py when missing, and grown by each run.
# The targets are built once (cargo +nightly fuzz build -O), then run
# directly. Findings go to fuzz/artifacts/<target>; replay one with
# `cargo +nightly fuzz run -O TARGET fuzz/artifacts/TARGET/FILE`.
# FUZZ_SANITIZER=none builds without AddressSanitizer (coverage-guided,
# Rust's own checks only) for about twice the executions per second: use
# it for volume in long runs, and keep the default (address) for CI and
# for anything that touches the C boundary.
# Needs the nightly toolchain and cargo-fuzz, both installed here if
# missing, and Python with PyPI's OpenEXR and numpy for the seeds.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
seconds=${1:-60}
shift || true
sanitizer=${FUZZ_SANITIZER:-address}

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

if [ ! -d corpus ]; then
    python3 seeds.py corpus
fi

printf '==> fuzz: build %s (sanitizer: %s)\n' "${targets[*]}" "$sanitizer"
cargo +nightly fuzz build -O -s "$sanitizer"

bin=target/$(rustc -vV | sed -n 's/^host: //p')/release
libfuzzer_args=(-rss_limit_mb=2048 -timeout=10 -print_final_stats=1)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_odr_violation=1}
total=0
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target" "artifacts/$target"
    run=("$bin/$target" -artifact_prefix="artifacts/$target/" "${libfuzzer_args[@]}")
    log=$(mktemp)
    printf '\n==> fuzz %s: replay %s inputs\n' "$target" "$(find "corpus/$target" -type f | wc -l)"
    if ! "${run[@]}" -runs=0 "corpus/$target" >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "FAILED: an input of the $target corpus fails; see fuzz/artifacts/$target" >&2
        exit 1
    fi
    grep -E 'stat::number_of_executed_units' "$log" || true
    printf '==> fuzz %s: %s s\n' "$target" "$seconds"
    if ! "${run[@]}" -max_total_time="$seconds" "corpus/$target" >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "FAILED: fuzzing $target found an input that fails; see fuzz/artifacts/$target" >&2
        exit 1
    fi
    grep -E '^#[0-9]+[[:space:]]+DONE|stat::(number_of_executed_units|peak_rss_mb)' "$log"
    runs=$(awk '/stat::number_of_executed_units/ { print $NF }' "$log")
    total=$((total + ${runs:-0}))
    rm -f "$log"
done
printf '\n==> fuzz: %s executions over %s targets, no findings\n' "$total" "${#targets[@]}"
