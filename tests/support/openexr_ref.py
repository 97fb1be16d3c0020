"""Reference files and decodes from OpenEXR (PyPI OpenEXR 3.5 with numpy).

    python3 openexr_ref.py matrix OUTDIR [CODEC ...]
        writes the generated conformance matrix: every codec given (default:
        every codec exrkit decodes) x HALF/FLOAT/UINT/mixed channels x
        scanline/tiled x increasing/decreasing line order, at odd sizes and
        negative data-window origins, plus one multipart file per codec.
    python3 openexr_ref.py dump OUTDIR FILE ...
        decodes every flat part of every FILE with OpenEXR and writes each
        channel's samples as raw little-endian bytes, row-major over the
        channel's sampled data window, to OUTDIR/<file index>/<part>/<channel>;
        OUTDIR/manifest.tsv lists file, part, channel, type, width, height.
        Files OpenEXR cannot read are listed with type "error".
"""

import os
import sys

import numpy as np
import OpenEXR

CODECS = ["none", "rle", "zips", "zip", "piz", "pxr24", "b44", "b44a"]
COMPRESSION = {
    "none": OpenEXR.NO_COMPRESSION,
    "rle": OpenEXR.RLE_COMPRESSION,
    "zips": OpenEXR.ZIPS_COMPRESSION,
    "zip": OpenEXR.ZIP_COMPRESSION,
    "piz": OpenEXR.PIZ_COMPRESSION,
    "pxr24": OpenEXR.PXR24_COMPRESSION,
    "b44": OpenEXR.B44_COMPRESSION,
    "b44a": OpenEXR.B44A_COMPRESSION,
}
# (width, height, origin x, origin y): odd sizes, negative origins.
SHAPES = [(67, 45, -3, -5), (1, 1, 0, 0), (3, 70, -2, 7), (129, 17, -64, -9), (200, 96, -17, 3)]
TYPES = {"half": np.float16, "float": np.float32, "uint": np.uint32}


def samples(rng, dtype, h, w):
    """Image-like samples: smooth ramps with some noise, flat patches and,
    for floating point, specials (inf, nan, denormals, negative zero)."""
    y, x = np.mgrid[0:h, 0:w]
    base = np.sin(x / 7.0) * np.cos(y / 5.0) * 4.0 + x / max(w, 1)
    noisy = base + rng.normal(0.0, 0.05, (h, w))
    noisy[: h // 3, : w // 3] = 0.5
    if dtype == np.uint32:
        return (np.abs(noisy) * 1000).astype(np.uint32)
    out = noisy.astype(dtype)
    flat = out.reshape(-1)
    for value in [np.inf, -np.inf, np.nan, -0.0, 6e-8, 65504.0, -65504.0]:
        flat[rng.integers(0, flat.size)] = value
    return out


def header(codec, w, h, ox, oy, tiled, decreasing, index):
    hdr = {
        "compression": COMPRESSION[codec],
        "dataWindow": ((ox, oy), (ox + w - 1, oy + h - 1)),
        "displayWindow": ((0, 0), (63, 63)),
        "lineOrder": OpenEXR.DECREASING_Y if decreasing else OpenEXR.INCREASING_Y,
    }
    if tiled:
        tiles = OpenEXR.TileDescription()
        tiles.xSize = [16, 7, 32, 64][index % 4]
        tiles.ySize = [8, 5, 32, 3][index % 4]
        hdr["type"] = OpenEXR.tiledimage
        hdr["tiles"] = tiles
    else:
        hdr["type"] = OpenEXR.scanlineimage
    return hdr


def channels(rng, kind, h, w):
    if kind == "mixed":
        return {
            "A": samples(rng, np.float16, h, w),
            "B": samples(rng, np.float32, h, w),
            "G": samples(rng, np.uint32, h, w),
            "R": samples(rng, np.float16, h, w),
        }
    dtype = TYPES[kind]
    return {name: samples(rng, dtype, h, w) for name in ["B", "G", "R"]}


def matrix(outdir, codecs):
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(7)
    index = 0
    for codec in codecs:
        for kind in ["half", "float", "uint", "mixed"]:
            for tiled in [False, True]:
                for decreasing in [False, True]:
                    w, h, ox, oy = SHAPES[index % len(SHAPES)]
                    hdr = header(codec, w, h, ox, oy, tiled, decreasing, index)
                    name = "{}_{}_{}_{}.exr".format(
                        codec, kind, "tiled" if tiled else "scan",
                        "dec" if decreasing else "inc")
                    with OpenEXR.File(hdr, channels(rng, kind, h, w)) as f:
                        f.write(os.path.join(outdir, name))
                    index += 1
        parts = []
        for i, (tiled, kind) in enumerate([(False, "half"), (True, "mixed"), (False, "float")]):
            w, h, ox, oy = SHAPES[(index + i) % len(SHAPES)]
            hdr = header(codec, w, h, ox, oy, tiled, i == 2, index + i)
            parts.append(OpenEXR.Part(hdr, channels(rng, kind, h, w), "part{}".format(i)))
        with OpenEXR.File(parts) as f:
            f.write(os.path.join(outdir, "{}_multipart.exr".format(codec)))


TYPE_NAMES = {np.dtype(np.float16): "half", np.dtype(np.float32): "float",
              np.dtype(np.uint32): "uint"}


def dump(outdir, files):
    os.makedirs(outdir, exist_ok=True)
    rows = []
    for index, path in enumerate(files):
        try:
            parts = OpenEXR.File(path, separate_channels=True).parts
        except Exception as error:  # OpenEXR refuses the file: say so.
            rows.append([path, "-", "-", "error", str(error).replace("\t", " ").replace("\n", " "), "0"])
            continue
        for p, part in enumerate(parts):
            if "deep" in str(part.header.get("type", "")):
                continue
            for name, channel in part.channels.items():
                pixels = np.ascontiguousarray(channel.pixels)
                if pixels.ndim != 2:
                    continue
                target = os.path.join(outdir, str(index), str(p))
                os.makedirs(target, exist_ok=True)
                safe = name.encode("utf-8").hex()
                pixels.astype(pixels.dtype.newbyteorder("<")).tofile(os.path.join(target, safe))
                rows.append([path, str(p), safe, TYPE_NAMES[pixels.dtype],
                             str(pixels.shape[1]), str(pixels.shape[0])])
    with open(os.path.join(outdir, "manifest.tsv"), "w") as f:
        for row in rows:
            f.write("\t".join(row) + "\n")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "matrix":
        matrix(sys.argv[2], sys.argv[3:] or CODECS)
    elif len(sys.argv) >= 3 and sys.argv[1] == "dump":
        dump(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
