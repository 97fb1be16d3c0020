"""Part descriptions and attributes against OpenEXR's reading of the same
headers: every sample image (deep and Damaged/ aside from the latter), the
generated multipart files, and a file carrying every attribute type PyPI
OpenEXR writes."""

import pytest

from conftest import SUMMARY, TESTDATA, require_module, sample_files

np = require_module("numpy")
OpenEXR = require_module("OpenEXR")

import exrkit

pytestmark = pytest.mark.usefixtures("library")

STORAGE = {"scanlineimage": "scanline", "tiledimage": "tiled", "deepscanline": "deep_scanline",
           "deeptile": "deep_tiled"}
COMPRESSION = {"NO_COMPRESSION": "none", "LJ2K_COMPRESSION": "lossy_htj2k"}
LEVEL_MODE = {"ONE_LEVEL": "one", "MIPMAP_LEVELS": "mipmap", "RIPMAP_LEVELS": "ripmap"}
ROUNDING = {"ROUND_DOWN": "down", "ROUND_UP": "up"}
PIXEL = {"UINT": "uint", "HALF": "half", "FLOAT": "float"}


def compression(value) -> str:
    return COMPRESSION.get(value.name, value.name.removesuffix("_COMPRESSION").lower())


def box(value) -> tuple:
    lo, hi = value
    return ((lo[0].item(), lo[1].item()), (hi[0].item(), hi[1].item()))


def channels(part) -> list:
    """A part's channels as OpenEXR describes them, as exrkit.Channel."""
    return [
        exrkit.Channel(name, PIXEL[c.type().name], c.xSampling, c.ySampling, bool(c.pLinear))
        for name, c in sorted(part.channels.items())
    ]


def same_value(name, ours, theirs, part) -> bool:
    """Whether exrkit's decoded attribute matches OpenEXR's."""
    if name == "channels":
        return ours == channels(part)
    if isinstance(theirs, OpenEXR.Compression):
        return ours == compression(theirs)
    if isinstance(theirs, OpenEXR.Storage):
        return ours == theirs.name
    if isinstance(theirs, (OpenEXR.LineOrder, OpenEXR.Envmap)):
        return ours == {"ENVMAP_LATLONG": "latlong", "ENVMAP_CUBE": "cube"}.get(
            theirs.name, theirs.name.lower())
    if isinstance(theirs, OpenEXR.TileDescription):
        return ours == (theirs.xSize, theirs.ySize, LEVEL_MODE[theirs.mode.name],
                        ROUNDING[theirs.roundingMode.name])
    if isinstance(theirs, OpenEXR.PreviewImage):
        pixels = theirs.pixels
        rgba = np.stack([pixels[c] for c in "rgba"], axis=-1)
        return isinstance(ours, np.ndarray) and np.array_equal(ours, rgba)
    if isinstance(theirs, OpenEXR.KeyCode):
        return ours == (theirs.filmMfcCode, theirs.filmType, theirs.prefix, theirs.count,
                        theirs.perfOffset, theirs.perfsPerFrame, theirs.perfsPerCount)
    if isinstance(theirs, OpenEXR.TimeCode):
        # SMPTE packing: BCD hours in bits 24-29, minutes 16-22, seconds
        # 8-14, frames 0-5; drop frame is bit 6.
        def bcd(shift, mask):
            v = (ours.time_and_flags >> shift) & mask
            return (v >> 4) * 10 + (v & 15)

        return (bcd(24, 0x3F), bcd(16, 0x7F), bcd(8, 0x7F), bcd(0, 0x3F),
                bool(ours.time_and_flags >> 6 & 1), ours.user_data) == (
            theirs.hours, theirs.minutes, theirs.seconds, theirs.frame,
            bool(theirs.dropFrame), theirs.userData)
    if isinstance(theirs, OpenEXR.Bytes):
        return ours == theirs.data
    if name in ("dataWindow", "displayWindow") or (
        isinstance(theirs, tuple) and len(theirs) == 2 and isinstance(theirs[0], np.ndarray)
    ):
        return ours == tuple(tuple(v.tolist()) for v in theirs)
    if isinstance(theirs, np.ndarray):
        return np.array_equal(np.array(ours, dtype=theirs.dtype), theirs)
    if name == "chromaticities" or isinstance(ours, exrkit.Chromaticities):
        return [v for pair in ours for v in pair] == list(theirs)
    if isinstance(ours, tuple):
        return list(ours) == list(theirs)
    return ours == theirs


def compare(path) -> list[str]:
    failures = []
    reference = OpenEXR.File(str(path), separate_channels=True).parts
    with exrkit.open(path) as reader:
        if len(reader.parts) != len(reference):
            return [f"{len(reader.parts)} parts, OpenEXR {len(reference)}"]
        for part, ref in zip(reader.parts, reference):
            h = ref.header
            expected = {
                "name": h.get("name"),
                "storage": STORAGE[h["type"].name],
                "compression": compression(h["compression"]),
                "data_window": box(h["dataWindow"]),
                "display_window": box(h["displayWindow"]),
                "line_order": h["lineOrder"].name.lower(),
                "pixel_aspect_ratio": h["pixelAspectRatio"],
                "channels": channels(ref),
            }
            if "tiles" in h:
                expected["tile_size"] = (h["tiles"].xSize, h["tiles"].ySize)
                expected["level_mode"] = LEVEL_MODE[h["tiles"].mode.name]
                expected["rounding_mode"] = ROUNDING[h["tiles"].roundingMode.name]
            if "chunkCount" in h:
                expected["chunk_count"] = h["chunkCount"]
            for field, value in expected.items():
                if getattr(part, field) != value:
                    failures.append(
                        f"part {part.index} {field}: {getattr(part, field)!r}, OpenEXR {value!r}"
                    )
            ours = part.attributes
            # OpenEXR's header always has "type"; files older than multipart
            # support need not store it (the storage comparison covers it).
            missing = set(h) - set(ours) - {"type"}
            if missing:
                failures.append(f"part {part.index}: OpenEXR has attributes {sorted(missing)} too")
            for name, value in h.items():
                SUMMARY["attributes compared with OpenEXR"] += 1
                if name in ours and not same_value(name, ours[name], value, ref):
                    failures.append(f"part {part.index} {name}: {ours[name]!r}, OpenEXR {value!r}")
    return failures


@pytest.mark.parametrize(
    "path", sample_files(), ids=lambda p: str(p.relative_to(TESTDATA / "openexr-images"))
)
def test_sample_headers(path):
    failures = compare(path)
    assert not failures, "\n".join(failures)


def test_generated_multipart_headers(matrix_dir):
    files = sorted(matrix_dir.glob("*_multipart.exr"))
    assert files
    failures = [f"{p.name}: {f}" for p in files for f in compare(p)]
    assert not failures, "\n".join(failures)


def test_every_attribute_type(tmp_path):
    timecode = OpenEXR.TimeCode()
    timecode.hours, timecode.minutes, timecode.seconds, timecode.frame = 12, 34, 56, 7
    timecode.dropFrame = True
    timecode.userData = 0x9ABCDEF0
    extra = {
        "m33f": np.arange(9, dtype=np.float32).reshape(3, 3) / 4,
        "m33d": np.arange(9, dtype=np.float64).reshape(3, 3) / 3,
        "m44f": np.arange(16, dtype=np.float32).reshape(4, 4) / 8,
        "m44d": np.arange(16, dtype=np.float64).reshape(4, 4) / 7,
        "v2i": np.array([3, -4], dtype=np.int32),
        "v2f": np.array([0.5, -1.25], dtype=np.float32),
        "v2d": np.array([0.1, 0.2], dtype=np.float64),
        "v3i": np.array([1, 2, -3], dtype=np.int32),
        "v3f": np.array([1.5, 2, 3], dtype=np.float32),
        "v3d": np.array([1 / 3, 2, 3], dtype=np.float64),
        "float": 0.1,
        "int": -7,
        "string": "h\u00e9llo",
        "strings": ["a", "bc", ""],
        "keycode": OpenEXR.KeyCode(1, 2, 3, 4, 5, 6, 20),
        "timecode": timecode,
        "box2f": (np.array([0.5, 1.5], np.float32), np.array([2.5, 3.5], np.float32)),
        "box2i": (np.array([-1, -2], np.int32), np.array([3, 4], np.int32)),
        "chromaticities": (0.64, 0.33, 0.3, 0.6, 0.15, 0.06, 0.3127, 0.329),
        "envmap": OpenEXR.ENVMAP_CUBE,
        "preview": OpenEXR.PreviewImage(np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)),
        "floats": [1.0, 2.5, -0.125],
        "payload": OpenEXR.Bytes(b"ab\0c", "hint"),
    }
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage, **extra}
    path = tmp_path / "attributes.exr"
    with OpenEXR.File(header, {"R": np.zeros((2, 2), np.float16)}) as f:
        f.write(str(path))
    failures = compare(path)
    assert not failures, "\n".join(failures)
    with exrkit.open(path) as reader:
        ours = reader.parts[0].attributes
    assert ours["m33d"][1] == (1.0, 4 / 3, 5 / 3)
    assert ours["keycode"] == exrkit.KeyCode(1, 2, 3, 4, 5, 6, 20)
    assert ours["envmap"] == "cube"
    assert ours["floats"] == [1.0, 2.5, -0.125]
    assert ours["payload"] == b"ab\0c"
    assert ours["preview"].shape == (2, 3, 4)
    assert ours["timecode"] == exrkit.TimeCode(0x12345607 | 1 << 6, 0x9ABCDEF0)


def level_sizes(width, height, mode, rounding) -> dict:
    """OpenEXR's level rule: each level halves the previous one, rounding
    down or up, never below 1; levels go on until the size is 1 (the larger
    side for mip maps, each side for rip maps)."""
    def size(full, level):
        if rounding == "up":
            return max(1, -(-full // (1 << level)))
        return max(1, full // (1 << level))

    def count(full):
        n = 1
        while size(full, n - 1) > 1:
            n += 1
        return n

    if mode == "one":
        return {(0, 0): (width, height)}
    if mode == "mipmap":
        return {(l, l): (size(width, l), size(height, l)) for l in range(count(max(width, height)))}
    return {(lx, ly): (size(width, lx), size(height, ly))
            for lx in range(count(width)) for ly in range(count(height))}


def test_level_sizes(openexr_images, tmp_path):
    files = [openexr_images / "MultiResolution" / n for n in ["Bonita.exr", "KernerEnvCube.exr",
                                                             "ColorCodedLevels.exr"]]
    files.append(openexr_images / "ScanLines/Carrots.exr")
    ripmap = tmp_path / "ripmap.exr"
    tiles = OpenEXR.TileDescription()
    tiles.xSize, tiles.ySize = 16, 8
    tiles.mode, tiles.roundingMode = OpenEXR.RIPMAP_LEVELS, OpenEXR.ROUND_UP
    header = {"type": OpenEXR.tiledimage, "tiles": tiles, "dataWindow": ((-3, 5), (97, 44))}
    with OpenEXR.File(header, {"G": np.zeros((40, 101), np.float16)}) as f:
        f.write(str(ripmap))
    for path in files + [ripmap]:
        with exrkit.open(path) as reader:
            part = reader.parts[0]
            (x0, y0), (x1, y1) = part.data_window
            expected = level_sizes(x1 - x0 + 1, y1 - y0 + 1, part.level_mode, part.rounding_mode)
            assert {level: part.level_size(*level) for level in expected} == expected
            counts = tuple(max(level[i] for level in expected) + 1 for i in (0, 1))
            assert part.level_count == counts
    with exrkit.open(ripmap) as reader:
        part = reader.parts[0]
        assert (part.level_mode, part.rounding_mode, part.tile_size) == ("ripmap", "up", (16, 8))
        # 101 columns: 101 51 26 13 7 4 2 1; 40 rows: 40 20 10 5 3 2 1.
        assert part.level_count == (8, 7)
        assert part.level_size(7, 6) == (1, 1)
        assert part.level_size(3, 2) == (13, 10)
        with pytest.raises(exrkit.InvalidArgumentError):
            part.level_size(8, 0)
