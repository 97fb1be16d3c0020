"""OpenEXR (PyPI, 3.5) as the reference the binding's results are checked
against: decoded channels, OpenEXR's own type conversions, and the expected
contents of a window read."""

from pathlib import Path

import numpy as np
import OpenEXR
import Imath

UINT_MAX = np.iinfo(np.uint32).max
_PIXEL_TYPES = {
    np.dtype(np.uint32): Imath.PixelType.UINT,
    np.dtype(np.float16): Imath.PixelType.HALF,
    np.dtype(np.float32): Imath.PixelType.FLOAT,
}


def decode(path: Path) -> list[dict]:
    """Every part of `path` as OpenEXR decodes it: a dict per part with
    "header" and "channels" (name -> (OpenEXR channel, pixels))."""
    parts = OpenEXR.File(str(path), separate_channels=True).parts
    return [
        {
            "header": part.header,
            "channels": {name: (c, c.pixels) for name, c in part.channels.items()},
        }
        for part in parts
    ]


def is_deep(header: dict) -> bool:
    return "deep" in str(header.get("type", ""))


def bits(a: np.ndarray) -> np.ndarray:
    """The samples' bit patterns, so NaNs and signed zeros compare exactly."""
    return a.view({1: np.uint8, 2: np.uint16, 4: np.uint32}[a.dtype.itemsize])


def same_bits(got: np.ndarray, expected: np.ndarray) -> str | None:
    """None if the arrays are bit-identical, else what differs."""
    if got.dtype != expected.dtype:
        return f"dtype {got.dtype}, expected {expected.dtype}"
    if got.shape != expected.shape:
        return f"shape {got.shape}, expected {expected.shape}"
    diff = np.argwhere(bits(got) != bits(expected))
    if len(diff):
        at = tuple(diff[0])
        return f"{len(diff)} samples differ, first at {at}: {got[at]!r} vs {expected[at]!r}"
    return None


def converted(path: Path, channel: str, dtype) -> np.ndarray:
    """Channel `channel` of single-part `path` converted to `dtype` (uint32,
    float16 or float32) by OpenEXR's frame buffer conversion, as a
    (rows, columns) array over the data window."""
    f = OpenEXR.InputFile(str(path))
    try:
        (x0, y0), (x1, y1) = window_of(f.header()["dataWindow"])
        dtype = np.dtype(dtype)
        raw = f.channel(channel, Imath.PixelType(_PIXEL_TYPES[dtype]))
    finally:
        f.close()
    return np.frombuffer(raw, dtype).reshape(y1 - y0 + 1, x1 - x0 + 1)


def to_u8(values: np.ndarray) -> np.ndarray:
    """The documented UINT8 conversion: round(clamp(v, 0, 1) * 255) of
    floating-point samples (NaN -> 0, halves rounded up), min(v, 255) of UINT
    samples."""
    if values.dtype == np.uint32:
        return np.minimum(values, 255).astype(np.uint8)
    f = values.astype(np.float32)
    scaled = np.clip(np.nan_to_num(f, nan=0.0), np.float32(0), np.float32(1)) * np.float32(255)
    return np.floor(scaled.astype(np.float64) + 0.5).astype(np.uint8)


def window_of(box) -> tuple:
    """An OpenEXR box (Imath.Box2i or a pair of arrays) as plain tuples."""
    if hasattr(box, "min"):
        return ((box.min.x, box.min.y), (box.max.x, box.max.y))
    lo, hi = box
    return ((int(lo[0]), int(lo[1])), (int(hi[0]), int(hi[1])))


def expected_window(pixels, data_window, sampling, window, fill) -> np.ndarray:
    """What a read of `window` must give for a channel whose full decode
    (over `data_window`, compact at `sampling`) is `pixels`: the samples
    inside the window, `fill` where the data window has none."""
    (dx0, dy0), (dx1, dy1) = data_window
    (wx0, wy0), (wx1, wy1) = window
    sx, sy = sampling
    xs = np.array([x for x in range(wx0, wx1 + 1) if x % sx == 0], dtype=np.int64)
    ys = np.array([y for y in range(wy0, wy1 + 1) if y % sy == 0], dtype=np.int64)
    out = np.full((len(ys), len(xs)), fill, dtype=pixels.dtype)
    inside_x = (xs >= dx0) & (xs <= dx1)
    inside_y = (ys >= dy0) & (ys <= dy1)
    if inside_x.any() and inside_y.any():
        first_x = -(-dx0 // sx) * sx
        first_y = -(-dy0 // sy) * sy
        columns = (xs[inside_x] - first_x) // sx
        rows = (ys[inside_y] - first_y) // sy
        out[np.ix_(inside_y, inside_x)] = pixels[np.ix_(rows, columns)]
    return out
