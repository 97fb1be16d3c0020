"""Small immutable value types the binding returns."""

from typing import NamedTuple

Box = tuple[tuple[int, int], tuple[int, int]]


class Channel(NamedTuple):
    """One channel of a part: its name, sample type ("uint", "half", "float"
    or "u8"), sampling (one sample per `x_sampling` columns and
    `y_sampling` rows) and the perceptually-linear hint."""

    name: str
    type: str
    x_sampling: int
    y_sampling: int
    p_linear: bool


class Chromaticities(NamedTuple):
    """CIE xy coordinates of the primaries and the white point."""

    red: tuple[float, float]
    green: tuple[float, float]
    blue: tuple[float, float]
    white: tuple[float, float]


class KeyCode(NamedTuple):
    """A film edge code."""

    film_mfc_code: int
    film_type: int
    prefix: int
    count: int
    perf_offset: int
    perfs_per_frame: int
    perfs_per_count: int


class TimeCode(NamedTuple):
    """An SMPTE time code, packed as the file stores it."""

    time_and_flags: int
    user_data: int


class TileDescription(NamedTuple):
    """A `tiledesc` attribute: tile size, level mode ("one", "mipmap",
    "ripmap") and rounding mode ("down", "up")."""

    width: int
    height: int
    level_mode: str
    rounding_mode: str


class ChunkInfo(NamedTuple):
    """Where one chunk lies in the file and what it holds."""

    index: int
    #: Pixels covered, ((min_x, min_y), (max_x, max_y)) in its level's coordinates.
    region: Box
    #: (level_x, level_y); (0, 0) for scanline parts.
    level: tuple[int, int]
    #: (tile_x, tile_y); for scanline parts (0, block index).
    tile: tuple[int, int]
    #: File offset of the chunk's leader.
    offset: int
    #: File offset of the bytes `Reader.read_chunk` returns.
    data_offset: int
    #: Bytes of the packed sample count table (deep parts; 0 otherwise).
    sample_table_size: int
    #: Bytes of packed pixel data.
    packed_size: int
    #: Bytes of pixel data once decompressed.
    unpacked_size: int
    #: Bytes `Reader.read_chunk` returns: sample_table_size + packed_size.
    read_size: int
