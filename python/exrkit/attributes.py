"""Attribute values as Python values.

======================  ==========================================================
file type               Python value
======================  ==========================================================
int, float, double      int, float, float
string                  str
stringvector            list of str
floatvector             list of float
box2i, box2f            ((min_x, min_y), (max_x, max_y))
v2i v2f v2d v3i ...     tuple of numbers
m33f m33d m44f m44d     tuple of rows, each a tuple of numbers
compression             "none", "zip", "piz", ... (as ``Part.compression``)
lineOrder               "increasing_y", "decreasing_y", "random_y"
envmap                  "latlong" or "cube"
deepImageState          "messy", "sorted", "non_overlapping" or "tidy"
chlist                  list of :class:`Channel`
chromaticities          :class:`Chromaticities`
keycode                 :class:`KeyCode`
timecode                :class:`TimeCode`
tiledesc                :class:`TileDescription`
rational                (numerator, denominator)
preview                 numpy uint8 array (height, width, 4), RGBA
bytes                   the payload as bytes
anything else           the value's raw bytes as stored in the file
======================  ==========================================================
"""

import ctypes

import numpy as np

from . import _abi, _names
from ._text import from_c
from .values import Channel, Chromaticities, KeyCode, TileDescription, TimeCode


def _text(t: _abi.exrkit_text) -> str:
    return from_c(ctypes.string_at(t.data, t.size)) if t.size else ""


def _box(b) -> tuple:
    return ((b.min_x, b.min_y), (b.max_x, b.max_y))


def _matrix(values, n: int) -> tuple:
    flat = list(values)
    return tuple(tuple(flat[r * n : (r + 1) * n]) for r in range(n))


def channel(c: _abi.exrkit_channel) -> Channel:
    """A C channel description as a :class:`Channel`."""
    return Channel(
        from_c(c.name or b""),
        _names.name(_names.PIXEL_TYPE, c.type),
        c.x_sampling,
        c.y_sampling,
        bool(c.p_linear),
    )


def _chromaticities(c: _abi.exrkit_chromaticities) -> Chromaticities:
    return Chromaticities(
        (c.red_x, c.red_y), (c.green_x, c.green_y), (c.blue_x, c.blue_y), (c.white_x, c.white_y)
    )


def _keycode(k: _abi.exrkit_keycode) -> KeyCode:
    return KeyCode(*(getattr(k, field) for field, _ in _abi.exrkit_keycode._fields_))


def _tiledesc(t: _abi.exrkit_tiledesc) -> TileDescription:
    return TileDescription(
        t.width,
        t.height,
        _names.name(_names.LEVEL_MODE, t.level_mode),
        _names.name(_names.ROUNDING_MODE, t.rounding_mode),
    )


def _preview(p: _abi.exrkit_preview) -> np.ndarray:
    size = p.width * p.height * 4
    data = ctypes.string_at(p.rgba, size) if size else b""
    return np.frombuffer(data, np.uint8).reshape(p.height, p.width, 4).copy()


def _bytes(b: _abi.exrkit_bytes) -> bytes:
    return ctypes.string_at(b.data, b.size) if b.size else b""


def _list(items, count: int, convert) -> list:
    return [convert(items[i]) for i in range(count)]


_DECODERS = {
    _abi.EXRKIT_ATTR_BOX2I: lambda v: _box(v.box2i),
    _abi.EXRKIT_ATTR_BOX2F: lambda v: _box(v.box2f),
    _abi.EXRKIT_ATTR_BYTES: lambda v: _bytes(v.bytes),
    _abi.EXRKIT_ATTR_CHLIST: lambda v: _list(v.channels.channels, v.channels.count, channel),
    _abi.EXRKIT_ATTR_CHROMATICITIES: lambda v: _chromaticities(v.chromaticities),
    _abi.EXRKIT_ATTR_COMPRESSION: lambda v: _names.name(_names.COMPRESSION, v.u8),
    _abi.EXRKIT_ATTR_DOUBLE: lambda v: v.f64,
    _abi.EXRKIT_ATTR_ENVMAP: lambda v: _names.name(_names.ENVMAP, v.u8),
    _abi.EXRKIT_ATTR_FLOAT: lambda v: v.f32,
    _abi.EXRKIT_ATTR_FLOATVECTOR: lambda v: _list(v.floats.values, v.floats.count, float),
    _abi.EXRKIT_ATTR_INT: lambda v: v.i32,
    _abi.EXRKIT_ATTR_KEYCODE: lambda v: _keycode(v.keycode),
    _abi.EXRKIT_ATTR_LINEORDER: lambda v: _names.name(_names.LINE_ORDER, v.u8),
    _abi.EXRKIT_ATTR_M33F: lambda v: _matrix(v.m33f, 3),
    _abi.EXRKIT_ATTR_M33D: lambda v: _matrix(v.m33d, 3),
    _abi.EXRKIT_ATTR_M44F: lambda v: _matrix(v.m44f, 4),
    _abi.EXRKIT_ATTR_M44D: lambda v: _matrix(v.m44d, 4),
    _abi.EXRKIT_ATTR_PREVIEW: lambda v: _preview(v.preview),
    _abi.EXRKIT_ATTR_RATIONAL: lambda v: (v.rational.numerator, v.rational.denominator),
    _abi.EXRKIT_ATTR_STRING: lambda v: _text(v.string),
    _abi.EXRKIT_ATTR_STRINGVECTOR: lambda v: _list(v.strings.items, v.strings.count, _text),
    _abi.EXRKIT_ATTR_TILEDESC: lambda v: _tiledesc(v.tiledesc),
    _abi.EXRKIT_ATTR_TIMECODE: lambda v: TimeCode(
        v.timecode.time_and_flags, v.timecode.user_data
    ),
    _abi.EXRKIT_ATTR_V2I: lambda v: tuple(v.v2i),
    _abi.EXRKIT_ATTR_V2F: lambda v: tuple(v.v2f),
    _abi.EXRKIT_ATTR_V2D: lambda v: tuple(v.v2d),
    _abi.EXRKIT_ATTR_V3I: lambda v: tuple(v.v3i),
    _abi.EXRKIT_ATTR_V3F: lambda v: tuple(v.v3f),
    _abi.EXRKIT_ATTR_V3D: lambda v: tuple(v.v3d),
    _abi.EXRKIT_ATTR_DEEPIMAGESTATE: lambda v: _names.name(_names.DEEP_IMAGE_STATE, v.u8),
}


def decode(attribute: _abi.exrkit_attribute):
    """The Python value of a C attribute (see the module's table)."""
    decoder = _DECODERS.get(attribute.type)
    if decoder is None:
        return ctypes.string_at(attribute.data, attribute.size) if attribute.size else b""
    return decoder(attribute.value)
