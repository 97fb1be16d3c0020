"""exrkit.write: files read back by PyPI OpenEXR with exactly the written
pixels, part names and attributes, accepted by exrheader, and the same
bytes whether written to a file or to memory."""

import ctypes
import struct
import subprocess

import pytest

from conftest import SUMMARY, require_module

np = require_module("numpy")
OpenEXR = require_module("OpenEXR")

import exrkit

pytestmark = pytest.mark.usefixtures("library")

#: Codecs every test writes with: the lossless ones, whose pixels must come
#: back exactly (the lossy ones are compared with OpenEXR's own encode in
#: the Rust tests and through the C examples).
CODECS = ("none", "rle", "zips", "zip", "piz")


OPENEXR_COMPRESSION = {"none": "NO_COMPRESSION"}


def channels(rows: int, columns: int, seed: int = 1) -> dict:
    """HALF, FLOAT and UINT channels with odd values (NaN, infinities,
    denormals, negative zero) among random ones."""
    rng = np.random.default_rng(seed)
    half = rng.standard_normal((rows, columns)).astype(np.float16)
    half.flat[:4] = [np.nan, np.inf, -0.0, 1e-7]
    single = (rng.standard_normal((rows, columns)) * 1e3).astype(np.float32)
    single.flat[:3] = [np.nan, -np.inf, 1e-40]
    uint = rng.integers(0, 2**32, (rows, columns), dtype=np.uint32)
    return {"R": half, "Z": single, "id": uint}


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Bit-identical arrays (NaN included)."""
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def openexr_parts(path) -> list:
    """Each part of `path` as PyPI OpenEXR reads it: (header, {name: pixels})."""
    f = OpenEXR.File(str(path), separate_channels=True)
    return [(p.header, {n: c.pixels for n, c in p.channels.items()}) for p in f.parts]


def exrheader_accepts(exrheader, path) -> None:
    result = subprocess.run([str(exrheader), str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("tiles", [None, (16, 8)], ids=["scanline", "tiled"])
def test_pixels_read_back_by_openexr(tmp_path, exrheader, codec, tiles):
    written = channels(37, 53)
    path = tmp_path / "part.exr"
    window = ((-5, 7), (47, 43))
    exrkit.write(path, written, compression=codec, tiles=tiles, data_window=window,
                 line_order="decreasing_y")
    exrheader_accepts(exrheader, path)
    [(header, read)] = openexr_parts(path)
    assert header["compression"].name == OPENEXR_COMPRESSION.get(codec, f"{codec.upper()}_COMPRESSION")
    lo, hi = header["dataWindow"]
    assert ((lo[0], lo[1]), (hi[0], hi[1])) == window
    assert set(read) == set(written)
    for name, array in written.items():
        assert same(read[name], array), name
    with exrkit.open(path) as reader:
        assert reader.parts[0].line_order == "decreasing_y"
        back = reader.read()
    assert all(same(back[n], a) for n, a in written.items())
    SUMMARY["write: files read back by PyPI OpenEXR"] += 1


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("mode", ["mipmap", "ripmap"])
@pytest.mark.parametrize("rounding", ["down", "up"])
def test_levels(tmp_path, exrheader, codec, mode, rounding):
    width, height = 45, 22

    def side(n: int, level: int) -> int:
        return max(1, -(-n // 2**level) if rounding == "up" else n >> level)

    def count(n: int) -> int:
        return ((n - 1).bit_length() if rounding == "up" else n.bit_length() - 1) + 1

    nx, ny = count(width), count(height)
    if mode == "mipmap":
        keys = [(level, level) for level in range(max(nx, ny))]
    else:
        keys = [(lx, ly) for ly in range(ny) for lx in range(nx)]
    levels = {
        (lx, ly): channels(side(height, ly), side(width, lx), seed=10 * lx + ly + 2)
        for lx, ly in keys
    }
    path = tmp_path / "levels.exr"
    exrkit.write(path, levels[(0, 0)], compression=codec, tiles=(8, 8),
                 levels={k: v for k, v in levels.items() if k != (0, 0)}, rounding=rounding,
                 data_window=((3, 4), (3 + width - 1, 4 + height - 1)))
    exrheader_accepts(exrheader, path)
    [(header, read)] = openexr_parts(path)
    tiles = header["tiles"]
    assert tiles.mode.name == {"mipmap": "MIPMAP_LEVELS", "ripmap": "RIPMAP_LEVELS"}[mode]
    assert tiles.roundingMode.name == f"ROUND_{rounding.upper()}"
    assert all(same(read[n], a) for n, a in levels[(0, 0)].items())
    with exrkit.open(path) as reader:
        part = reader.parts[0]
        assert part.level_mode == mode and part.level_count == (
            (max(nx, ny),) * 2 if mode == "mipmap" else (nx, ny))
        for key, written in levels.items():
            back = reader.read(level=key)
            assert all(same(back[n], a) for n, a in written.items()), key


@pytest.mark.parametrize("codec", CODECS)
def test_multipart(tmp_path, exrheader, codec):
    beauty = channels(20, 30, seed=3)
    depth = {"Z": channels(20, 30, seed=4)["Z"]}
    path = tmp_path / "multi.exr"
    exrkit.write(path, [
        {"name": "beauty", "channels": beauty},
        {"name": "depth", "channels": depth, "tiles": (16, 16), "attributes": {"view": "left"}},
    ], compression=codec)
    exrheader_accepts(exrheader, path)
    parts = openexr_parts(path)
    assert [h["name"] for h, _ in parts] == ["beauty", "depth"]
    assert parts[1][0]["view"] == "left" and "view" not in parts[0][0]
    assert parts[1][0]["type"].name == "tiledimage"
    for (_, read), written in zip(parts, [beauty, depth]):
        assert set(read) == set(written)
        assert all(same(read[n], a) for n, a in written.items())


CHROMATICITIES = exrkit.Chromaticities((0.64, 0.33), (0.3, 0.6), (0.15, 0.06), (0.3127, 0.329))


def test_attributes(tmp_path, exrheader):
    raw_chromaticities = struct.pack("<8f", *[v for pair in CHROMATICITIES for v in pair])
    attributes = {
        "comments": "written by exrkit",
        "frame": 42,
        "exposure": 1.5,
        "offset": (0.25, -2.0),
        "region": ((1, 2), (30, 40)),
        "chromaticities": CHROMATICITIES,
        "rawChromaticities": ("chromaticities", raw_chromaticities),
        "rawV2f": ("v2f", struct.pack("<2f", 3.0, 4.0)),
        "typedDouble": ("double", 0.1),
        "names": ["a", "bc"],
        "owner": ("string", "exrkit tests"),
    }
    path = tmp_path / "attributes.exr"
    exrkit.write(path, channels(4, 5), compression="none", attributes=attributes)
    exrheader_accepts(exrheader, path)
    [(header, _)] = openexr_parts(path)
    assert header["comments"] == "written by exrkit"
    assert header["owner"] == "exrkit tests"
    assert header["frame"] == 42
    assert header["exposure"] == 1.5
    assert header["typedDouble"] == 0.1
    assert np.array_equal(header["offset"], np.array([0.25, -2.0], dtype=np.float32))
    assert np.array_equal(header["rawV2f"], np.array([3.0, 4.0], dtype=np.float32))
    lo, hi = header["region"]
    assert ((lo[0], lo[1]), (hi[0], hi[1])) == ((1, 2), (30, 40))
    expected = tuple(float(np.float32(v)) for pair in CHROMATICITIES for v in pair)
    assert tuple(header["chromaticities"]) == expected
    assert tuple(header["rawChromaticities"]) == expected
    assert list(header["names"]) == ["a", "bc"]
    with exrkit.open(path) as reader:
        assert reader.parts[0].attributes["chromaticities"] == reader.parts[0].attributes[
            "rawChromaticities"]


@pytest.mark.parametrize("codec", CODECS)
def test_bytes_equal_the_file(tmp_path, codec):
    parts = [
        {"name": "a", "channels": channels(9, 11, seed=5)},
        {"name": "b", "channels": channels(9, 11, seed=6), "tiles": (4, 4)},
    ]
    path = tmp_path / "file.exr"
    assert exrkit.write(path, parts, compression=codec, attributes={"x": 1}) is None
    data = exrkit.write(None, parts, compression=codec, attributes={"x": 1})
    assert isinstance(data, bytes) and data == path.read_bytes()


def test_a_failed_write_leaves_the_target(tmp_path):
    path = tmp_path / "target.exr"
    path.write_bytes(b"old")
    levels = {(1, 1): channels(5, 5)}  # a mip map with levels missing
    with pytest.raises(exrkit.BadStateError):
        exrkit.write(path, channels(10, 10), compression="none", tiles=(4, 4), levels=levels)
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target.exr"]


def test_bad_arguments():
    with pytest.raises(ValueError, match="float64"):
        exrkit.write(None, {"R": np.zeros((2, 2))})
    with pytest.raises(ValueError, match="name"):
        exrkit.write(None, [{"channels": channels(2, 2)}, {"channels": channels(2, 2)}])
    with pytest.raises(ValueError, match="data window"):
        exrkit.write(None, channels(2, 2), data_window=((0, 0), (5, 5)))
    with pytest.raises(ValueError, match="attribute type"):
        exrkit.write(None, channels(2, 2), attributes={"x": object()})


def dwa_channels(rows: int, columns: int) -> dict:
    """An RGB layer, Y, alpha, depth and ids: every scheme DWA has."""
    y, x = np.mgrid[0:rows, 0:columns]
    rng = np.random.default_rng(9)

    def plane(scale):
        v = (np.sin(x / 5.0 * scale) * np.cos(y / 3.0) + 1.2) * scale
        return (v + rng.normal(0.0, 0.02, (rows, columns))).astype(np.float16)

    return {"R": plane(1.0), "G": plane(0.8), "B": plane(0.6), "Y": plane(2.0), "A": plane(0.5),
            "Z": (plane(30.0)).astype(np.float32), "id": rng.integers(0, 999, (rows, columns), dtype=np.uint32)}


@pytest.mark.parametrize("codec", ["dwaa", "dwab"])
@pytest.mark.parametrize("level", [None, 5.0, 300.0])
@pytest.mark.parametrize("tiles", [None, (32, 16)], ids=["scanline", "tiled"])
def test_dwa_matches_openexrs_own_encode(tmp_path, exrheader, codec, level, tiles):
    written = dwa_channels(70, 90)
    ours, theirs = tmp_path / "exrkit.exr", tmp_path / "openexr.exr"
    exrkit.write(ours, written, compression=codec, compression_level=level, tiles=tiles)
    exrheader_accepts(exrheader, ours)
    header = {"compression": getattr(OpenEXR, f"{codec.upper()}_COMPRESSION")}
    if level is not None:
        header["dwaCompressionLevel"] = level
    if tiles is not None:
        description = OpenEXR.TileDescription()
        description.xSize, description.ySize = tiles
        header["type"], header["tiles"] = OpenEXR.tiledimage, description
    with OpenEXR.File(header, {n: a.copy() for n, a in written.items()}) as f:
        f.write(str(theirs))
    [(_, mine)] = openexr_parts(ours)
    [(_, reference)] = openexr_parts(theirs)
    for name in written:
        assert same(mine[name], reference[name]), name
    # Lossless schemes keep the samples; the lossy ones stay near them.
    for name in ("Z", "id", "A"):
        assert same(mine[name], written[name]), name
    error = np.abs(mine["R"].astype(np.float32) - written["R"].astype(np.float32)).max()
    assert error < 0.25, error
    # The same bytes in every chunk, not only the same pixels.
    with exrkit.open(ours) as reader, exrkit.open(theirs) as other:
        count = reader.parts[0].chunk_count
        assert count == other.parts[0].chunk_count
        for index in range(count):
            assert reader.read_chunk(0, index) == other.read_chunk(0, index), index
    SUMMARY["write: DWA files as OpenEXR encodes them"] += 1


@pytest.mark.parametrize("level", [None, 1, 22])
@pytest.mark.parametrize("tiles", [None, (32, 16)], ids=["scanline", "tiled"])
def test_zstd_matches_openexrs_own_encode(tmp_path, level, tiles):
    written = dwa_channels(70, 90)
    window = ((-5, 7), (84, 76))
    ours, theirs = tmp_path / "exrkit.exr", tmp_path / "openexr.exr"
    exrkit.write(ours, written, compression="zstd", compression_level=level, tiles=tiles,
                 data_window=window, line_order="decreasing_y")
    [(header, mine)] = openexr_parts(ours)
    assert header["compression"].name == "ZSTD_COMPRESSION"
    assert all(same(mine[n], a) for n, a in written.items())
    header = {"compression": OpenEXR.ZSTD_COMPRESSION, "dataWindow": window,
              "lineOrder": OpenEXR.DECREASING_Y}
    if tiles is not None:
        description = OpenEXR.TileDescription()
        description.xSize, description.ySize = tiles
        header["type"], header["tiles"] = OpenEXR.tiledimage, description
    # PyPI's binding has no zstd level; its library's global default is it.
    core = ctypes.CDLL(OpenEXR.__file__)
    core.exr_set_default_zstd_compression_level(level or 5)
    try:
        with OpenEXR.File(header, {n: a.copy() for n, a in written.items()}) as f:
            f.write(str(theirs))
    finally:
        core.exr_set_default_zstd_compression_level(5)
    with exrkit.open(ours) as reader, exrkit.open(theirs) as other:
        count = reader.parts[0].chunk_count
        assert count == other.parts[0].chunk_count
        chunks = [reader.read_chunk(0, i) for i in range(count)]
        assert chunks == [other.read_chunk(0, i) for i in range(count)]
    SUMMARY["write: ZSTD chunks as OpenEXR packs them"] += count


@pytest.mark.parametrize("level", [23, 1.5])
def test_zstd_levels_are_whole_and_at_most_22(tmp_path, level):
    with pytest.raises(exrkit.InvalidArgumentError, match="zstd level"):
        exrkit.write(tmp_path / "x.exr", dwa_channels(8, 8), compression="zstd", compression_level=level)


def float_specials(rows: int, columns: int, phase: int) -> np.ndarray:
    """FLOAT samples around a smooth ramp with the values the lossy coder
    must round as OpenEXR does, one in each 8 x 8 block: NaNs of every kind
    (signalling, quiet, negative, payloads that vanish in a half),
    infinities, values past the half range, half and float subnormals,
    negative zero. (Where a block holds NaNs of two payloads, which one
    OpenEXR's transform passes on hangs on its compiled code; exrkit's
    rule is in the README.)"""
    y, x = np.mgrid[0:rows, 0:columns]
    samples = ((np.sin(x / 7.0 + phase) + np.cos(y / 4.0)) * 3.0).astype(np.float32)
    bits = np.array([0x7F800001, 0x7FA00000, 0x7FC00000, 0xFFC01234, 0x7F801FFF, 0x7F800000,
                     0xFF800000, 0x7F7FFFFF, 0x477FF000, 0x477FEFFF, 0x33000000, 0x33000001,
                     0x387FE000, 0x00000001, 0x80000000, 0xC7800000], dtype=np.uint32)
    blocks = [(r, c) for r in range(3, rows, 8) for c in range(5, columns, 8)]
    for k, (r, c) in enumerate(blocks):
        samples[r, c] = bits[(k + phase) % len(bits)].view(np.float32)
    return samples


@pytest.mark.parametrize("codec", ["dwaa", "dwab"])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("p_linear", [False, True], ids=["Y", "Y-pLinear"])
def test_dwa_specials_match_openexrs_own_encode(tmp_path, codec, dtype, p_linear):
    # A pLinear Y skips the perceptual curve (which maps NaNs and
    # infinities to zero), so its NaNs and infinities reach the transform.
    with np.errstate(over="ignore"):
        written = {name: float_specials(41, 67, phase).astype(dtype) for phase, name in enumerate("RGBY")}
    ours, theirs = tmp_path / "exrkit.exr", tmp_path / "openexr.exr"
    exrkit.write(ours, written, compression=codec, p_linear={"Y"} if p_linear else ())
    header = {"compression": getattr(OpenEXR, f"{codec.upper()}_COMPRESSION")}
    channels = {n: OpenEXR.Channel(n, a.copy(), 1, 1, p_linear and n == "Y") for n, a in written.items()}
    with OpenEXR.File(header, channels) as f:
        f.write(str(theirs))
    with exrkit.open(ours) as reader, exrkit.open(theirs) as other:
        assert [c.p_linear for c in reader.parts[0].channels] == [c.p_linear for c in other.parts[0].channels]
        count = reader.parts[0].chunk_count
        assert count == other.parts[0].chunk_count
        for index in range(count):
            assert reader.read_chunk(0, index) == other.read_chunk(0, index), index
        # And both decode it to OpenEXR's pixels, NaN payloads included.
        [(_, reference)] = openexr_parts(theirs)
        mine = other.read()
        for name in written:
            assert same(mine[name], reference[name]), name
    SUMMARY["write: DWA files as OpenEXR encodes them"] += 1


def test_p_linear_names_channels(tmp_path):
    with pytest.raises(ValueError, match="p_linear"):
        exrkit.write(tmp_path / "x.exr", dwa_channels(8, 8), p_linear={"W"})
    exrkit.write(tmp_path / "x.exr", dwa_channels(8, 8), compression="dwaa", p_linear={"Y", "Z"})
    with exrkit.open(tmp_path / "x.exr") as reader:
        assert {c.name for c in reader.parts[0].channels if c.p_linear} == {"Y", "Z"}


@pytest.mark.parametrize("level", [0, -1.0, float("nan")])
def test_compression_levels_must_be_above_zero(tmp_path, level):
    with pytest.raises(ValueError, match="compression_level"):
        exrkit.write(tmp_path / "x.exr", dwa_channels(8, 8), compression="dwab", compression_level=level)
