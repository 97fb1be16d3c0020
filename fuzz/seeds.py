"""Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/.

    python3 fuzz/seeds.py [OUT]        (OUT defaults to fuzz/corpus)

Nothing here is committed: the seeds are made again from three sources.
- Small files PyPI OpenEXR (3.5) writes: every codec it has, scanline and
  tiled, one level, mip and rip maps, HALF, FLOAT and UINT, subsampled
  luminance/chroma, deep scanline and tiled, multipart.
- The OpenEXR sample images in ../shared/testdata/openexr-images, each part
  cut to its top-left 24 x 16 pixels and written again with its own header,
  codec and channels (a fuzzer stalls on 170 KB seeds), plus the damaged
  files of up to 32 KB as they are.
- QOI: the official test images of up to 32 KB, and small images this
  script encodes with every QOI op.

The round-trip target's seeds are fixed byte strings: its input is a
description, not a file. Deterministic: the same run gives the same files.
"""

import hashlib
import os
import struct
import sys

import numpy as np
import OpenEXR

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(ROOT, "..", "shared", "testdata", "openexr-images")
QOI_IMAGES = os.path.join(ROOT, "..", "shared", "testdata", "qoi")
CUT = (24, 16)
MAX_COPIED = 32 * 1024

CODECS = {
    "none": OpenEXR.NO_COMPRESSION,
    "rle": OpenEXR.RLE_COMPRESSION,
    "zips": OpenEXR.ZIPS_COMPRESSION,
    "zip": OpenEXR.ZIP_COMPRESSION,
    "piz": OpenEXR.PIZ_COMPRESSION,
    "pxr24": OpenEXR.PXR24_COMPRESSION,
    "b44": OpenEXR.B44_COMPRESSION,
    "b44a": OpenEXR.B44A_COMPRESSION,
    "dwaa": OpenEXR.DWAA_COMPRESSION,
    "dwab": OpenEXR.DWAB_COMPRESSION,
}
for name in ("ZSTD_COMPRESSION", "HTJ2K256_COMPRESSION", "HTJ2K32_COMPRESSION",
             "LJ2K_COMPRESSION"):
    if hasattr(OpenEXR, name):
        CODECS[name.split("_")[0].lower()] = getattr(OpenEXR, name)
DEEP_CODECS = ["none", "rle", "zips"] + (["zstd"] if "zstd" in CODECS else [])


def save(out, target, data):
    folder = os.path.join(out, target)
    os.makedirs(folder, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def written(path_in_tmp, write):
    write(path_in_tmp)
    with open(path_in_tmp, "rb") as f:
        data = f.read()
    os.remove(path_in_tmp)
    return data


def samples(rng, dtype, h, w):
    y, x = np.mgrid[0:h, 0:w]
    v = np.sin(x / 3.0) * np.cos(y / 2.0) * 3.0 + rng.normal(0.0, 0.02, (h, w))
    v[: h // 3, : w // 3] = 0.5
    if dtype == np.uint32:
        return (np.abs(v) * 1000).astype(np.uint32)
    out = v.astype(dtype)
    out.reshape(-1)[0] = np.nan
    return out


def flat_files(rng, tmp):
    h, w = 13, 19
    for codec, compression in CODECS.items():
        for layout in ("scan", "tile", "mip", "rip"):
            header = {"compression": compression, "dataWindow": ((3, -2), (3 + w - 1, -2 + h - 1))}
            if layout == "scan":
                header["type"] = OpenEXR.scanlineimage
            else:
                tiles = OpenEXR.TileDescription()
                tiles.xSize, tiles.ySize = 8, 5
                tiles.mode = {"tile": OpenEXR.ONE_LEVEL, "mip": OpenEXR.MIPMAP_LEVELS,
                              "rip": OpenEXR.RIPMAP_LEVELS}[layout]
                header["type"] = OpenEXR.tiledimage
                header["tiles"] = tiles
            channels = {
                "R": samples(rng, np.float16, h, w),
                "G": samples(rng, np.float32, h, w),
                "B": samples(rng, np.uint32, h, w),
                "A": samples(rng, np.float16, h, w),
            }
            try:
                yield written(tmp, lambda p: OpenEXR.File(header, channels).write(p))
            except Exception as error:  # a codec this OpenEXR cannot write tiled
                print(f"seeds: skipped {codec} {layout}: {error}", file=sys.stderr)
    # DWA's own paths: an R, G, B colour set, Y with subsampled RY and BY,
    # pLinear and layered channels, in both codecs, scanline and tiled.
    h, w = 18, 22
    for codec in ("dwaa", "dwab"):
        for tiled in (False, True):
            header = {"compression": CODECS[codec], "dataWindow": ((-6, 2), (-6 + w - 1, 2 + h - 1))}
            if tiled:
                tiles = OpenEXR.TileDescription()
                tiles.xSize, tiles.ySize = 16, 8
                header["type"], header["tiles"] = OpenEXR.tiledimage, tiles
            channels = {n: samples(rng, np.float16, h, w) for n in ("R", "G", "B", "diffuse.Y")}
            channels["L"] = OpenEXR.Channel(samples(rng, np.float16, h, w), 1, 1, True)
            if not tiled:
                channels["RY"] = OpenEXR.Channel(samples(rng, np.float16, h, w), 2, 2, False)
                channels["BY"] = OpenEXR.Channel(samples(rng, np.float32, h, w), 2, 2, False)
            yield written(tmp, lambda p: OpenEXR.File(header, channels).write(p))
    # ZSTD's own paths need chunks that compress (small ones are stored
    # raw): smooth lines of HALF, FLOAT and UINT samples together,
    # scanline (with subsampled chroma) and tiled.
    if "zstd" in CODECS:
        h, w = 4, 96
        y, x = np.mgrid[0:h, 0:w]
        ramp = x / 8.0 + y
        for tiled in (False, True):
            header = {"compression": CODECS["zstd"], "dataWindow": ((-4, 6), (-4 + w - 1, 6 + h - 1))}
            channels = {"A": ramp.astype(np.float16), "Z": (ramp * 3.0).astype(np.float32),
                        "id": (x * 5 + y).astype(np.uint32)}
            if tiled:
                tiles = OpenEXR.TileDescription()
                tiles.xSize, tiles.ySize = 32, 4
                header["type"], header["tiles"] = OpenEXR.tiledimage, tiles
            else:
                channels["RY"] = OpenEXR.Channel(ramp.astype(np.float16), 2, 2, False)
            yield written(tmp, lambda p: OpenEXR.File(header, channels).write(p))
    # HTJ2K's chunk and codestream headers need chunks that compress:
    # smooth R, G, B (one colour-transformed set) and a UINT channel,
    # lossless and lossy, scanline and tiled.
    h, w = 8, 48
    y, x = np.mgrid[0:h, 0:w]
    ramp = x / 8.0 + y
    for codec in ("htj2k256", "htj2k32", "lj2k"):
        if codec not in CODECS:
            continue
        for tiled in (False, True):
            header = {"compression": CODECS[codec], "dataWindow": ((-4, 6), (-4 + w - 1, 6 + h - 1))}
            channels = {n: (ramp * k).astype(np.float16) for n, k in zip("RGB", (1.0, 0.7, 0.4))}
            channels["id"] = (x * 5 + y).astype(np.uint32)
            if tiled:
                tiles = OpenEXR.TileDescription()
                tiles.xSize, tiles.ySize = 32, 8
                header["type"], header["tiles"] = OpenEXR.tiledimage, tiles
            yield written(tmp, lambda p: OpenEXR.File(header, channels).write(p))
    frame = ((0, 0), (8, 6))
    parts = [
        OpenEXR.Part({"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage,
                      "displayWindow": frame},
                     {"Y": samples(rng, np.float16, 7, 9)}, "left"),
        OpenEXR.Part({"compression": OpenEXR.PIZ_COMPRESSION, "type": OpenEXR.scanlineimage,
                      "displayWindow": frame},
                     {"Z": samples(rng, np.float32, 5, 4)}, "right"),
    ]
    yield written(tmp, lambda p: OpenEXR.File(parts).write(p))


def deep_files(rng, tmp):
    h, w = 6, 7
    for codec in DEEP_CODECS:
        for tiled in (False, True):
            counts = rng.integers(0, 4, (h, w))
            channels = {}
            for name, dtype in (("A", np.float16), ("Z", np.float32), ("id", np.uint32)):
                pixels = np.empty((h, w), dtype=object)
                for y in range(h):
                    for x in range(w):
                        n = int(counts[y, x])
                        pixels[y, x] = samples(rng, dtype, 1, n).reshape(-1) if n else None
                channels[name] = pixels
            header = {"compression": CODECS[codec],
                      "type": OpenEXR.deeptile if tiled else OpenEXR.deepscanline,
                      "dataWindow": ((0, 0), (w - 1, h - 1))}
            if tiled:
                tiles = OpenEXR.TileDescription()
                tiles.xSize, tiles.ySize, tiles.mode = 4, 4, OpenEXR.ONE_LEVEL
                header["tiles"] = tiles
            yield written(tmp, lambda p: OpenEXR.File(header, channels).write(p))
    # Deep ZSTD chunks that compress: every pixel of a line holds smooth
    # samples.
    if "zstd" in CODECS:
        h, w = 3, 24
        channels = {}
        for name, dtype in (("A", np.float16), ("Z", np.float32), ("id", np.uint32)):
            pixels = np.empty((h, w), dtype=object)
            for y in range(h):
                for x in range(w):
                    pixels[y, x] = (np.arange(6) + x + y).astype(dtype)
            channels[name] = pixels
        header = {"compression": CODECS["zstd"], "type": OpenEXR.deepscanline,
                  "dataWindow": ((0, 0), (w - 1, h - 1))}
        yield written(tmp, lambda p: OpenEXR.File(header, channels).write(p))


def cut_part(part):
    header = dict(part.header)
    (x0, y0), (x1, y1) = header["dataWindow"]
    w, h = min(CUT[0], x1 - x0 + 1), min(CUT[1], y1 - y0 + 1)
    header["dataWindow"] = ((x0, y0), (x0 + w - 1, y0 + h - 1))
    for key in ("chunkCount", "version"):
        header.pop(key, None)
    channels = {}
    for name, channel in part.channels.items():
        xs, ys = channel.xSampling, channel.ySampling
        pixels = channel.pixels[: max(1, h // ys), : max(1, w // xs)].copy()
        channels[name] = OpenEXR.Channel(name, pixels, xs, ys)
    return header, channels


def sample_cuts(tmp):
    for folder, _, names in sorted(os.walk(SAMPLES)):
        if os.path.basename(folder) == "Damaged":
            continue
        for name in sorted(names):
            if not name.endswith(".exr"):
                continue
            path = os.path.join(folder, name)
            try:
                with OpenEXR.File(path, separate_channels=True) as f:
                    if any("deep" in str(p.header.get("type", "")) for p in f.parts):
                        continue
                    cut = [cut_part(p) for p in f.parts]
                    names = [p.name() for p in f.parts]
                if len(cut) == 1:
                    header, channels = cut[0]
                    yield written(tmp, lambda p: OpenEXR.File(header, channels).write(p))
                else:
                    parts = [OpenEXR.Part(h, c, n) for (h, c), n in zip(cut, names)]
                    yield written(tmp, lambda p: OpenEXR.File(parts).write(p))
            except Exception as error:
                print(f"seeds: could not cut {path}: {error}", file=sys.stderr)


def small_files(folder, suffix=None):
    for root, _, names in sorted(os.walk(folder)):
        for name in sorted(names):
            path = os.path.join(root, name)
            if (suffix is None or name.endswith(suffix)) and os.path.getsize(path) <= MAX_COPIED \
                    and not name.endswith((".rst", ".md", ".png")):
                with open(path, "rb") as f:
                    yield f.read()


def qoi_encode(width, height, channels, pixels):
    """A QOI file of `pixels` (rows of RGBA tuples), using every op."""
    out = bytearray(b"qoif" + struct.pack(">IIBB", width, height, channels, 0))
    index = [(0, 0, 0, 0)] * 64
    previous, run = (0, 0, 0, 255), 0
    flat = [p for row in pixels for p in row]
    for i, pixel in enumerate(flat):
        if pixel == previous:
            run += 1
            if run == 62 or i == len(flat) - 1:
                out.append(0xC0 | (run - 1))
                run = 0
            continue
        if run:
            out.append(0xC0 | (run - 1))
            run = 0
        r, g, b, a = pixel
        slot = (r * 3 + g * 5 + b * 7 + a * 11) % 64
        if index[slot] == pixel:
            out.append(slot)
        else:
            index[slot] = pixel
            dr, dg, db = [(c - p + 128) % 256 - 128 for c, p in zip(pixel[:3], previous[:3])]
            if a != previous[3]:
                out += bytes([0xFF, r, g, b, a])
            elif -2 <= dr < 2 and -2 <= dg < 2 and -2 <= db < 2:
                out.append(0x40 | (dr + 2) << 4 | (dg + 2) << 2 | (db + 2))
            elif -32 <= dg < 32 and -8 <= dr - dg < 8 and -8 <= db - dg < 8:
                out += bytes([0x80 | (dg + 32), (dr - dg + 8) << 4 | (db - dg + 8)])
            else:
                out += bytes([0xFE, r, g, b])
        previous = pixel
    return bytes(out + b"\0" * 7 + b"\1")


def qoi_files(rng):
    for width, height, channels in ((1, 1, 3), (5, 3, 4), (16, 9, 3), (33, 7, 4), (70, 2, 4)):
        pixels = []
        for y in range(height):
            row = []
            for x in range(width):
                kind = (x // 4 + y) % 4
                if kind == 0:
                    row.append((10, 20, 30, 255))
                elif kind == 1:
                    row.append(((x * 2) % 256, (x * 2 + 1) % 256, x % 256, 255))
                elif kind == 2:
                    row.append(tuple(int(v) for v in rng.integers(0, 256, 3)) + (255,))
                else:
                    row.append((x % 256, y % 256, 7, 255 if channels == 3 else (x * 40) % 256))
            pixels.append(row)
        yield qoi_encode(width, height, channels, pixels)


def roundtrip_seeds(rng):
    for i in range(24):
        yield bytes(rng.integers(0, 256, 48 + 40 * i, dtype=np.uint8))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "fuzz", "corpus")
    rng = np.random.default_rng(12)
    tmp = os.path.join(out, "seed.tmp.exr")
    os.makedirs(out, exist_ok=True)
    exr = list(flat_files(rng, tmp)) + list(deep_files(rng, tmp))
    if os.path.isdir(SAMPLES):
        exr += list(sample_cuts(tmp))
        exr += list(small_files(os.path.join(SAMPLES, "Damaged")))
    else:
        print(f"seeds: no sample images at {SAMPLES}; generated seeds only", file=sys.stderr)
    qoi = list(qoi_files(rng))
    if os.path.isdir(QOI_IMAGES):
        qoi += list(small_files(QOI_IMAGES, ".qoi"))
    for data in exr + qoi:
        save(out, "read", data)
        save(out, "read_c", data)
    for data in qoi:
        save(out, "qoi", data)
    for data in roundtrip_seeds(rng):
        save(out, "roundtrip", data)
    for target in ("read", "qoi", "roundtrip"):
        folder = os.path.join(out, target)
        files = os.listdir(folder)
        size = sum(os.path.getsize(os.path.join(folder, f)) for f in files)
        print(f"seeds: {target}: {len(files)} files, {size} bytes")


if __name__ == "__main__":
    main()
