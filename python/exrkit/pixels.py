"""numpy arrays as frame buffers: sample types, sampled extents, fill values,
and the exrkit_framebuffer that points the library at the arrays.

Type conversions are the library's: HALF to FLOAT is exact; FLOAT to HALF
rounds to nearest even as OpenEXRCore does (65520 and beyond become
infinities); UINT to HALF gives infinity above 65504; negative and NaN
values become UINT 0, values above UINT's range and +inf become its maximum,
others are truncated; UINT8 holds ``round(clamp(v, 0, 1) * 255)`` of
floating-point values (NaN gives 0) and ``min(v, 255)`` of UINT values.
"""

import ctypes

import numpy as np

from . import _abi
from .errors import OutOfMemoryError

#: Library pixel type -> numpy dtype.
DTYPES = {
    _abi.EXRKIT_PIXEL_UINT: np.dtype(np.uint32),
    _abi.EXRKIT_PIXEL_HALF: np.dtype(np.float16),
    _abi.EXRKIT_PIXEL_FLOAT: np.dtype(np.float32),
    _abi.EXRKIT_PIXEL_U8: np.dtype(np.uint8),
}
#: Sample type name (as in ``Channel.type``) -> library pixel type.
TYPE_CODES = {"uint": 0, "half": 1, "float": 2, "u8": 3}
_CODES = {dtype: code for code, dtype in DTYPES.items()}


def pixel_type(dtype) -> int:
    """The library's pixel type for a numpy dtype (or anything np.dtype
    accepts); ValueError for types the library cannot store."""
    d = np.dtype(dtype)
    if d not in _CODES:
        raise ValueError(
            f"dtype {d} is not one exrkit decodes to; use uint32, float16, float32 or uint8"
        )
    return _CODES[d]


def sampled_count(lo: int, hi: int, sampling: int) -> int:
    """How many multiples of `sampling` lie in ``lo..=hi``."""
    if hi < lo:
        return 0
    return max(0, hi // sampling - (-(-lo // sampling)) + 1)


def fill_value(fill: float, dtype: np.dtype):
    """`fill` converted to `dtype` as the library converts a FLOAT sample."""
    f = np.float32(fill)
    if dtype == np.float32:
        return f
    if dtype == np.float16:
        return f.astype(np.float16)
    if np.isnan(f) or np.signbit(f):
        return dtype.type(0)
    if dtype == np.uint8:
        return np.uint8(np.floor(float(min(f, np.float32(1.0)) * np.float32(255.0)) + 0.5))
    if f >= np.float32(2.0**32):
        return np.uint32(np.iinfo(np.uint32).max)
    return np.uint32(int(f))


def allocate(shape: tuple, dtype, fill) -> np.ndarray:
    """An array of `shape` holding `fill`; OutOfMemoryError if there is no
    room for it (a file's data window can ask for more than memory holds)."""
    try:
        if not np.asarray(fill, dtype=dtype).reshape(1).view(np.uint8).any():
            # Zeroed pages come from the system untouched: the decode is the
            # first to write them.
            return np.zeros(shape, dtype=dtype)
        return np.full(shape, fill, dtype=dtype)
    except MemoryError:
        size = np.dtype(dtype).itemsize * int(np.prod(shape, dtype=np.float64))
        raise OutOfMemoryError(
            f"cannot allocate {size} bytes for a {shape} {np.dtype(dtype)} array",
            _abi.EXRKIT_ERR_OUT_OF_MEMORY,
        ) from None


def window_box(window) -> _abi.exrkit_box2i:
    """A ((min_x, min_y), (max_x, max_y)) window as a C box, checked."""
    try:
        (min_x, min_y), (max_x, max_y) = window
        box = tuple(int(v) for v in (min_x, min_y, max_x, max_y))
    except (TypeError, ValueError) as error:
        raise ValueError(f"window {window!r} is not ((min_x, min_y), (max_x, max_y))") from error
    if box[2] < box[0] or box[3] < box[1]:
        raise ValueError(f"window {window!r} is empty")
    if any(not -(2**31) <= v < 2**31 for v in box):
        raise ValueError(f"window {window!r} does not fit 32-bit coordinates")
    return _abi.exrkit_box2i(*box)


class FrameBuffer:
    """Arrays for a window plus the C frame buffer that describes them.

    Each array covers the window at its slice's sampling (compact for
    subsampled channels), row-major, starting filled with the slice's fill.
    """

    def __init__(self, window: _abi.exrkit_box2i):
        self.window = window
        self.arrays: dict[str, np.ndarray] = {}
        self._slices: list[_abi.exrkit_slice] = []
        self._names: list[bytes] = []

    def add(self, name: str, c_name: bytes, dtype: np.dtype, sampling: tuple, fill: float):
        """Adds an array for channel `name` (spelt `c_name` in the file)."""
        w = self.window
        columns = sampled_count(w.min_x, w.max_x, sampling[0])
        rows = sampled_count(w.min_y, w.max_y, sampling[1])
        array = allocate((rows, columns), dtype, fill_value(fill, dtype))
        self.arrays[name] = array
        if array.size == 0:
            return
        self._names.append(c_name)
        self._slices.append(
            _abi.exrkit_slice(
                channel=c_name,
                type=_CODES[dtype],
                base=array.ctypes.data,
                x_stride=array.strides[1],
                y_stride=array.strides[0],
                x_sampling=sampling[0],
                y_sampling=sampling[1],
                fill=fill,
            )
        )

    def c_struct(self) -> _abi.exrkit_framebuffer:
        """The C frame buffer; valid while this object lives."""
        self._c_slices = (_abi.exrkit_slice * len(self._slices))(*self._slices)
        return _abi.exrkit_framebuffer(
            window=self.window,
            slices=ctypes.cast(self._c_slices, ctypes.POINTER(_abi.exrkit_slice)),
            slice_count=len(self._slices),
        )
