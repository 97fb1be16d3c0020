"""Deep reference files and decodes from OpenEXR (PyPI OpenEXR 3.5 with numpy).

    python3 openexr_deep.py matrix OUTDIR
        writes the deep conformance matrix: deep scanline and deep tiled x
        every codec OpenEXR allows for deep data x HALF/FLOAT/UINT x a sparse
        image (most pixels empty) and a dense one (one pixel with thousands
        of samples), plus a multipart file mixing deep and flat parts.
    python3 openexr_deep.py dump OUTDIR FILE ...
        decodes every deep part of every FILE with OpenEXR and writes, per
        part, the samples of each pixel (row-major, little-endian uint32) to
        OUTDIR/<file index>/<part>/counts and each channel's samples, pixel
        after pixel, as raw little-endian bytes to
        OUTDIR/<file index>/<part>/<channel>; OUTDIR/manifest.tsv lists file,
        part, channel, type, width, height, samples. Files OpenEXR cannot
        read are listed with type "error".
"""

import os
import sys

import numpy as np
import OpenEXR

# OpenEXR writes deep data with these only (it refuses ZIP).
CODECS = {
    "none": OpenEXR.NO_COMPRESSION,
    "rle": OpenEXR.RLE_COMPRESSION,
    "zips": OpenEXR.ZIPS_COMPRESSION,
    "zstd": OpenEXR.ZSTD_COMPRESSION,
}
TYPES = {"half": np.float16, "float": np.float32, "uint": np.uint32}
TYPE_NAMES = {OpenEXR.HALF: "half", OpenEXR.FLOAT: "float", OpenEXR.UINT: "uint"}
DTYPES = {OpenEXR.HALF: np.float16, OpenEXR.FLOAT: np.float32, OpenEXR.UINT: np.uint32}


def values(rng, dtype, count):
    """`count` samples: ramps with noise and, for floating point, specials."""
    base = np.linspace(-3.0, 70000.0 if dtype == np.float32 else 60000.0, count)
    noisy = base * rng.random(count)
    if dtype == np.uint32:
        return rng.integers(0, 2**32, count, dtype=np.uint64).astype(np.uint32)
    out = noisy.astype(dtype)
    for value in [np.inf, -np.inf, np.nan, -0.0, 6e-8]:
        if count:
            out[rng.integers(0, count)] = value
    return out


def counts_for(rng, kind, h, w):
    """Samples per pixel: sparse (about 70% empty, up to 5 samples) or dense
    (few samples everywhere, one pixel with 3000)."""
    if kind == "sparse":
        counts = rng.integers(1, 6, (h, w))
        counts[rng.random((h, w)) < 0.7] = 0
    else:
        counts = rng.integers(0, 3, (h, w))
        counts[h // 2, w // 3] = 3000
    return counts


def deep_channels(rng, counts, types):
    """Object arrays of per-pixel samples for channels of `types`."""
    channels = {}
    h, w = counts.shape
    for name, dtype in types.items():
        pixels = np.empty((h, w), dtype=object)
        for y in range(h):
            for x in range(w):
                n = int(counts[y, x])
                pixels[y, x] = values(rng, dtype, n) if n else None
        channels[name] = pixels
    return channels


def deep_header(codec, tiled, window):
    header = {
        "compression": CODECS[codec],
        "type": OpenEXR.deeptile if tiled else OpenEXR.deepscanline,
        "dataWindow": window,
        "displayWindow": ((0, 0), (40, 40)),
    }
    if tiled:
        tiles = OpenEXR.TileDescription()
        tiles.xSize, tiles.ySize, tiles.mode = 8, 4, OpenEXR.ONE_LEVEL
        header["tiles"] = tiles
    return header


def matrix(outdir):
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(7)
    shapes = {"sparse": (23, 37, -5, 3), "dense": (7, 9, 2, -4)}
    for tiled in (False, True):
        for codec in CODECS:
            for type_name, dtype in TYPES.items():
                for kind, (h, w, ox, oy) in shapes.items():
                    counts = counts_for(rng, kind, h, w)
                    other = np.float32 if dtype != np.float32 else np.float16
                    channels = deep_channels(
                        rng, counts, {"A": dtype, "B": other, "Z": np.float32}
                    )
                    window = ((ox, oy), (ox + w - 1, oy + h - 1))
                    name = f"deep_{'tile' if tiled else 'scan'}_{codec}_{type_name}_{kind}.exr"
                    header = deep_header(codec, tiled, window)
                    OpenEXR.File(header, channels).write(os.path.join(outdir, name))
    counts = counts_for(rng, "sparse", 11, 13)
    deep = deep_channels(rng, counts, {"R": np.float16, "Z": np.float32})
    flat = {"Y": values(rng, np.float32, 11 * 13).reshape(11, 13)}
    parts = [
        OpenEXR.Part(deep_header("zips", False, ((0, 0), (12, 10))), deep, name="deep"),
        OpenEXR.Part(
            {
                "compression": OpenEXR.ZIP_COMPRESSION,
                "type": OpenEXR.scanlineimage,
                "displayWindow": ((0, 0), (40, 40)),
            },
            flat,
            name="flat",
        ),
        OpenEXR.Part(deep_header("rle", True, ((0, 0), (12, 10))), deep, name="deep tiles"),
    ]
    OpenEXR.File(parts).write(os.path.join(outdir, "deep_multipart.exr"))


def dump(outdir, files):
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "manifest.tsv"), "w") as manifest:
        for index, path in enumerate(files):
            try:
                f = OpenEXR.File(path, separate_channels=True)
                parts = list(f.parts)
            except Exception as e:  # any failure of the reader is a result
                message = " ".join(str(e).split())
                manifest.write(f"{path}\t-1\t{message}\terror\t0\t0\t0\n")
                continue
            for p, part in enumerate(parts):
                if part.type() not in (OpenEXR.deepscanline, OpenEXR.deeptile):
                    continue
                folder = os.path.join(outdir, str(index), str(p))
                os.makedirs(folder, exist_ok=True)
                counts = None
                for name, channel in part.channels.items():
                    pixels = channel.pixels
                    h, w = pixels.shape
                    flat = pixels.reshape(-1)
                    these = np.fromiter(
                        (0 if s is None else len(s) for s in flat), dtype=np.uint32, count=flat.size
                    )
                    if counts is None:
                        counts = these
                        counts.astype("<u4").tofile(os.path.join(folder, "counts"))
                    elif not np.array_equal(counts, these):
                        raise SystemExit(f"{path} part {p}: channels count samples differently")
                    dtype = np.dtype(DTYPES[channel.type()])
                    present = [s for s in flat if s is not None and len(s)]
                    if any(s.dtype != dtype for s in present):
                        raise SystemExit(f"{path} part {p} channel {name}: samples of another type")
                    samples = np.concatenate(present) if present else np.zeros(0, dtype)
                    samples.astype(dtype.newbyteorder("<")).tofile(os.path.join(folder, name))
                    kind = TYPE_NAMES[channel.type()]
                    manifest.write(f"{path}\t{p}\t{name}\t{kind}\t{w}\t{h}\t{samples.size}\n")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "matrix":
        matrix(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "dump":
        dump(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
