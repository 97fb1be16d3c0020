"""One part of an open file: its header, channels and attributes."""

import ctypes
from functools import cached_property

from . import _abi, _names, attributes
from ._text import from_c
from .values import Box, Channel


def _box(b: _abi.exrkit_box2i) -> Box:
    return ((b.min_x, b.min_y), (b.max_x, b.max_y))


class Part:
    """A part of a file, as its header describes it.

    Plain fields come from the header when the file is opened. ``channels``
    and ``attributes`` are read from the library on first use, and
    ``level_size`` asks it each time, so those need the reader to be open.
    """

    def __init__(self, reader, index: int, header: _abi.exrkit_header):
        self._reader = reader
        #: Index of the part in the file.
        self.index = index
        #: The part's ``name`` attribute, or None (single-part files).
        self.name = None if header.name is None else from_c(header.name)
        #: "exr" or "qoi".
        self.format = _names.name(_names.FORMAT, header.format)
        #: "scanline", "tiled", "deep_scanline" or "deep_tiled".
        self.storage = _names.name(_names.STORAGE, header.storage)
        #: "none", "rle", "zips", "zip", "piz", "pxr24", "b44", "b44a",
        #: "dwaa", "dwab", "htj2k256", "htj2k32", "lossy_htj2k", "zstd", "qoi".
        self.compression = _names.name(_names.COMPRESSION, header.compression)
        #: The pixels stored: ((min_x, min_y), (max_x, max_y)), inclusive.
        self.data_window = _box(header.data_window)
        #: The full frame, inclusive like ``data_window``.
        self.display_window = _box(header.display_window)
        #: "increasing_y", "decreasing_y" or "random_y".
        self.line_order = _names.name(_names.LINE_ORDER, header.line_order)
        #: Pixel width divided by pixel height.
        self.pixel_aspect_ratio = header.pixel_aspect_ratio
        #: Scanlines per chunk (scanline parts), None for tiled parts.
        self.lines_per_chunk = header.lines_per_chunk or None
        #: (width, height) of a tile, or None for scanline parts.
        self.tile_size = (
            (header.tile_width, header.tile_height) if header.tile_width else None
        )
        #: "one", "mipmap" or "ripmap" ("one" for scanline parts).
        self.level_mode = _names.name(_names.LEVEL_MODE, header.level_mode)
        #: "down" or "up": how level sizes round.
        self.rounding_mode = _names.name(_names.ROUNDING_MODE, header.rounding_mode)
        #: (horizontal, vertical) number of levels; (1, 1) unless mip or rip mapped.
        self.level_count = (header.level_count_x, header.level_count_y)
        #: Number of chunks in the part's offset table.
        self.chunk_count = header.chunk_count
        self._channel_count = header.channel_count
        self._attribute_count = header.attribute_count

    @property
    def is_deep(self) -> bool:
        """True for deep scanline and deep tiled parts."""
        return self.storage in ("deep_scanline", "deep_tiled")

    @cached_property
    def channels(self) -> list[Channel]:
        """The channels, in name order (the order of their data in chunks)."""
        out = []
        for i in range(self._channel_count):
            c = _abi.exrkit_channel()
            self._reader._call("exrkit_get_channel", self.index, i, ctypes.byref(c))
            out.append(attributes.channel(c))
        return out

    @cached_property
    def attributes(self) -> dict:
        """Every attribute, name -> value, in file order (values as
        :mod:`exrkit.attributes` describes)."""
        out = {}
        for i in range(self._attribute_count):
            a = _abi.exrkit_attribute()
            self._reader._call("exrkit_get_attribute", self.index, i, ctypes.byref(a))
            out[from_c(a.name)] = attributes.decode(a)
        return out

    def level_size(self, level_x: int, level_y: int) -> tuple[int, int]:
        """(width, height) in pixels of level (`level_x`, `level_y`).

        Scanline parts have only level (0, 0); mip maps only levels with
        ``level_x == level_y``. Other levels raise InvalidArgumentError.
        """
        w, h = ctypes.c_int32(), ctypes.c_int32()
        lx, ly = level_pair((level_x, level_y))
        self._reader._call(
            "exrkit_level_size", self.index, lx, ly, ctypes.byref(w), ctypes.byref(h)
        )
        return (w.value, h.value)

    def level_window(self, level_x: int = 0, level_y: int = 0) -> Box:
        """The pixels of a level, in that level's coordinates (which keep the
        data window's origin)."""
        w, h = self.level_size(level_x, level_y)
        (x, y), _ = self.data_window
        return ((x, y), (x + w - 1, y + h - 1))

    def __repr__(self) -> str:
        return (
            f"<exrkit.Part {self.index} name={self.name!r} {self.storage} {self.compression} "
            f"data_window={self.data_window}>"
        )


def level_pair(level) -> tuple[int, int]:
    """A (level_x, level_y) pair, checked to fit the C API."""
    try:
        lx, ly = (int(v) for v in level)
    except (TypeError, ValueError) as error:
        raise ValueError(f"level {level!r} is not (level_x, level_y)") from error
    if not (0 <= lx < 2**31 and 0 <= ly < 2**31):
        raise ValueError(f"level {level!r} is out of range")
    return lx, ly
