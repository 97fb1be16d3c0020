#!/usr/bin/env bash
# Decode benchmark: exrkit against OpenEXR C++, PyPI OpenEXR and exrs on the
# same files in one run; prints markdown tables on stdout, progress on
# stderr. Works from any directory:
#
#     bash benches/run.sh
#
# Needs what the tests need (Rust, a C++ compiler, pkg-config with Debian's
# libopenexr-dev, Python 3 with PyPI's OpenEXR and numpy). Knobs:
#   REPS        timed runs per cell, best kept (default 3)
#   BENCH_DATA  where the generated 4K images are cached
#               (default $CARGO_TARGET_DIR/bench-data, else target/bench-data)
#   SAMPLES     the OpenEXR sample images (default ../shared/testdata/openexr-images)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
target=${CARGO_TARGET_DIR:-target}
data=${BENCH_DATA:-$target/bench-data}
samples=${SAMPLES:-../shared/testdata/openexr-images}
reps=${REPS:-3}

echo "==> generating test images in $data (once)" >&2
python3 benches/bench.py generate "$data"

echo "==> building the Rust timers (release)" >&2
rust_timer=$(cargo bench --bench decode --no-run --message-format=json-render-diagnostics |
    python3 -c '
import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message.get("reason") == "compiler-artifact" and message.get("executable") \
            and message["target"]["name"] == "decode":
        print(message["executable"])
')

echo "==> building the OpenEXR C++ timer" >&2
mkdir -p "$target/bench"
cpp_timer=$target/bench/openexr_decode
# shellcheck disable=SC2046
c++ -O2 -std=c++17 -Wall -Wextra -Werror benches/openexr_decode.cpp \
    $(pkg-config --cflags --libs OpenEXR) -o "$cpp_timer"

exrs_version=$(awk '/^name = "exr"$/ { getline; gsub(/[^0-9.]/, ""); print }' Cargo.lock)

echo "==> timing (REPS=$reps)" >&2
python3 benches/bench.py run --rust "$rust_timer" --cpp "$cpp_timer" \
    --data "$data" --samples "$samples" --reps "$reps" --exrs-version "$exrs_version"
