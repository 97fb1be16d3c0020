"""Writing OpenEXR files from numpy arrays: :func:`write`.

Attribute values are encoded here as the file stores them (little-endian)
and handed to the library as raw bytes with their type name; the library
checks that they decode as that type.
"""

import ctypes
import os
import struct
from collections.abc import Mapping

import numpy as np

from . import _abi, _names, pixels
from ._library import library
from ._text import to_c
from .errors import check
from .values import Chromaticities

#: numpy dtype -> the file's pixel type.
_CHANNEL_TYPES = {
    np.dtype(np.uint32): _abi.EXRKIT_PIXEL_UINT,
    np.dtype(np.float16): _abi.EXRKIT_PIXEL_HALF,
    np.dtype(np.float32): _abi.EXRKIT_PIXEL_FLOAT,
}

#: Type name -> struct format of its value, for the fixed-size types.
_FORMATS = {
    "int": "<i",
    "float": "<f",
    "double": "<d",
    "v2i": "<2i",
    "v2f": "<2f",
    "v2d": "<2d",
    "v3i": "<3i",
    "v3f": "<3f",
    "v3d": "<3d",
    "box2i": "<4i",
    "box2f": "<4f",
    "m33f": "<9f",
    "m33d": "<9d",
    "m44f": "<16f",
    "m44d": "<16d",
    "chromaticities": "<8f",
    "rational": "<iI",
    "timecode": "<2I",
    "keycode": "<7i",
}

#: Part keys :func:`write` accepts, besides "channels" (or "deep").
_PART_KEYS = {
    "name",
    "compression",
    "tiles",
    "levels",
    "level_mode",
    "rounding",
    "attributes",
    "data_window",
    "display_window",
    "line_order",
    "compression_level",
    "p_linear",
}


def _flatten(value) -> list:
    """Numbers of a nested tuple, list or array, in order."""
    if isinstance(value, np.ndarray):
        return value.ravel().tolist()
    if isinstance(value, (tuple, list)):
        return [n for v in value for n in _flatten(v)]
    return [value]


def encode_attribute(type_name: str, value) -> bytes:
    """The bytes a file stores for `value` as an attribute of `type_name`.

    `bytes` values are taken as already encoded. ``string`` takes a str;
    ``stringvector`` a list of str; the fixed-size types (int, float,
    double, v2i ... v3d, box2i, box2f, m33f ... m44d, chromaticities,
    rational, timecode, keycode) take their numbers, nested as you like
    (boxes as ((min_x, min_y), (max_x, max_y)), matrices row by row).
    """
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if type_name == "string":
        return to_c(value)
    if type_name == "stringvector":
        out = b""
        for item in value:
            data = to_c(item)
            out += struct.pack("<i", len(data)) + data
        return out
    if type_name in _FORMATS:
        numbers = _flatten(value)
        try:
            return struct.pack(_FORMATS[type_name], *numbers)
        except struct.error as error:
            raise ValueError(f"{value!r} is not a {type_name} value: {error}") from None
    raise ValueError(
        f"attribute type {type_name!r} needs its value as bytes (as the file stores it)"
    )


def _infer_type(value) -> str:
    """The attribute type a plain Python value is written as."""
    if isinstance(value, Chromaticities):
        return "chromaticities"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        raise ValueError("booleans have no attribute type; use ('int', value)")
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        return "stringvector"
    if isinstance(value, tuple) and len(value) == 2:
        flat = _flatten(value)
        if len(flat) == 2 and all(isinstance(v, int) for v in flat):
            return "v2i"
        if len(flat) == 2 and all(isinstance(v, (int, float)) for v in flat):
            return "v2f"
        if len(flat) == 4 and all(isinstance(v, int) for v in flat):
            return "box2i"
        if len(flat) == 4 and all(isinstance(v, (int, float)) for v in flat):
            return "box2f"
    raise ValueError(
        f"cannot tell the attribute type of {value!r}; give it as (type_name, value)"
    )


def _attribute(name: str, value) -> tuple[str, bytes]:
    """(type name, bytes) of one entry of an ``attributes`` dict."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        if value[0] in _FORMATS or value[0] in ("string", "stringvector") or isinstance(
            value[1], (bytes, bytearray, memoryview)
        ):
            return value[0], encode_attribute(value[0], value[1])
    type_name = _infer_type(value)
    return type_name, encode_attribute(type_name, value)


def _enum(table: list[str], value, what: str) -> int:
    if isinstance(value, int):
        return value
    try:
        return table.index(str(value).lower())
    except ValueError:
        raise ValueError(f"{what} {value!r} is not one of {', '.join(table)}") from None


def _check_channels(channels, what: str, qoi: bool = False) -> dict[str, np.ndarray]:
    if not isinstance(channels, Mapping) or not channels:
        raise ValueError(f"{what}: channels are a non-empty dict, name -> 2-D array")
    shape = None
    out = {}
    for name, array in channels.items():
        if not isinstance(name, str):
            raise TypeError(f"{what}: channel names are strings, not {name!r}")
        array = np.asarray(array)
        if array.ndim != 2:
            raise ValueError(f"{what}: channel {name!r} is {array.ndim}-D; give (rows, columns)")
        if array.dtype not in _CHANNEL_TYPES and not (qoi and array.dtype == np.uint8):
            raise ValueError(
                f"{what}: channel {name!r} is {array.dtype}; use uint32, float16 or float32"
                + (" (or uint8 for QOI)" if qoi else "")
            )
        if shape is not None and array.shape != shape:
            raise ValueError(f"{what}: channel {name!r} is {array.shape}, the others {shape}")
        shape = array.shape
        out[name] = array
    return out


def _check_deep(deep, window, what: str):
    """(offsets, channels) of a deep part over `window`, checked."""
    if window is None:
        raise ValueError(f"{what}: a deep part needs data_window=((min_x, min_y), (max_x, max_y))")
    try:
        offsets, channels = deep
    except (TypeError, ValueError):
        raise TypeError(f"{what}: deep data is (offsets, channels)") from None
    offsets = np.ascontiguousarray(offsets, dtype=np.uint64)
    box = pixels.window_box(window)
    pixels_count = (box.max_x - box.min_x + 1) * (box.max_y - box.min_y + 1)
    if offsets.shape != (pixels_count + 1,) or offsets[0] != 0 or np.any(np.diff(offsets) < 0):
        raise ValueError(
            f"{what}: offsets must be {pixels_count + 1} non-decreasing values from 0 "
            f"(one per pixel of {window} and the total)"
        )
    if not isinstance(channels, Mapping) or not channels:
        raise ValueError(f"{what}: deep channels are a non-empty dict, name -> 1-D array")
    out = {}
    for name, array in channels.items():
        array = np.ascontiguousarray(array)
        if array.dtype not in _CHANNEL_TYPES or array.shape != (int(offsets[-1]),):
            raise ValueError(
                f"{what}: deep channel {name!r} must hold {int(offsets[-1])} uint32, float16 "
                f"or float32 samples, not {array.shape} {array.dtype}"
            )
        out[str(name)] = array
    return offsets, out


def _deep_image(offsets: np.ndarray, channels: dict, window):
    """A C deep image holding `channels` with `offsets` over `window`;
    the caller frees it."""
    lib = library()
    names = [to_c(name) for name in channels]
    described = (_abi.exrkit_channel * len(channels))()
    for i, (name, array) in enumerate(zip(names, channels.values())):
        described[i] = _abi.exrkit_channel(
            name=name, type=_CHANNEL_TYPES[array.dtype], x_sampling=1, y_sampling=1, p_linear=False
        )
    counts = np.ascontiguousarray(np.diff(offsets), dtype=np.uint32)
    image = ctypes.POINTER(_abi.exrkit_deep_image)()
    check(lib.exrkit_deep_image_create(
        pixels.window_box(window),
        described,
        len(channels),
        counts.ctypes.data_as(ctypes.POINTER(ctypes.c_uint32)),
        ctypes.byref(image),
    ))
    try:
        for i, array in enumerate(channels.values()):
            start = ctypes.c_void_p()
            count = ctypes.c_uint64()
            check(lib.exrkit_deep_channel_samples(
                image, i, ctypes.byref(start), ctypes.byref(count)
            ))
            if count.value:
                ctypes.memmove(start, array.ctypes.data, array.nbytes)
    except BaseException:
        lib.exrkit_deep_image_free(image)
        raise
    return image


def _level_window(origin: tuple[int, int], shape: tuple[int, int]):
    x, y = origin
    return ((x, y), (x + shape[1] - 1, y + shape[0] - 1))


def _framebuffer(channels: dict[str, np.ndarray], window, keep: list):
    """A C frame buffer over `channels`; `keep` holds what must outlive it."""
    slices = (_abi.exrkit_slice * len(channels))()
    for i, (name, array) in enumerate(channels.items()):
        c_name = to_c(name)
        keep.extend([c_name, array])
        slices[i] = _abi.exrkit_slice(
            channel=c_name,
            type=pixels.pixel_type(array.dtype),
            base=array.ctypes.data,
            x_stride=array.strides[1],
            y_stride=array.strides[0],
            x_sampling=1,
            y_sampling=1,
            fill=0.0,
        )
    keep.append(slices)
    return _abi.exrkit_framebuffer(
        window=pixels.window_box(window),
        slices=ctypes.cast(slices, ctypes.POINTER(_abi.exrkit_slice)),
        slice_count=len(channels),
    )


class _Part:
    """One part as :func:`write` was given it, checked."""

    def __init__(self, spec: dict, defaults: dict, index: int):
        unknown = set(spec) - _PART_KEYS - {"channels", "deep"}
        if unknown:
            raise ValueError(f"part {index}: unknown keys {sorted(unknown)}")

        def get(key):
            return spec.get(key, defaults.get(key))

        what = f"part {index}"
        self.name = get("name")
        self.deep = None
        if "deep" in spec:
            if "channels" in spec or get("levels"):
                raise ValueError(f"{what}: a deep part has 'deep' data only, one level")
            self.deep = _check_deep(spec["deep"], get("data_window"), what)
            box = pixels.window_box(get("data_window"))
            shape = (box.max_y - box.min_y + 1, box.max_x - box.min_x + 1)
            self.channels = {}
            self._init_common(get, what, shape, deep=True)
            return
        self.channels = _check_channels(spec.get("channels"), what, qoi=defaults.get("format") == "qoi")
        self._init_common(get, what, next(iter(self.channels.values())).shape, deep=False)

    def _init_common(self, get, what: str, shape, deep: bool):
        """The settings every part has, for arrays of `shape` (rows, columns)."""
        rows, columns = shape
        window = get("data_window")
        if window is None:
            window = ((0, 0), (columns - 1, rows - 1))
        self.data_window = window
        box = pixels.window_box(window)
        if (box.max_x - box.min_x + 1, box.max_y - box.min_y + 1) != (columns, rows):
            raise ValueError(
                f"{what}: data window {window} is not the arrays' {columns} x {rows} pixels"
            )
        self.origin = (box.min_x, box.min_y)
        self.display_window = get("display_window") or window
        compression = get("compression") or ("zips" if deep else "zip")
        self.compression = _enum(_names.COMPRESSION, compression, "compression")
        self.line_order = _enum(_names.LINE_ORDER, get("line_order"), "line_order")
        self.rounding = _enum(_names.ROUNDING_MODE, get("rounding"), "rounding")
        level = get("compression_level")
        if level is not None and not float(level) > 0.0:
            raise ValueError(f"{what}: compression_level {level!r} must be above 0 (None: the default)")
        self.compression_level = float(level or 0.0)
        self.p_linear = frozenset(get("p_linear") or ())
        named = set(self.deep[1] if deep else self.channels)
        if unknown := sorted(self.p_linear - named):
            raise ValueError(f"{what}: p_linear names {unknown}, which are not channels")
        self.tiles = get("tiles")
        levels = get("levels") or {}
        if levels and self.tiles is None:
            raise ValueError(f"{what}: levels need tiles=(width, height)")
        self.levels = {} if deep else {(0, 0): self.channels}
        for key, channels in levels.items():
            lx, ly = (int(v) for v in key)
            self.levels[(lx, ly)] = _check_channels(channels, f"{what} level {key}")
        mode = get("level_mode")
        if mode is None:
            if any(lx != ly for lx, ly in self.levels):
                mode = "ripmap"
            elif len(self.levels) > 1:
                mode = "mipmap"
            else:
                mode = "one"
        self.level_mode = _enum(_names.LEVEL_MODE, mode, "level_mode")
        self.attributes = [
            (name, *_attribute(name, value)) for name, value in (get("attributes") or {}).items()
        ]

    def desc(self) -> _abi.exrkit_part_desc:
        desc = _abi.exrkit_part_desc()
        check(library().exrkit_part_desc_init(ctypes.byref(desc)))
        self._name = None if self.name is None else to_c(self.name)
        desc.name = self._name
        desc.compression = self.compression
        desc.data_window = pixels.window_box(self.data_window)
        desc.display_window = pixels.window_box(self.display_window)
        desc.line_order = self.line_order
        desc.compression_level = self.compression_level
        deep = self.deep is not None
        if self.tiles is None:
            desc.storage = _abi.EXRKIT_STORAGE_DEEP_SCANLINE if deep else _abi.EXRKIT_STORAGE_SCANLINE
        else:
            width, height = self.tiles
            desc.storage = _abi.EXRKIT_STORAGE_DEEP_TILED if deep else _abi.EXRKIT_STORAGE_TILED
            desc.tile_width = int(width)
            desc.tile_height = int(height)
            desc.level_mode = self.level_mode
            desc.rounding_mode = self.rounding
        return desc


def write(
    path,
    channels_or_parts,
    compression=None,
    tiles=None,
    levels=None,
    attributes=None,
    *,
    data_window=None,
    display_window=None,
    line_order="increasing_y",
    level_mode=None,
    rounding="down",
    name=None,
    compression_level=None,
    p_linear=(),
    threads=0,
    format="exr",
):
    """Writes an OpenEXR file; returns its bytes when `path` is None.

    `channels_or_parts` is either one part's channels, a dict name -> 2-D
    array (rows, columns) of uint32, float16 or float32 (the file's UINT,
    HALF and FLOAT), or one deep part's ``(offsets, channels)`` as
    :meth:`exrkit.Reader.read_deep` gives them (1-D sample arrays; a deep
    part needs `data_window`), or a list of parts for a multipart file:
    dicts with key "channels" (or "deep") and any of the keyword arguments
    below, which then serve as defaults for every part ("name" is required
    per part). Deep parts are deep tiled when given `tiles`, and have one
    level.

    The data window comes from the arrays' shape, at the origin, unless
    `data_window` = ((min_x, min_y), (max_x, max_y)) places it; the display
    window defaults to it. `compression` is a name ("none", "rle", "zips",
    "zip", "piz", "pxr24", "b44", "b44a", "dwaa", "dwab", "zstd", ...); the
    default is "zip" for flat parts and "zips" for deep ones (OpenEXR 3.5
    reads deep data in NONE, RLE, ZIPS and ZSTD only, and exrkit writes it
    in no other). `compression_level` is the deflate level (1-12) for zip,
    zips and pxr24, the DWA level (above 0; higher is smaller and lossier)
    for dwaa and dwab, the zstd level (1-22) for zstd; None keeps
    OpenEXR's default (4, 45 for DWA, 5 for zstd). `p_linear` names the channels to mark
    perceptually linear (the header's pLinear flag), which DWA codes
    without its perceptual curve. `line_order`
    is "increasing_y", "decreasing_y" or (tiled only) "random_y".

    `tiles` = (width, height) makes a tiled part. `levels` gives the levels
    of a mip or rip map besides level 0: a dict (level_x, level_y) ->
    channels dict, each array the level's size (level (l, l) of a mip map
    is max(1, floor(size / 2**l)), or ceil with ``rounding="up"``). The
    level mode is "ripmap" when a key has level_x != level_y, else
    "mipmap" (or give `level_mode`: "one", "mipmap", "ripmap"). Every level
    must be given.

    `attributes` is a dict name -> value, written as well as the standard
    ones (and replacing them when named alike). Values are
    ``(type_name, value)`` pairs (see :func:`encode_attribute`; bytes are
    written as they are), or plain values whose type is plain: str
    (string), int (int), float (float), a list of str (stringvector),
    :class:`exrkit.Chromaticities`, a pair of ints or floats (v2i, v2f), a
    pair of pairs (box2i, box2f).

    `threads`: encoding threads, 0 = all cores, 1 = the calling thread.

    ``format="qoi"`` writes a QOI file instead: one part with channels R, G,
    B and optionally A, as uint8 arrays or as float16/float32 arrays of 0..1
    (clamped, times 255, rounded); attribute ``colorspace`` 0 (sRGB, the
    default) or 1 (linear).
    A file is written under a temporary name beside `path` and renamed into
    place only once complete; on failure `path` is left as it was and
    :class:`exrkit.Error` is raised.
    """
    if format not in ("exr", "qoi"):
        raise ValueError(f"format is 'exr' or 'qoi', not {format!r}")
    defaults = {
        "format": format,
        "compression": compression,
        "tiles": tiles,
        "levels": levels,
        "attributes": attributes,
        "data_window": data_window,
        "display_window": display_window,
        "line_order": line_order,
        "level_mode": level_mode,
        "rounding": rounding,
        "name": name,
        "compression_level": compression_level,
        "p_linear": p_linear,
    }
    if isinstance(channels_or_parts, Mapping):
        parts = [_Part({"channels": channels_or_parts}, defaults, 0)]
    elif isinstance(channels_or_parts, tuple):
        parts = [_Part({"deep": channels_or_parts}, defaults, 0)]
    else:
        specs = list(channels_or_parts)
        if not specs:
            raise ValueError("no parts to write")
        parts = []
        for i, spec in enumerate(specs):
            if not isinstance(spec, Mapping):
                raise TypeError(f"part {i} is a dict with 'channels' and options, not {spec!r}")
            spec = dict(spec)
            if "name" not in spec and len(specs) > 1:
                raise ValueError(f"part {i}: every part of a multipart file needs a 'name'")
            parts.append(_Part(spec, {k: v for k, v in defaults.items() if k != "name"}, i))
    if format == "qoi" and (len(parts) != 1 or parts[0].deep is not None):
        raise ValueError("a QOI file holds one flat part")

    lib = library()
    options = _abi.exrkit_write_options()
    check(lib.exrkit_write_options_init(ctypes.byref(options)))
    if not 0 <= int(threads) < 2**32:
        raise ValueError(f"threads must be 0 (all cores) or a positive count, not {threads}")
    options.threads = int(threads)
    options.format = _abi.EXRKIT_FORMAT_QOI if format == "qoi" else _abi.EXRKIT_FORMAT_EXR
    writer = ctypes.POINTER(_abi.exrkit_writer)()
    if path is None:
        check(lib.exrkit_create_memory(ctypes.byref(options), ctypes.byref(writer)))
    else:
        check(lib.exrkit_create(os.fsencode(os.fspath(path)), ctypes.byref(options),
                                ctypes.byref(writer)))
    try:
        for part in parts:
            index = ctypes.c_uint32()
            desc = part.desc()
            check(lib.exrkit_add_part(writer, ctypes.byref(desc), ctypes.byref(index)))
            channel_arrays = part.deep[1] if part.deep is not None else part.channels
            for channel_name, array in channel_arrays.items():
                channel = _abi.exrkit_channel(
                    name=to_c(channel_name),
                    type=(_abi.EXRKIT_PIXEL_U8 if format == "qoi" else _CHANNEL_TYPES[array.dtype]),
                    x_sampling=1,
                    y_sampling=1,
                    p_linear=channel_name in part.p_linear,
                )
                check(lib.exrkit_add_channel(writer, index.value, ctypes.byref(channel)))
            for attr_name, type_name, data in part.attributes:
                check(lib.exrkit_set_attribute(
                    writer, index.value, to_c(attr_name), to_c(type_name), data, len(data)
                ))
        check(lib.exrkit_write_header(writer))
        for index, part in enumerate(parts):
            if part.deep is not None:
                image = _deep_image(*part.deep, part.data_window)
                try:
                    check(lib.exrkit_write_deep_image(writer, index, 0, 0, image))
                finally:
                    lib.exrkit_deep_image_free(image)
                continue
            for (lx, ly), channels in sorted(part.levels.items(), key=lambda kv: kv[0][::-1]):
                missing = set(part.channels) - set(channels)
                if missing:
                    raise ValueError(f"part {index} level ({lx}, {ly}) lacks {sorted(missing)}")
                keep: list = []
                shape = next(iter(channels.values())).shape
                fb = _framebuffer(channels, _level_window(part.origin, shape), keep)
                check(lib.exrkit_write_image(writer, index, lx, ly, ctypes.byref(fb)))
        check(lib.exrkit_finish(writer))
        if path is not None:
            return None
        data = ctypes.c_void_p()
        size = ctypes.c_size_t()
        check(lib.exrkit_writer_memory(writer, ctypes.byref(data), ctypes.byref(size)))
        return ctypes.string_at(data, size.value)
    finally:
        lib.exrkit_writer_free(writer)
