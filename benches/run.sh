#!/usr/bin/env bash
# Decode and encode benchmark: exrkit against OpenEXR C++, PyPI OpenEXR and
# exrs on the same files in one run; prints markdown tables on stdout,
# progress on stderr. Works from any directory:
#
#     bash benches/run.sh
#
# Needs what the tests need (Rust, a C++ compiler, pkg-config with Debian's
# libopenexr-dev, Python 3 with PyPI's OpenEXR and numpy). Knobs:
#   REPS        timed runs per cell, best kept (default 3)
#   CODECS      only these codecs, e.g. CODECS="dwaa dwab" (default: all,
#               plus the OpenEXR sample and deep images)
#   BENCH_DATA  where the generated 4K images are cached
#               (default $CARGO_TARGET_DIR/bench-data, else target/bench-data)
#   SAMPLES     the OpenEXR sample images (default ../shared/testdata/openexr-images)
#   QOI_IMAGES  the QOI test images (default ../shared/testdata/qoi)
#   ENCODE_OUT  where the encode timers write (and remove) their files
#               (default a new folder in /dev/shm, else in $CARGO_TARGET_DIR
#               or target)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
target=${CARGO_TARGET_DIR:-target}
data=${BENCH_DATA:-$target/bench-data}
samples=${SAMPLES:-../shared/testdata/openexr-images}
qoi_images=${QOI_IMAGES:-../shared/testdata/qoi}
reps=${REPS:-3}

echo "==> generating test images in $data (once)" >&2
python3 benches/bench.py generate "$data"

echo "==> building the Rust timers (release)" >&2
rust_timers=$(cargo bench --bench decode --bench encode --bench qoi --no-run \
    --message-format=json-render-diagnostics |
    python3 -c '
import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message.get("reason") == "compiler-artifact" and message.get("executable") \
            and message["target"]["name"] in ("decode", "encode", "qoi"):
        print(message["target"]["name"], message["executable"])
')
rust_timer=$(awk '$1 == "decode" { print $2 }' <<<"$rust_timers")
rust_encode_timer=$(awk '$1 == "encode" { print $2 }' <<<"$rust_timers")
qoi_timer=$(awk '$1 == "qoi" { print $2 }' <<<"$rust_timers")

echo "==> building the OpenEXR C++ timers" >&2
mkdir -p "$target/bench"
cpp_timer=$target/bench/openexr_decode
cpp_encode_timer=$target/bench/openexr_encode
for timer in openexr_decode openexr_encode; do
    # shellcheck disable=SC2046
    c++ -O2 -std=c++17 -Wall -Wextra -Werror "benches/$timer.cpp" \
        $(pkg-config --cflags --libs OpenEXR) -o "$target/bench/$timer"
done

if [[ -n ${ENCODE_OUT:-} ]]; then
    encode_out=$ENCODE_OUT
    mkdir -p "$encode_out"
else
    if [[ -d /dev/shm && -w /dev/shm ]]; then
        encode_out=$(mktemp -d /dev/shm/exrkit-bench.XXXXXX)
    else
        mkdir -p "$target/bench"
        encode_out=$(mktemp -d "$target/bench/encode.XXXXXX")
    fi
    # The timers remove each file they write; remove the folder at the end.
    trap 'rm -rf -- "$encode_out"' EXIT
fi

exrs_version=$(awk '/^name = "exr"$/ { getline; gsub(/[^0-9.]/, ""); print }' Cargo.lock)

echo "==> timing (REPS=$reps)" >&2
python3 benches/bench.py run --rust "$rust_timer" --rust-encode "$rust_encode_timer" \
    --cpp "$cpp_timer" --cpp-encode "$cpp_encode_timer" --out "$encode_out" \
    --data "$data" --samples "$samples" --reps "$reps" --exrs-version "$exrs_version" \
    --codecs "${CODECS:-}"

echo "==> timing QOI (REPS=$reps)" >&2
echo
"$qoi_timer" --bench "$reps" "$qoi_images"
