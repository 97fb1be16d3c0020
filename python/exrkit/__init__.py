"""exrkit: read OpenEXR (and QOI) images into numpy arrays, and write
OpenEXR files from them.

A pure-ctypes binding over the exrkit shared library; nothing to compile.

    import exrkit

    with exrkit.open("image.exr") as reader:
        part = reader.parts[0]
        print(part.compression, part.data_window, [c.name for c in part.channels])
        pixels = reader.read()              # {"B": array, "G": array, "R": array}
        rgba = reader.read_rgba()           # (rows, columns, 4) float32

    exrkit.write("out.exr", {"R": r, "G": g, "B": b}, compression="zip")

The library is looked for next to this package, then at the path in
``EXRKIT_LIBRARY``, then in the CMake build directory (``$EXRKIT_BUILD_DIR/lib``,
else ``<repository>/build/lib``); see :func:`library_path`.
"""

from ._library import LibraryNotFoundError, library, library_path
from .errors import (
    BadStateError,
    BufferTooSmallError,
    CancelledError,
    CorruptError,
    Error,
    IncompleteError,
    InternalError,
    InvalidArgumentError,
    IoError,
    LimitExceededError,
    NotFoundError,
    OutOfMemoryError,
    UnknownFormatError,
    UnsupportedError,
)
from .part import Part
from .reader import Reader, open
from .values import Channel, Chromaticities, ChunkInfo, KeyCode, TileDescription, TimeCode
from .writer import encode_attribute, write


def version() -> str:
    """The loaded library's version, e.g. "0.1.0"."""
    return library().exrkit_version_string().decode()


__all__ = [
    "BadStateError",
    "BufferTooSmallError",
    "CancelledError",
    "Channel",
    "Chromaticities",
    "ChunkInfo",
    "CorruptError",
    "Error",
    "IncompleteError",
    "InternalError",
    "InvalidArgumentError",
    "IoError",
    "KeyCode",
    "LibraryNotFoundError",
    "LimitExceededError",
    "NotFoundError",
    "OutOfMemoryError",
    "Part",
    "Reader",
    "TileDescription",
    "TimeCode",
    "UnknownFormatError",
    "UnsupportedError",
    "library_path",
    "open",
    "encode_attribute",
    "version",
    "write",
]
