"""Reader: an open file or byte string, its parts, and pixel decoding."""

import ctypes
import operator
import os
import threading
from contextlib import contextmanager

import numpy as np

from . import _abi, pixels
from ._library import library
from ._text import to_c
from .errors import InvalidArgumentError, check, error_for
from .part import Part, level_pair
from .values import ChunkInfo

def _options(threads, strict, reconstruct, max_image_pixels) -> _abi.exrkit_read_options:
    options = _abi.exrkit_read_options()
    check(library().exrkit_read_options_init(ctypes.byref(options)))
    options.struct_size = ctypes.sizeof(_abi.exrkit_read_options)
    if not 0 <= threads < 2**32:
        raise ValueError(f"threads must be 0 (all cores) or a positive count, not {threads}")
    options.threads = threads
    options.flags = (_abi.EXRKIT_READ_STRICT if strict else 0) | (
        0 if reconstruct else _abi.EXRKIT_READ_NO_RECONSTRUCTION
    )
    if max_image_pixels is not None:
        if not 0 <= max_image_pixels < 2**64:
            raise ValueError(
                f"max_image_pixels must be 0 (no limit) or positive, not {max_image_pixels}"
            )
        options.max_image_pixels = max_image_pixels
    return options


class Reader:
    """An open OpenEXR (or QOI) file. Use :func:`exrkit.open` to make one.

    A reader is a context manager; ``close()`` frees it (closing while
    another thread decodes waits for that decode to finish). Its methods may
    be called from many threads at once; decoding releases the GIL.
    """

    def __init__(self, source, *, threads=0, strict=False, reconstruct=True, max_image_pixels=None):
        lib = library()
        options = _options(int(threads), strict, reconstruct, max_image_pixels)
        handle = ctypes.POINTER(_abi.exrkit_reader)()
        self._data = None
        if isinstance(source, (bytes, bytearray, memoryview)):
            # exrkit_open_memory does not copy: keep an immutable copy alive.
            self._data = source if isinstance(source, bytes) else bytes(source)
            self.source = f"<{len(self._data)} bytes>"
            status = lib.exrkit_open_memory(
                self._data, len(self._data), ctypes.byref(options), ctypes.byref(handle)
            )
        else:
            path = os.fspath(source)
            self.source = os.fsdecode(path)
            status = lib.exrkit_open(os.fsencode(path), ctypes.byref(options), ctypes.byref(handle))
        check(status)
        self._handle = handle
        self._close = lib.exrkit_close
        self._lock = threading.Lock()
        self._users = 0
        self._closed = False
        try:
            count = ctypes.c_uint32()
            self._call("exrkit_part_count", ctypes.byref(count))
            self._parts = []
            for i in range(count.value):
                header = _abi.exrkit_header()
                self._call("exrkit_read_header", i, ctypes.byref(header))
                self._parts.append(Part(self, i, header))
        except BaseException:
            self.close()
            raise

    # --- lifetime ------------------------------------------------------------

    @contextmanager
    def _in_use(self):
        """The handle, kept open until the block ends."""
        with self._lock:
            if self._closed:
                raise ValueError("the exrkit reader is closed")
            self._users += 1
        try:
            yield self._handle
        finally:
            with self._lock:
                self._users -= 1
                release = self._closed and self._users == 0
            if release:
                self._release()

    def _release(self):
        handle, self._handle = self._handle, None
        if handle:
            self._close(handle)
        self._data = None

    def close(self) -> None:
        """Frees the reader. Further calls raise ValueError; closing twice is fine."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            release = self._users == 0
        if release:
            self._release()

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called."""
        return self._closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_handle", None):
            self._release()

    def _call(self, function: str, *args) -> None:
        """Calls library `function` with the handle first; raises on failure."""
        with self._in_use() as handle:
            check(getattr(library(), function)(handle, *args))

    # --- structure -----------------------------------------------------------

    @property
    def parts(self) -> list[Part]:
        """The file's parts (one for single-part files and QOI)."""
        return list(self._parts)

    def _part(self, part: int) -> Part:
        index = operator.index(part)
        if not 0 <= index < len(self._parts):
            raise IndexError(f"part {part!r} out of range; the file has {len(self._parts)} parts")
        return self._parts[index]

    def _flat_part(self, part: int, method: str) -> Part:
        p = self._part(part)
        if p.is_deep:
            raise InvalidArgumentError(
                f"part {p.index} holds deep data; {method}() decodes flat parts only",
                _abi.EXRKIT_ERR_INVALID_ARGUMENT,
            )
        return p

    def chunk_info(self, part: int, index: int) -> ChunkInfo:
        """Where chunk `index` of `part` lies and what it holds (reads and
        checks its leader)."""
        p = self._part(part)
        info = _abi.exrkit_chunk_info()
        self._call("exrkit_get_chunk_info", p.index, _chunk(index), ctypes.byref(info))
        r = info.region
        return ChunkInfo(
            index=info.index,
            region=((r.min_x, r.min_y), (r.max_x, r.max_y)),
            level=(info.level_x, info.level_y),
            tile=(info.tile_x, info.tile_y),
            offset=info.offset,
            data_offset=info.data_offset,
            sample_table_size=info.sample_table_size,
            packed_size=info.packed_size,
            unpacked_size=info.unpacked_size,
            read_size=info.read_size,
        )

    def read_chunk(self, part: int, index: int) -> bytes:
        """The raw bytes of chunk `index` of `part`: the packed pixel data
        (deep parts: the packed sample count table, then the packed samples)."""
        info = self.chunk_info(part, index)
        buffer = ctypes.create_string_buffer(max(info.read_size, 1))
        size = ctypes.c_size_t()
        self._call(
            "exrkit_read_chunk",
            self._part(part).index,
            info.index,
            buffer,
            info.read_size,
            ctypes.byref(size),
        )
        return ctypes.string_at(buffer, size.value)

    # --- pixels --------------------------------------------------------------

    def read(self, part=0, level=(0, 0), window=None, channels=None, dtype=None, fill=0.0):
        """Decodes channels of a flat part into numpy arrays.

        Returns a dict, channel name -> 2-D array (rows, columns), in the
        order of `channels` (default: every channel of the part, in name
        order). Arrays have the file's sample type (uint32, float16,
        float32; uint8 for QOI) or `dtype` if given (uint32, float16,
        float32 or uint8; conversions as :mod:`exrkit.pixels` describes).

        `level` is (level_x, level_y) for mip- and rip-mapped tiled parts.
        `window` is ((min_x, min_y), (max_x, max_y)), inclusive, in the
        level's coordinates; it defaults to the level's data window and may
        reach past it. Pixels the file has no samples for (outside the data
        window, in damaged chunks, or of a channel the part lacks) hold
        `fill`. A channel the part lacks comes back as float32 unless
        `dtype` says otherwise.

        A subsampled channel comes back compact, one element per sample:
        rows y and columns x with ``y % y_sampling == 0`` and
        ``x % x_sampling == 0`` inside the window.

        All channels decode in one library call spread over the reader's
        threads. If it fails, the raised :class:`exrkit.Error` carries
        ``partial``: the arrays as far as they decoded (damaged chunks at
        `fill`).
        """
        p = self._flat_part(part, "read")
        lx, ly = level_pair(level)
        box = pixels.window_box(window if window is not None else p.level_window(lx, ly))
        wanted = _channel_names(p, channels)
        requested = None if dtype is None else pixels.DTYPES[pixels.pixel_type(dtype)]
        own = {c.name: c for c in p.channels}
        fb = pixels.FrameBuffer(box)
        for name in wanted:
            c = own.get(name)
            if c is None:
                fb.add(name, to_c(name), requested or np.dtype(np.float32), (1, 1), fill)
            else:
                file_type = pixels.DTYPES[pixels.TYPE_CODES[c.type]]
                fb.add(name, to_c(name), requested or file_type, (c.x_sampling, c.y_sampling), fill)
        c_fb = fb.c_struct()
        if c_fb.slice_count:
            with self._in_use() as handle:
                status = library().exrkit_decode_image(handle, p.index, lx, ly, ctypes.byref(c_fb))
            _raise_with_partial(status, fb.arrays)
        return fb.arrays

    def read_deep(self, part=0, level=(0, 0)):
        """Decodes a deep part (every sample of one level, 0 for scanline
        parts) as ``(offsets, channels)``.

        `offsets` is a uint64 array of one entry per pixel of the level's
        window (row-major) and one more: pixel ``i`` owns samples
        ``offsets[i]:offsets[i + 1]`` of every channel, so
        ``np.diff(offsets).reshape(rows, columns)`` gives the samples per
        pixel. `channels` maps each channel name (in the part's order) to a
        1-D array of all its samples at the file's type (uint32, float16,
        float32). Decoding runs on the reader's threads.
        """
        p = self._part(part)
        if not p.is_deep:
            raise InvalidArgumentError(
                f"part {p.index} holds flat data; read() decodes it",
                _abi.EXRKIT_ERR_INVALID_ARGUMENT,
            )
        lx, ly = level_pair(level)
        lib = library()
        image = ctypes.POINTER(_abi.exrkit_deep_image)()
        self._call("exrkit_decode_deep_image", p.index, lx, ly, ctypes.byref(image))
        try:
            start = ctypes.POINTER(ctypes.c_uint64)()
            count = ctypes.c_size_t()
            check(lib.exrkit_deep_offsets(image, ctypes.byref(start), ctypes.byref(count)))
            offsets = np.ctypeslib.as_array(start, shape=(count.value,)).copy()
            channels = {}
            for i, channel in enumerate(p.channels):
                kind = ctypes.c_uint32()
                data = ctypes.c_void_p()
                n = ctypes.c_uint64()
                check(lib.exrkit_deep_channel(
                    image, i, ctypes.byref(kind), ctypes.byref(data), ctypes.byref(n)
                ))
                samples = np.empty(n.value, pixels.DTYPES[kind.value])
                if n.value:
                    ctypes.memmove(samples.ctypes.data, data, samples.nbytes)
                channels[channel.name] = samples
        finally:
            lib.exrkit_deep_image_free(image)
        return offsets, channels

    def read_rgba(self, part=0, window=None):
        """Decodes a flat part (level 0) as RGBA float32, shape (rows,
        columns, 4).

        Missing R, G and B are 0 and a missing A is 1; a part with
        luminance Y and no R, G or B gives grey. `window` is as for
        :meth:`read`; pixels outside the data window are 0 (transparent
        black). On failure the error carries ``partial`` as for :meth:`read`.
        """
        p = self._flat_part(part, "read_rgba")
        box = pixels.window_box(window if window is not None else p.data_window)
        shape = (box.max_y - box.min_y + 1, box.max_x - box.min_x + 1, 4)
        rgba = pixels.allocate(shape, np.float32, 0)
        with self._in_use() as handle:
            status = library().exrkit_decode_rgba(
                handle,
                p.index,
                box,
                rgba.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                rgba.strides[0],
            )
        _raise_with_partial(status, rgba)
        return rgba

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{len(self._parts)} parts"
        return f"<exrkit.Reader {self.source} {state}>"


def _chunk(index) -> int:
    value = operator.index(index)
    if not 0 <= value < 2**64:
        raise IndexError(f"chunk index {index!r} out of range")
    return value


def _channel_names(part: Part, channels) -> list[str]:
    if channels is None:
        return [c.name for c in part.channels]
    if isinstance(channels, str):
        channels = [channels]
    names = []
    for name in channels:
        if not isinstance(name, str):
            raise TypeError(f"channel names are strings, not {name!r}")
        if name not in names:
            names.append(name)
    return names


def _raise_with_partial(status: int, partial) -> None:
    if status != _abi.EXRKIT_OK:
        error = error_for(status)
        error.partial = partial
        raise error


def open(source, threads=0, strict=False, reconstruct=True, max_image_pixels=None) -> Reader:
    """Opens an OpenEXR (or QOI) file.

    `source` is a path (str or os.PathLike) or the file's contents (bytes,
    bytearray or memoryview; anything but bytes is copied once).

    `threads`: decode threads, 0 = all cores (a shared pool), 1 = the
    calling thread only, n = a pool of n threads for this reader.
    `strict`: reject what OpenEXR's strict header parsing rejects.
    `reconstruct`: rebuild offset tables that point outside the file by
    walking the chunks (default True).
    `max_image_pixels`: largest data window a part may have, 0 = no limit,
    None = the library's default (2**31).

    Raises :class:`exrkit.Error` (a subclass per status) if the file cannot
    be opened.
    """
    return Reader(
        source,
        threads=threads,
        strict=strict,
        reconstruct=reconstruct,
        max_image_pixels=max_image_pixels,
    )
