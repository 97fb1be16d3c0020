"""Decode and encode benchmark driver: test images, the PyPI OpenEXR timers,
and the run that times every implementation on the same files and prints
markdown.
benches/run.sh builds the other timers and calls this; run that instead.

    python3 bench.py generate DIR
        writes the 4K (3840x2160) RGBA HALF and FLOAT images, one per codec,
        into DIR (files already there are kept).
    python3 bench.py time-pyopenexr THREADS REPS FILE
        times OpenEXR.File(FILE, separate_channels=True) and prints
        "pyopenexr THREADS FILE ok BEST MEDIAN BEST_CPU" (tab-separated; the
        last is the least CPU time the calling thread spent on one run).
    python3 bench.py time-pyopenexr-encode THREADS REPS SOURCE CODEC OUT
        reads SOURCE once, then times OpenEXR.File(header, channels).write(OUT)
        with compression CODEC and prints "pyopenexr THREADS SOURCE CODEC ok
        BEST MEDIAN BEST_CPU BYTES PIXELS" (tab-separated).
    python3 bench.py run --rust BIN --rust-encode BIN --cpp BIN --cpp-encode BIN
            --data DIR --samples DIR --out DIR --reps N
        times every implementation decoding every file and encoding the 4K
        images with every codec, at 1 and all threads, and prints the tables
        on stdout (progress on stderr).
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

CODECS = [
    "none", "rle", "zips", "zip", "piz", "pxr24", "b44", "b44a", "dwaa", "dwab", "zstd",
    "htj2k256", "htj2k32",
]
WIDTH, HEIGHT = 3840, 2160
GENERATED = [(kind, codec) for kind in ("half", "float") for codec in CODECS]

# Real images from the OpenEXR sample set: the biggest of each compression
# they use, scanline and tiled.
SAMPLES = [
    "ScanLines/StillLife.exr",
    "Tiles/GoldenGate.exr",
    "ScanLines/Carrots.exr",
    "MultiResolution/Bonita.exr",
    "v2/LowResLeftView/composited.exr",
    "TestImages/SquaresSwirls.exr",
    "ScanLines/Cannon.exr",
]

# The deep sample images: deep scanline parts, ZIPS.
DEEP_SAMPLES = [
    "v2/LowResLeftView/Balls.exr",
    "v2/LowResLeftView/Leaves.exr",
    "v2/LowResLeftView/Trunks.exr",
]

IMPLEMENTATIONS = [
    ("exrkit", "exrkit"),
    ("openexr", "OpenEXR C++"),
    ("pyopenexr", "PyPI OpenEXR"),
    ("exrs", "exrs"),
]


def generated_name(kind, codec):
    return f"rgba-{kind}-{codec}.exr"


def content(height, width):
    """A lit scene rather than random bits: smooth colour gradients, soft
    shapes and an HDR highlight, with film-grain-like noise on the colour
    channels and a clean alpha with solid and soft regions."""
    import numpy as np

    rng = np.random.default_rng(20240601)
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    highlight = 6.0 * np.exp(-(((x - 0.7) / 0.05) ** 2 + ((y - 0.3) / 0.09) ** 2))
    r = 0.18 + 0.6 * x * (1.0 - y) + 0.25 * np.sin(6.0 * x + 2.0 * y) ** 2 + highlight
    g = 0.15 + 0.5 * (1.0 - y) + 0.2 * np.cos(4.0 * y - 3.0 * x) ** 2 + 0.8 * highlight
    b = 0.10 + 0.7 * y * y + 0.15 * np.sin(9.0 * x * y) + 0.6 * highlight
    channels = {}
    for name, plane in (("R", r), ("G", g), ("B", b)):
        grain = rng.normal(0.0, 0.01, (height, width)).astype(np.float32)
        channels[name] = np.maximum(plane + grain * np.sqrt(plane), 0.0).astype(np.float32)
    distance = np.hypot(x - 0.5, (y - 0.5) * height / width)
    channels["A"] = np.clip((0.45 - distance) * 8.0, 0.0, 1.0).astype(np.float32)
    return channels


def deep_zstd_name(sample):
    return "deep-zstd-" + os.path.basename(sample)


def generate_deep_zstd(directory, samples):
    """PyPI OpenEXR's ZSTD copies of the deep sample images (once)."""
    import OpenEXR

    for sample in DEEP_SAMPLES:
        source = os.path.join(samples, sample)
        path = os.path.join(directory, deep_zstd_name(sample))
        if os.path.exists(path) or not os.path.exists(source):
            continue
        print(f"writing {path}", file=sys.stderr)
        f = OpenEXR.File(source)
        f.parts[0].header["compression"] = OpenEXR.ZSTD_COMPRESSION
        f.write(path + ".partial")
        os.replace(path + ".partial", path)


def generate(directory):
    import numpy as np
    import OpenEXR

    os.makedirs(directory, exist_ok=True)
    missing = [
        (kind, codec)
        for kind, codec in GENERATED
        if not os.path.exists(os.path.join(directory, generated_name(kind, codec)))
    ]
    if not missing:
        return
    planes = content(HEIGHT, WIDTH)
    for kind, codec in missing:
        dtype = np.float16 if kind == "half" else np.float32
        channels = {name: plane.astype(dtype) for name, plane in planes.items()}
        header = {
            "compression": getattr(OpenEXR, PY_COMPRESSION[codec]),
            "type": OpenEXR.scanlineimage,
        }
        path = os.path.join(directory, generated_name(kind, codec))
        print(f"writing {path}", file=sys.stderr)
        with OpenEXR.File(header, channels) as f:
            f.write(path + ".partial")
        os.replace(path + ".partial", path)


def time_pyopenexr(threads, reps, path):
    import OpenEXR

    count = 1 if threads == "1" else os.cpu_count() or 1
    # 0 global workers is OpenEXR's single-threaded mode: the calling thread
    # decodes everything.
    OpenEXR.set_global_thread_count(0 if count == 1 else count)
    seconds = []
    cpu = []
    try:
        for _ in range(max(1, reps)):
            cpu_start = time.thread_time()
            start = time.perf_counter()
            f = OpenEXR.File(path, separate_channels=True, num_threads=count)
            stop = time.perf_counter()
            cpu.append(time.thread_time() - cpu_start)
            seconds.append(stop - start)
            del f
    except Exception as e:  # report any failure of the reader as a cell
        message = " ".join(str(e).split())
        print(f"pyopenexr\t{threads}\t{path}\terror\t{message}")
        return
    seconds.sort()
    median = seconds[len(seconds) // 2]
    print(f"pyopenexr\t{threads}\t{path}\tok\t{seconds[0]:.6f}\t{median:.6f}\t{min(cpu):.6f}")


def measure_deep(args, files):
    """Times exrkit, OpenEXR C++ and PyPI OpenEXR decoding deep part 0 of
    each file, in turns, REPS runs each in a fresh process; returns
    (results, info) with
    info[path] = (samples, bytes of the samples and offsets, peak RSS
    growth of exrkit's decode)."""
    timers = {
        "exrkit": lambda t, f: [args.rust, "--bench", "deep", t, "1", f],
        "openexr": lambda t, f: [args.cpp, "deep", t, "1", f],
        # PyPI OpenEXR reads deep parts as it reads flat ones (each pixel's
        # samples a numpy array of its own).
        "pyopenexr": lambda t, f: [
            sys.executable, os.path.abspath(__file__), "time-pyopenexr", t, "1", f,
        ],
    }
    results = {}
    info = {}
    for index, path in enumerate(files):
        print(f"[{index + 1}/{len(files)}] deep {path}", file=sys.stderr)
        for turn in range(max(1, args.reps)):
            for threads in ("1", "all"):
                shift = (index + turn) % len(timers)
                keys = list(timers)[shift:] + list(timers)[:shift]
                for key in keys:
                    result = results.setdefault((key, threads, path), Result())
                    if result.status != "ok":
                        continue
                    fields = run_timer(timers[key](threads, path))
                    result.add(fields)
                    if key == "exrkit" and len(fields) >= 10 and fields[3] == "ok":
                        grown = int(fields[9])
                        old = info.get((threads, path), (0, 0, 0))[2]
                        info[(threads, path)] = (int(fields[7]), int(fields[8]), max(grown, old))
    return results, info


def deep_table(files, labels, results, info):
    mib = 1 << 20
    lines = [
        "### Deep decode: deep part 0, every sample",
        "",
        "| file | samples | threads | exrkit Msamples/s | OpenEXR C++ Msamples/s | vs C++"
        " | PyPI OpenEXR Msamples/s | vs PyPI | exrkit peak RSS growth MiB"
        " | samples + offsets MiB |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for path in files:
        for threads in ("1", "all"):
            best = {
                key: (results[(key, threads, path)].best if (key, threads, path) in results
                      else None)
                for key in ("exrkit", "openexr", "pyopenexr")
            }
            samples, size, grown = info.get((threads, path), (0, 0, 0))
            mine = best["exrkit"]

            def speed(s):
                return f"{samples / s / 1e6:.1f}" if s and samples else "-"

            def ratio(s):
                return f"{s / mine:.2f}" if mine and s else "-"

            lines.append(
                f"| {labels[path]} | {samples} | {threads} | {speed(mine)}"
                f" | {speed(best['openexr'])} | {ratio(best['openexr'])}"
                f" | {speed(best['pyopenexr'])} | {ratio(best['pyopenexr'])}"
                f" | {grown / mib:.1f} | {size / mib:.1f} |"
            )
    lines.append("")
    return "\n".join(lines)


PY_COMPRESSION = {
    "none": "NO_COMPRESSION",
    "rle": "RLE_COMPRESSION",
    "zips": "ZIPS_COMPRESSION",
    "zip": "ZIP_COMPRESSION",
    "piz": "PIZ_COMPRESSION",
    "pxr24": "PXR24_COMPRESSION",
    "b44": "B44_COMPRESSION",
    "b44a": "B44A_COMPRESSION",
    "dwaa": "DWAA_COMPRESSION",
    "dwab": "DWAB_COMPRESSION",
    "zstd": "ZSTD_COMPRESSION",
    "htj2k256": "HTJ2K256_COMPRESSION",
    "htj2k32": "HTJ2K32_COMPRESSION",
}


def time_pyopenexr_encode(threads, reps, source, codec, out):
    import OpenEXR

    prefix = f"pyopenexr\t{threads}\t{source}\t{codec}"
    count = 1 if threads == "1" else os.cpu_count() or 1
    OpenEXR.set_global_thread_count(0 if count == 1 else count)
    seconds = []
    cpu = []
    size = 0
    try:
        with OpenEXR.File(source, separate_channels=True) as f:
            channels = {name: channel.pixels.copy() for name, channel in f.channels().items()}
        height, width = next(iter(channels.values())).shape[:2]
        header = {
            "compression": getattr(OpenEXR, PY_COMPRESSION[codec]),
            "type": OpenEXR.scanlineimage,
        }
        for _ in range(max(1, reps)):
            cpu_start = time.thread_time()
            start = time.perf_counter()
            OpenEXR.File(header, channels).write(out)
            stop = time.perf_counter()
            cpu.append(time.thread_time() - cpu_start)
            seconds.append(stop - start)
            size = os.path.getsize(out)
            os.remove(out)
    except Exception as e:  # report any failure of the writer as a cell
        if os.path.exists(out):
            os.remove(out)
        message = " ".join(str(e).split())
        print(f"{prefix}\terror\t{message}")
        return
    seconds.sort()
    median = seconds[len(seconds) // 2]
    print(
        f"{prefix}\tok\t{seconds[0]:.6f}\t{median:.6f}\t{min(cpu):.6f}\t{size}"
        f"\t{width * height}"
    )


class Result:
    """One implementation's timings of one file at one thread setting."""

    def __init__(self, at=3):
        # Decode lines have their status in field 3, encode lines (which
        # also name the codec) in field 4.
        self.at = at
        self.seconds = []
        self.cpu = []
        self.size = None
        self.status = "ok"

    def add(self, fields):
        at = self.at
        status = fields[at] if len(fields) > at else "error"
        if status == "ok":
            self.seconds.append(float(fields[at + 1]))
            if len(fields) > at + 3 and fields[at + 3] != "-":
                self.cpu.append(float(fields[at + 3]))
            if at == 4 and len(fields) > 8:
                self.size = int(fields[8])
        elif self.status == "ok":
            self.status = status
            if status == "error":
                detail = fields[at + 1] if len(fields) > at + 1 else ""
                what = " ".join(fields[:at])
                print(f"error: {what}: {detail}", file=sys.stderr)

    @property
    def best(self):
        return min(self.seconds) if self.status == "ok" and self.seconds else None

    @property
    def best_cpu(self):
        usable = [c for c in self.cpu if c > 0]
        return min(usable) if self.status == "ok" and usable else None


def run_timer(command, at=3):
    out = subprocess.run(command, capture_output=True, text=True)
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    if out.returncode != 0 or not lines:
        message = " ".join((out.stderr or "no output").split())[:200]
        print(f"failed: {' '.join(command)}: {message}", file=sys.stderr)
        return [""] * at + ["error", message]
    return lines[-1].split("\t")


def measure(args, files):
    """Times every implementation on every file. Each process times one
    decode, and the runs of one file go round the implementations REPS
    times, so that load from elsewhere on the machine falls on all of them
    alike; the best run of each is kept."""
    timers = {
        "exrkit": lambda t, f: [args.rust, "--bench", "time", "exrkit", t, "1", f],
        "exrs": lambda t, f: [args.rust, "--bench", "time", "exrs", t, "1", f],
        "openexr": lambda t, f: [args.cpp, t, "1", f],
        "pyopenexr": lambda t, f: [
            sys.executable,
            os.path.abspath(__file__),
            "time-pyopenexr",
            t,
            "1",
            f,
        ],
    }
    results = {}
    info = {}
    keys = [key for key, _ in IMPLEMENTATIONS]
    for index, path in enumerate(files):
        print(f"[{index + 1}/{len(files)}] {path}", file=sys.stderr)
        for turn in range(max(1, args.reps)):
            for threads in ("1", "all"):
                # Rotate the order so no implementation always runs first.
                shift = (index + turn) % len(keys)
                for key in keys[shift:] + keys[:shift]:
                    result = results.setdefault((key, threads, path), Result())
                    if result.status != "ok":
                        continue
                    fields = run_timer(timers[key](threads, path))
                    result.add(fields)
                    if key == "exrkit" and len(fields) >= 10:
                        info[path] = (fields[7], int(fields[8]), int(fields[9]))
    return results, info


def measure_encode(args, sources):
    """Times every implementation writing each source image (decoded into
    memory first, untimed) with every codec, to a file in args.out that the
    timer removes after taking its size. As with decoding, each process
    times one write and the runs go round the implementations REPS times;
    the best is kept."""
    rust = [args.rust_encode, "--bench", "time"]
    timers = {
        "exrkit": lambda t, f, c, o: rust + ["exrkit", t, "1", f, c, o],
        "exrs": lambda t, f, c, o: rust + ["exrs", t, "1", f, c, o],
        "openexr": lambda t, f, c, o: [args.cpp_encode, t, "1", f, c, o],
        "pyopenexr": lambda t, f, c, o: [
            sys.executable,
            os.path.abspath(__file__),
            "time-pyopenexr-encode",
            t,
            "1",
            f,
            c,
            o,
        ],
    }
    os.makedirs(args.out, exist_ok=True)
    results = {}
    keys = [key for key, _ in IMPLEMENTATIONS]
    jobs = [(kind, source, codec) for kind, source in sources for codec in args.codecs]
    for index, (kind, source, codec) in enumerate(jobs):
        print(f"[{index + 1}/{len(jobs)}] encode {kind} {codec}", file=sys.stderr)
        for turn in range(max(1, args.reps)):
            for threads in ("1", "all"):
                shift = (index + turn) % len(keys)
                for key in keys[shift:] + keys[:shift]:
                    result = results.setdefault((key, threads, kind, codec), Result(at=4))
                    if result.status != "ok":
                        continue
                    out = os.path.join(args.out, f"{key}-{threads}-{kind}-{codec}.exr")
                    result.add(run_timer(timers[key](threads, source, codec, out), at=4))
    return results


def measure_zstd_floor(args, files):
    """Times libzstd alone on the frames of each ZSTD file (unpacking, and
    packing again at level 5), REPS runs in one process, best kept."""
    floors = {}
    for path in files:
        for threads in ("1", "all"):
            fields = run_timer([args.rust, "--bench", "zstd-floor", threads, str(args.reps), path])
            if len(fields) > 5 and fields[3] == "ok":
                floors[(threads, path)] = (float(fields[4]), float(fields[5]))
    return floors


def zstd_floor_table(files, results, encoded, floors):
    """exrkit's ZSTD decode and encode against libzstd alone on the same
    frames: the part of the time that is libzstd's."""
    lines = [
        "### ZSTD against libzstd alone on the same frames",
        "",
        "| image | threads | decode: exrkit s | libzstd s | exrkit / libzstd | PyPI / exrkit"
        " | encode: exrkit s | libzstd s | exrkit / libzstd | PyPI / exrkit |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for path in files:
        kind = "half" if "-half-" in path else "float"
        for threads in ("1", "all"):
            floor = floors.get((threads, path))
            mine = results.get(("exrkit", threads, path))
            theirs = results.get(("pyopenexr", threads, path))
            mine_enc = encoded.get(("exrkit", threads, kind, "zstd"))
            theirs_enc = encoded.get(("pyopenexr", threads, kind, "zstd"))

            def seconds(result):
                return cell(result.best, 3) if result is not None and result.best else "—"

            def over(result, base):
                ok = result is not None and result.best and base
                return f"{result.best / base:.2f}x" if ok else "—"

            lines.append(
                f"| 4K RGBA {kind.upper()} | {threads} | {seconds(mine)}"
                f" | {cell(floor[0], 3) if floor else '—'} | {over(mine, floor and floor[0])}"
                f" | {ratio_cell(mine, theirs)} | {seconds(mine_enc)}"
                f" | {cell(floor[1], 3) if floor else '—'} | {over(mine_enc, floor and floor[1])}"
                f" | {ratio_cell(mine_enc, theirs_enc)} |"
            )
    lines.append("")
    return "\n".join(lines)


def peak_memory(args, files):
    rows = []
    for path in files:
        for threads in ("1", "all"):
            fields = run_timer([args.rust, "--bench", "peak", threads, path])
            rows.append((path, threads, fields))
    return rows


def cell(value, digits=1):
    return "—" if value is None else f"{value:.{digits}f}"


def speed_cells(result, pixels, size):
    if result is None:
        return ["error", "error"]
    if result.best is None:
        return [result.status, result.status]
    return [cell(pixels / result.best / 1e6), cell(size / result.best / 1e6)]


def ratio_cell(mine, theirs):
    if mine is None or theirs is None or mine.best is None or theirs.best is None:
        return "—"
    return f"{theirs.best / mine.best:.2f}x"


def table(title, files, labels, threads, results, info):
    header = ["file", "compression"]
    for _, name in IMPLEMENTATIONS:
        header += [f"{name} MP/s", f"{name} MB/s"]
    header += [f"vs {name}" for key, name in IMPLEMENTATIONS if key != "exrkit"]
    lines = [f"### {title}", "", "| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join([" --- "] * 2 + [" ---: "] * (len(header) - 2)) + "|")
    for path in files:
        if path not in info:
            continue
        compression, pixels, size = info[path]
        row = [labels[path], compression]
        for key, _ in IMPLEMENTATIONS:
            row += speed_cells(results.get((key, threads, path)), pixels, size)
        mine = results.get(("exrkit", threads, path))
        for key, _ in IMPLEMENTATIONS[1:]:
            row.append(ratio_cell(mine, results.get((key, threads, path))))
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def cpu_table(files, labels, results, info):
    """Single-thread speeds from the CPU time the decoding thread ran, which
    load from other processes barely moves."""
    header = ["file", "compression"] + [f"{name} MP/s (CPU)" for _, name in IMPLEMENTATIONS]
    header += [f"vs {name} (CPU)" for key, name in IMPLEMENTATIONS if key != "exrkit"]
    lines = [
        "### 1 thread, by CPU time of the decoding thread",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join([" --- "] * 2 + [" ---: "] * (len(header) - 2)) + "|",
    ]
    for path in files:
        if path not in info:
            continue
        compression, pixels, _ = info[path]
        row = [labels[path], compression]
        found = {key: results.get((key, "1", path)) for key, _ in IMPLEMENTATIONS}
        for key, _ in IMPLEMENTATIONS:
            result = found[key]
            if result is None or result.best_cpu is None:
                row.append(result.status if result is not None and result.status != "ok" else "—")
            else:
                row.append(cell(pixels / result.best_cpu / 1e6))
        mine = found["exrkit"]
        for key, _ in IMPLEMENTATIONS[1:]:
            theirs = found[key]
            if mine is None or theirs is None or mine.best_cpu is None or theirs.best_cpu is None:
                row.append("—")
            else:
                row.append(f"{theirs.best_cpu / mine.best_cpu:.2f}x")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def scaling_table(files, labels, results, info):
    header = ["file", "compression"] + [f"{name} 1 -> all" for _, name in IMPLEMENTATIONS]
    lines = [
        "### Thread scaling on ZIP and PIZ (speed at all threads / speed at 1 thread)",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join([" --- "] * 2 + [" ---: "] * len(IMPLEMENTATIONS)) + "|",
    ]
    for path in files:
        if path not in info or info[path][0] not in ("zip", "piz"):
            continue
        row = [labels[path], info[path][0]]
        for key, _ in IMPLEMENTATIONS:
            one = results.get((key, "1", path))
            every = results.get((key, "all", path))
            if one is None or every is None or one.best is None or every.best is None:
                row.append(one.status if one is not None and one.status != "ok" else "—")
            else:
                row.append(f"{one.best / every.best:.2f}x")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def memory_table(rows, labels):
    mib = 1 << 20
    lines = [
        "### exrkit peak memory, whole-image decode in a fresh process",
        "",
        "| file | threads | caller's buffer MiB | peak RSS MiB | peak RSS - buffer MiB"
        " | of which decoding MiB | within buffer + 64 MiB |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for path, threads, fields in rows:
        name = labels[path]
        if len(fields) < 8 or fields[3] != "ok":
            status = fields[3] if len(fields) > 3 else "error"
            lines.append(f"| {name} | {threads} | {status} | | | | |")
            continue
        buffer, before, peak = int(fields[4]), int(fields[5]), int(fields[6])
        over = peak - buffer
        lines.append(
            f"| {name} | {threads} | {buffer / mib:.1f} | {peak / mib:.1f} | {over / mib:.1f}"
            f" | {(peak - before) / mib:.1f} | {'yes' if over < 64 * mib else 'NO'} |"
        )
    return "\n".join(lines) + "\n"


def encode_table(title, kind, threads, results):
    others = [(key, name) for key, name in IMPLEMENTATIONS if key != "exrkit"]
    header = ["codec"]
    for _, name in IMPLEMENTATIONS:
        header += [f"{name} MP/s", f"{name} bytes"]
    header += [f"speed vs {name}" for _, name in others]
    header += [f"size vs {name}" for _, name in others]
    lines = [f"### {title}", "", "| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join([" --- "] + [" ---: "] * (len(header) - 1)) + "|")
    pixels = WIDTH * HEIGHT
    for codec in [c for c in CODECS if any((k, threads, kind, c) in results for k, _ in IMPLEMENTATIONS)]:
        found = {key: results.get((key, threads, kind, codec)) for key, _ in IMPLEMENTATIONS}
        row = [codec.upper()]
        for key, _ in IMPLEMENTATIONS:
            result = found[key]
            if result is None:
                row += ["—", "—"]
            elif result.best is None:
                row += [result.status, "—"]
            else:
                row += [cell(pixels / result.best / 1e6), str(result.size)]
        mine = found["exrkit"]
        for key, _ in others:
            row.append(ratio_cell(mine, found[key]))
        for key, _ in others:
            theirs = found[key]
            if mine is None or theirs is None or mine.best is None or theirs.best is None:
                row.append("—")
            else:
                row.append(f"{mine.size / theirs.size:.3f}")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def encode_scaling_table(results):
    header = ["image", "codec"] + [f"{name} 1 -> all" for _, name in IMPLEMENTATIONS]
    lines = [
        "### Encode thread scaling on ZIP and PIZ (speed at all threads / speed at 1 thread)",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join([" --- "] * 2 + [" ---: "] * len(IMPLEMENTATIONS)) + "|",
    ]
    for kind in ("half", "float"):
        for codec in ("zip", "piz"):
            row = [f"4K RGBA {kind.upper()}", codec.upper()]
            for key, _ in IMPLEMENTATIONS:
                one = results.get((key, "1", kind, codec))
                every = results.get((key, "all", kind, codec))
                if one is None or every is None or one.best is None or every.best is None:
                    row.append(one.status if one is not None and one.status != "ok" else "—")
                else:
                    row.append(f"{one.best / every.best:.2f}x")
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def versions():
    import OpenEXR

    def command(*argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"

    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (
        f"{platform.machine()} {cpu}, {os.cpu_count()} hardware threads;"
        f" OpenEXR C++ {command('pkg-config', '--modversion', 'OpenEXR')},"
        f" PyPI OpenEXR {OpenEXR.__version__}"
    )


def run(args):
    # Only the codecs asked for; the sample and deep images only when all.
    everything = not args.codecs
    args.codecs = args.codecs.split() if args.codecs else CODECS
    generated = [
        os.path.join(args.data, generated_name(k, c)) for k, c in GENERATED if c in args.codecs
    ]
    samples = [
        os.path.join(args.samples, s)
        for s in SAMPLES
        if everything and os.path.exists(os.path.join(args.samples, s))
    ]
    if len(samples) < len(SAMPLES):
        print(f"note: sample images missing under {args.samples}", file=sys.stderr)
    labels = {path: os.path.basename(path) for path in generated}
    labels.update({path: os.path.relpath(path, args.samples) for path in samples})
    started = time.time()
    load_before = os.getloadavg()[0]
    results, info = measure(args, generated + samples)
    memory = peak_memory(args, [p for p in generated if "-float-" in p])
    elapsed = time.time() - started
    load = f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    exrs_version = args.exrs_version or "?"
    out = [
        "## Decode benchmark",
        "",
        f"{versions()}, exrs {exrs_version}. Best of {args.reps} runs per cell, each in"
        " a fresh process, taking turns with the other implementations;"
        f" 'all' threads = {os.cpu_count()}. MP/s = megapixels of part 0 per second,"
        " MB/s = uncompressed bytes (every channel at its own type) per second,"
        " 'vs X' = exrkit's speed / X's speed (above 1: exrkit is faster).",
        "",
    ]
    half = [p for p in generated if "-half-" in p]
    floats = [p for p in generated if "-float-" in p]
    for threads, words in (("1", "1 thread"), ("all", "all threads")):
        out.append(table(f"4K RGBA HALF, {words}", half, labels, threads, results, info))
        out.append(table(f"4K RGBA FLOAT, {words}", floats, labels, threads, results, info))
        if samples:
            out.append(table(f"OpenEXR sample images, {words}", samples, labels, threads,
                             results, info))
    out.append(cpu_table(generated + samples, labels, results, info))
    out.append(scaling_table(generated + samples, labels, results, info))
    out.append(memory_table(memory, labels))
    deep_files = [
        os.path.join(args.samples, s)
        for s in DEEP_SAMPLES
        if everything and os.path.exists(os.path.join(args.samples, s))
    ]
    deep_labels = {path: os.path.relpath(path, args.samples) for path in deep_files}
    if everything or "zstd" in args.codecs:
        generate_deep_zstd(args.data, args.samples)
        for s in DEEP_SAMPLES:
            path = os.path.join(args.data, deep_zstd_name(s))
            if os.path.exists(path):
                deep_files.append(path)
                deep_labels[path] = f"{os.path.basename(s)} (ZSTD)"
    if deep_files:
        deep_results, deep_info = measure_deep(args, deep_files)
        out.append(deep_table(deep_files, deep_labels, deep_results, deep_info))
    out.append(f"Measured in {elapsed:.0f} s; {load}.")
    print("\n".join(out), flush=True)

    started = time.time()
    load_before = os.getloadavg()[0]
    sources = [
        (kind, os.path.join(args.data, generated_name(kind, "none"))) for kind in ("half", "float")
    ]
    encoded = measure_encode(args, sources)
    elapsed = time.time() - started
    load = f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    out = [
        "",
        "## Encode benchmark",
        "",
        f"{versions()}, exrs {exrs_version}. Each implementation writes the 4K"
        " image (decoded into memory beforehand, untimed) as a whole scanline"
        f" file in {args.out} with each codec; the time covers creating,"
        " compressing and completing the file. Best of"
        f" {args.reps} runs per cell, each in a fresh process, taking turns with the"
        f" other implementations; 'all' threads = {os.cpu_count()}."
        " MP/s = megapixels per second, bytes = the file's size,"
        " 'speed vs X' = exrkit's speed / X's speed (above 1: exrkit is faster),"
        " 'size vs X' = exrkit's file size / X's (below 1: exrkit's file is smaller).",
        "",
    ]
    for threads, words in (("1", "1 thread"), ("all", "all threads")):
        for kind in ("half", "float"):
            title = f"Encode 4K RGBA {kind.upper()}, {words}"
            out.append(encode_table(title, kind, threads, encoded))
    out.append(encode_scaling_table(encoded))
    zstd_files = [p for p in generated if p.endswith("-zstd.exr")]
    if zstd_files:
        floors = measure_zstd_floor(args, zstd_files)
        out.append(zstd_floor_table(zstd_files, results, encoded, floors))
    out.append(f"Measured in {elapsed:.0f} s; {load}.")
    print("\n".join(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate")
    g.add_argument("dir")
    t = sub.add_parser("time-pyopenexr")
    t.add_argument("threads", choices=["1", "all"])
    t.add_argument("reps", type=int)
    t.add_argument("file")
    e = sub.add_parser("time-pyopenexr-encode")
    e.add_argument("threads", choices=["1", "all"])
    e.add_argument("reps", type=int)
    e.add_argument("source")
    e.add_argument("codec", choices=CODECS)
    e.add_argument("out")
    r = sub.add_parser("run")
    r.add_argument("--rust", required=True)
    r.add_argument("--rust-encode", required=True)
    r.add_argument("--cpp", required=True)
    r.add_argument("--cpp-encode", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--data", required=True)
    r.add_argument("--samples", required=True)
    r.add_argument("--reps", type=int, default=3)
    r.add_argument("--exrs-version")
    r.add_argument("--codecs", default="", help="space-separated codecs (default: all)")
    args = parser.parse_args()
    if args.command == "generate":
        generate(args.dir)
    elif args.command == "time-pyopenexr":
        time_pyopenexr(args.threads, args.reps, args.file)
    elif args.command == "time-pyopenexr-encode":
        time_pyopenexr_encode(args.threads, args.reps, args.source, args.codec, args.out)
    else:
        run(args)


if __name__ == "__main__":
    main()
