#!/usr/bin/env bash
# The sanitizer rows; .ci/run calls this after the test command. Each row
# fails on the first report.
#
#   asan  The library built with AddressSanitizer (nightly rustc,
#         -Zsanitizer=address) and every C test and example built with clang
#         under AddressSanitizer and UndefinedBehaviorSanitizer, through
#         CTest (but the install test, which builds plain consumers, the
#         long stress runs, and the disassembly check of the QOI loops,
#         which instrumented code cannot pass).
#   tsan  The library and the standard library built with ThreadSanitizer
#         (-Zsanitizer=thread -Zbuild-std), and the threaded decode and
#         encode examples (threaded_tiles, threaded_write) built with clang
#         under ThreadSanitizer.
#   miri  Miri on the unit tests that reach the unsafe code outside the C
#         boundary: pixels' conversions and RGBA rows, the SSE2 byte planes,
#         the lines a codec writes straight into (pixels::scatter), and
#         read's tests, which decode small files through the scatter, the
#         RGBA path, the disjoint slices of parallel deep decoding and QOI's
#         direct rows.
#         Under tree borrows: crossbeam-epoch (rayon's) trips the stacked
#         borrows model; leaks of rayon's detached threads are ignored.
#
#     bash scripts/sanitize.sh [asan] [tsan] [miri]     (default: all three)
#
# Needs rustup (the nightly toolchain with rust-src and miri is installed
# here if missing), clang with its sanitizer runtimes (Debian's clang and
# libclang-rt-dev) and what the C tests need. Builds go to build-asan/,
# build-tsan/ and target/{asan,tsan,miri}.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
rows=("$@")
[ ${#rows[@]} -gt 0 ] || rows=(asan tsan miri)
jobs=${JOBS:-2}
host=$(rustc -vV | sed -n 's/^host: //p')

step() { printf '\n==> %s\n' "$*"; }

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    rustup toolchain install nightly --profile minimal
fi
rustup component add --toolchain nightly rust-src miri >/dev/null

# configure_and_test <row> <compile flags> <link flags> <ctest arguments...>:
# a Release build of the library and the C programs in build-<row>/, then
# ctest with the given selection.
configure_and_test() {
    local row=$1 flags=$2 link=$3
    shift 3
    step "$row: configure build-$row"
    CC=clang CXX=clang++ cmake -S . -B "build-$row" --log-level=WARNING \
        -DCMAKE_BUILD_TYPE=Release -DEXRKIT_CARGO_TARGET="$host" -DEXRKIT_TEST_VALGRIND=OFF \
        -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
        -DCMAKE_EXE_LINKER_FLAGS="$link" -DCMAKE_SHARED_LINKER_FLAGS="$link"
    step "$row: build"
    cmake --build "build-$row" -j "$jobs" "${targets[@]}"
    step "$row: ctest"
    ctest --test-dir "build-$row" --output-on-failure -j "$jobs" "$@"
}

# AddressSanitizer links clang's runtime, which serves the library too.
# libzstd's C (built by the zstd-sys crate with the library's sanitizer)
# skips the use-after-scope check only: with clang 14 it reports the read
# of a local function-pointer table inside its own scope
# (zstd_opt.c:899, ZSTD_selectBtGetAllMatches, zstd levels 16 and up);
# every other check covers it.
# The library's ThreadSanitizer instrumentation is newer than Debian's
# clang 14 runtime (it calls __tsan_memcpy), so the C programs are
# instrumented by clang but linked with the runtime of the nightly rustc
# that built the library, exported for the shared library.
asan="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
tsan="-fsanitize=thread -fno-sanitize-link-runtime -fno-omit-frame-pointer"
tsan_runtime="$(rustc +nightly --print sysroot)/lib/rustlib/$host/lib/librustc-nightly_rt.tsan.a"
tsan_link="-Wl,--whole-archive $tsan_runtime -Wl,--no-whole-archive -rdynamic -lpthread -ldl -lm -lrt"

for row in "${rows[@]}"; do
    case $row in
        asan)
            targets=()
            RUSTUP_TOOLCHAIN=nightly CARGO_TARGET_DIR=target/asan \
            RUSTFLAGS="-Zsanitizer=address -Cforce-frame-pointers=yes" \
            ASAN_OPTIONS=detect_leaks=1:detect_odr_violation=1:halt_on_error=1 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
            CFLAGS_x86_64_unknown_linux_gnu="-fno-sanitize-address-use-after-scope" \
                configure_and_test asan "$asan" "$asan" \
                -LE 'install|stress' -E '^qoi_loops_without_bounds_checks$'
            ;;
        tsan)
            targets=(--target example_threaded_tiles example_threaded_write)
            RUSTUP_TOOLCHAIN=nightly CARGO_TARGET_DIR=target/tsan \
            RUSTFLAGS="-Zsanitizer=thread -Cforce-frame-pointers=yes" \
            CARGO_UNSTABLE_BUILD_STD=std,panic_unwind \
            TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
                configure_and_test tsan "$tsan" "$tsan_link" \
                -R '^example_threaded_(tiles|write)(_stress)?$'
            ;;
        miri)
            step "miri: unit tests of cpu, codec::byte_planes, pixels::convert, pixels::rgba_rows, pixels::scatter and read"
            MIRIFLAGS="-Zmiri-tree-borrows -Zmiri-permissive-provenance -Zmiri-ignore-leaks" \
            CARGO_TARGET_DIR=target/miri cargo +nightly miri test --lib -q -- \
                cpu:: codec::byte_planes:: pixels::convert:: pixels::rgba_rows:: pixels::scatter:: read::
            ;;
        *)
            echo "sanitize.sh: unknown row '$row' (asan, tsan or miri)" >&2
            exit 2
            ;;
    esac
done
step "sanitizer rows passed: ${rows[*]}"
