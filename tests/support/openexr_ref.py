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
    python3 openexr_ref.py reencode OUTDIR CODEC FILE [CODEC FILE ...]
        rewrites FILE number i (counting from 0), whose parts are scanline
        or one-level tiled without subsampled channels (the layouts this
        OpenEXR writes), with compression CODEC and otherwise the same parts
        and samples to OUTDIR/i.exr, and decodes that file into OUTDIR/i.bin
        as records like those of tests/support/openexr_ref.cpp's `dump`.
    python3 openexr_ref.py attributes OUTFILE FILE ...
        writes to OUTFILE a JSON array with, for each FILE, either
        {"error": MESSAGE} or {"parts": [PART ...]}, each PART an object
        mapping attribute names to values in a canonical form:
        ["TYPE", ITEMS...], TYPE the attribute type the value's Python
        representation stands for, 32- and 64-bit floats as the hexadecimal
        digits of their bits, enumerations as their numbers, byte payloads
        and preview pixels in hexadecimal, text as strings. Channels are
        [NAME, PIXEL_TYPE, XSAMPLING, YSAMPLING, PLINEAR], PIXEL_TYPE 0
        (uint), 1 (half), 2 (float) or null where the reader does not say
        (this one never does); matrices are row-major; timecode is
        [TIME_AND_FLAGS, USER_DATA] in the TV60 packing; the rest lists the
        fields in the file's order. Values it does not recognise are
        ["unknown", REPR].
"""

import fractions
import json
import os
import struct
import sys

import numpy as np
import OpenEXR

CODECS = ["none", "rle", "zips", "zip", "piz", "pxr24", "b44", "b44a", "dwaa", "dwab", "zstd"]
COMPRESSION = {
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
    "zstd": OpenEXR.ZSTD_COMPRESSION,
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


def records(parts):
    """The samples of each channel of each part in `parts` (part index,
    OpenEXR.Part) as the C++ helper's records (level 0, 0)."""
    out = bytearray()
    for p, part in parts:
        for name, channel in part.channels.items():
            pixels = np.ascontiguousarray(channel.pixels)
            data = pixels.astype(pixels.dtype.newbyteorder("<")).tobytes()
            encoded = name.encode("utf-8")
            out += struct.pack("<IIII", p, 0, 0, len(encoded)) + encoded
            out += struct.pack("<Q", len(data)) + data
    return bytes(out)


def reencode(outdir, pairs):
    os.makedirs(outdir, exist_ok=True)
    for index, (codec, path) in enumerate(pairs):
        parts = []
        for part in OpenEXR.File(path, separate_channels=True).parts:
            header = {k: part.header[k] for k in
                      ["type", "dataWindow", "displayWindow", "lineOrder", "tiles"]
                      if k in part.header}
            header["compression"] = COMPRESSION[codec]
            pixels = {name: c.pixels for name, c in part.channels.items()}
            parts.append(OpenEXR.Part(header, pixels, part.name()))
        target = os.path.join(outdir, "{}.exr".format(index))
        with OpenEXR.File(parts) as f:
            f.write(target)
        decoded = enumerate(OpenEXR.File(target, separate_channels=True).parts)
        with open(os.path.join(outdir, "{}.bin".format(index)), "wb") as f:
            f.write(records(decoded))


def f32(value):
    """The bits of a 32-bit float, or of the 64-bit float when `value` is
    not a 32-bit one (so that it cannot match)."""
    single = np.float32(value)
    if np.float64(single).tobytes() != np.float64(value).tobytes():
        return "f64:" + f64(value)
    return "{:08x}".format(struct.unpack("<I", struct.pack("<f", single))[0])


def f64(value):
    return "{:016x}".format(struct.unpack("<Q", struct.pack("<d", float(value)))[0])


def bcd(value):
    return (value // 10) << 4 | value % 10


def numbers(array):
    """The items of a numpy array, row-major: ints, or floats as bits."""
    flat = np.asarray(array).reshape(-1)
    if flat.dtype == np.int32:
        return [int(v) for v in flat]
    if flat.dtype == np.float32:
        return [f32(v) for v in flat]
    return [f64(v) for v in flat]


SUFFIX = {np.dtype(np.int32): "i", np.dtype(np.float32): "f", np.dtype(np.float64): "d"}


def canonical(value):
    """The canonical form of one attribute value as PyPI's OpenEXR gives it."""
    enums = [(OpenEXR.Compression, "compression"), (OpenEXR.LineOrder, "lineOrder"),
             (OpenEXR.Envmap, "envmap")]
    for cls, name in enums:
        if isinstance(value, cls):
            return [name, int(value)]
    if isinstance(value, OpenEXR.Storage):
        return ["string", value.name]
    if isinstance(value, bool):
        return ["unknown", repr(value)]
    if isinstance(value, int):
        return ["int", value]
    if isinstance(value, float):
        return ["float", f32(value)]
    if isinstance(value, str):
        return ["string", value]
    if isinstance(value, fractions.Fraction):
        return ["rational", value.numerator, value.denominator]
    if isinstance(value, OpenEXR.Bytes):
        return ["bytes", value.type_hint, bytes(value.data).hex()]
    if isinstance(value, OpenEXR.OpaqueAttribute):
        return ["opaque", value.typeName, bytes(value.data).hex()]
    if isinstance(value, OpenEXR.KeyCode):
        return ["keycode", value.filmMfcCode, value.filmType, value.prefix, value.count,
                value.perfOffset, value.perfsPerFrame, value.perfsPerCount]
    if isinstance(value, OpenEXR.TimeCode):
        # TimeCode.timeAndFlags needs a packing the module does not export:
        # rebuild the TV60 bits from the fields.
        t = value
        time = (bcd(t.frame) | int(t.dropFrame) << 6 | int(t.colorFrame) << 7
                | bcd(t.seconds) << 8 | int(t.fieldPhase) << 15 | bcd(t.minutes) << 16
                | int(t.bgf0) << 23 | bcd(t.hours) << 24 | int(t.bgf1) << 30
                | int(t.bgf2) << 31)
        return ["timecode", time, t.userData]
    if isinstance(value, OpenEXR.TileDescription):
        return ["tiledesc", value.xSize, value.ySize, int(value.mode), int(value.roundingMode)]
    if isinstance(value, OpenEXR.PreviewImage):
        pixels = np.ascontiguousarray(value.pixels)
        return ["preview", pixels.shape[1], pixels.shape[0], pixels.tobytes().hex()]
    if isinstance(value, tuple) and len(value) == 2 and all(
            isinstance(v, np.ndarray) and v.shape == (2,) for v in value):
        return ["box2" + SUFFIX[value[0].dtype]] + numbers(value[0]) + numbers(value[1])
    if isinstance(value, tuple) and len(value) == 8:
        return ["chromaticities"] + [f32(v) for v in value]
    if isinstance(value, np.ndarray):
        if value.shape == (1,) and value.dtype == np.float64:
            return ["double", f64(value[0])]
        if value.shape in [(2,), (3,)]:
            return ["v{}{}".format(value.shape[0], SUFFIX[value.dtype])] + numbers(value)
        if value.shape in [(3, 3), (4, 4)]:
            return ["m{0}{0}{1}".format(value.shape[0], SUFFIX[value.dtype])] + numbers(value)
    if isinstance(value, list) and value:
        if all(isinstance(v, OpenEXR.Channel) for v in value):
            return ["chlist"] + [[c.name, None, c.xSampling, c.ySampling, bool(c.pLinear)]
                                 for c in value]
        if all(isinstance(v, str) for v in value):
            return ["stringvector"] + value
        if all(isinstance(v, float) for v in value):
            return ["floatvector"] + [f32(v) for v in value]
    return ["unknown", repr(value)]


def attributes(outfile, files):
    result = []
    for path in files:
        try:
            parts = OpenEXR.File(path, header_only=True).parts
        except Exception as error:  # OpenEXR refuses the file: say so.
            result.append({"error": str(error)})
            continue
        result.append({"parts": [{name: canonical(value) for name, value in part.header.items()}
                                 for part in parts]})
    with open(outfile, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "matrix":
        matrix(sys.argv[2], sys.argv[3:] or CODECS)
    elif len(sys.argv) >= 3 and sys.argv[1] == "dump":
        dump(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) >= 3 and sys.argv[1] == "reencode" and len(sys.argv) % 2 == 1:
        reencode(sys.argv[2], list(zip(sys.argv[3::2], sys.argv[4::2])))
    elif len(sys.argv) >= 3 and sys.argv[1] == "attributes":
        attributes(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
