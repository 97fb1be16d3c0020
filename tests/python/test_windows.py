"""Region reads and type conversion, against OpenEXR.

A read of any window (inside the data window, overhanging its edges, or
wholly outside it; on scanline and tiled parts, with subsampled channels)
must equal the matching slice of OpenEXR's full decode, with the fill value
where the file has no samples. A requested dtype must equal OpenEXR's own
frame buffer conversion (uint32, float16, float32) or the documented 8-bit
conversion applied to OpenEXR's samples.
"""

import pytest

from conftest import require_module

np = require_module("numpy")
OpenEXR = require_module("OpenEXR")

import exrkit
import oracle

pytestmark = pytest.mark.usefixtures("library")

SAMPLES = ["ScanLines/Carrots.exr", "MultiResolution/Bonita.exr",
           "v2/LowResLeftView/composited.exr"]
MATRIX = ["zip_mixed_tiled_dec.exr", "rle_half_scan_dec.exr", "none_uint_tiled_inc.exr",
          "zips_float_scan_inc.exr", "zip_mixed_scan_inc.exr", "zip_float_tiled_dec.exr"]
DTYPES = [np.uint32, np.float16, np.float32]


@pytest.fixture(scope="module")
def subsampled(tmp_path_factory):
    """Luminance and chroma style channels at 1x1, 2x2 and 4x1 sampling, a
    data window with a negative origin, written by OpenEXR."""
    path = tmp_path_factory.mktemp("subsampled") / "subsampled.exr"
    rng = np.random.default_rng(5)

    def full(dtype):
        return (rng.random((20, 24)) * 10).astype(dtype)

    header = {
        "compression": OpenEXR.ZIP_COMPRESSION,
        "type": OpenEXR.scanlineimage,
        "dataWindow": ((-4, -6), (19, 13)),
    }
    channels = {
        "Y": full(np.float16),
        "RY": OpenEXR.Channel("RY", full(np.float16), 2, 2),
        "BY": OpenEXR.Channel("BY", full(np.float32), 2, 2),
        "Z": OpenEXR.Channel("Z", full(np.uint32), 4, 1),
    }
    with OpenEXR.File(header, channels) as f:
        f.write(str(path))
    return path


@pytest.fixture(scope="module")
def files(openexr_images, matrix_dir, subsampled):
    return (
        [openexr_images / name for name in SAMPLES]
        + [matrix_dir / name for name in MATRIX]
        + [subsampled]
    )


def fill_as(fill: float, dtype) -> np.generic:
    """The documented conversion of a fill value (a FLOAT sample)."""
    dtype = np.dtype(dtype)
    if dtype == np.uint8:
        return oracle.to_u8(np.array([fill], np.float32))[0]
    if dtype == np.uint32:
        return np.uint32(max(0, int(fill)))
    return dtype.type(fill)


def windows(data_window, tile_size):
    """Windows inside, across and outside the data window's edges."""
    (x0, y0), (x1, y1) = data_window
    w, h = x1 - x0 + 1, y1 - y0 + 1
    tw, th = tile_size or (w, 16)
    candidates = [
        ((x0 + w // 3, y0 + h // 4), (x0 + w // 2, y0 + h // 2)),
        ((x0 - 5, y0 - 3), (x1 + 7, y1 + 2)),
        ((x1, y1), (x1, y1)),
        ((x0 - 1, y0 - 1), (x0, y0)),
        ((x0 + w // 2 + 1, y0 + h // 2 + 1), (x1 + 10, y1 + 9)),
        ((x1 + 1, y1 + 1), (x1 + 4, y1 + 3)),
        ((x0 + tw - 1, y0 + th - 1), (min(x1, x0 + tw), min(y1, y0 + th))),
        ((x0 - 3, y0 + 1), (x0 + 2, y1 - 1)),
    ]
    return [((a, b), (c, d)) for (a, b), (c, d) in candidates if a <= c and b <= d]


def check_window(reader, reference, window, fill, failures, where):
    part = reader.parts[0]
    got = reader.read(window=window, fill=fill)
    for name, (channel, pixels) in reference["channels"].items():
        expected = oracle.expected_window(
            pixels,
            part.data_window,
            (channel.xSampling, channel.ySampling),
            window,
            fill_as(fill, pixels.dtype),
        )
        problem = oracle.same_bits(got[name], expected)
        if problem:
            failures.append(f"{where} window {window} fill {fill} channel {name}: {problem}")


def test_windows_equal_slices_of_openexrs_decode(files):
    failures = []
    count = 0
    for path in files:
        reference = oracle.decode(path)[0]
        with exrkit.open(path) as reader:
            part = reader.parts[0]
            for i, window in enumerate(windows(part.data_window, part.tile_size)):
                fill = [0.0, -2.5, 3.75][i % 3]
                check_window(reader, reference, window, fill, failures, path.name)
                count += 1
    assert count > 50
    assert not failures, "\n".join(failures)


def test_default_window_is_the_data_window(files):
    for path in files:
        reference = oracle.decode(path)[0]
        with exrkit.open(path) as reader:
            got = reader.read()
        for name, (_, pixels) in reference["channels"].items():
            assert oracle.same_bits(got[name], pixels) is None, f"{path.name} {name}"


def test_subsampled_channels_come_back_compact(subsampled):
    with exrkit.open(subsampled) as reader:
        channels = {c.name: c for c in reader.parts[0].channels}
        got = reader.read(window=((-3, -5), (4, 3)))
    assert (channels["RY"].x_sampling, channels["RY"].y_sampling) == (2, 2)
    assert (channels["Z"].x_sampling, channels["Z"].y_sampling) == (4, 1)
    # x in -3..4: multiples of 2 are -2, 0, 2, 4; of 4 are 0, 4. y in -5..3:
    # multiples of 2 are -4, -2, 0, 2.
    assert got["Y"].shape == (9, 8)
    assert got["RY"].shape == (4, 4)
    assert got["BY"].shape == (4, 4)
    assert got["Z"].shape == (9, 2)


def test_missing_channels_hold_the_fill(openexr_images):
    path = openexr_images / "ScanLines/Carrots.exr"
    reference = oracle.decode(path)[0]["channels"]
    with exrkit.open(path) as reader:
        got = reader.read(channels=["G", "Z"], fill=0.25)
        as_u8 = reader.read(channels=["nothing"], dtype=np.uint8, fill=0.5)
        part = reader.parts[0]
    assert list(got) == ["G", "Z"]
    assert oracle.same_bits(got["G"], reference["G"][1]) is None
    assert got["Z"].dtype == np.float32
    assert got["Z"].shape == reference["G"][1].shape
    assert np.all(got["Z"] == np.float32(0.25))
    assert as_u8["nothing"].dtype == np.uint8 and np.all(as_u8["nothing"] == 128)
    assert part.data_window == ((0, 0), (599, 399))


def test_dtypes_convert_as_openexr_converts(matrix_dir):
    failures = []
    compared = 0
    for kind in ["half", "float", "uint", "mixed"]:
        for layout in ["scan_inc", "tiled_dec"]:
            path = matrix_dir / f"zip_{kind}_{layout}.exr"
            reference = oracle.decode(path)[0]["channels"]
            with exrkit.open(path) as reader:
                for dtype in DTYPES:
                    got = reader.read(dtype=dtype)
                    for name in reference:
                        expected = oracle.converted(path, name, dtype)
                        problem = oracle.same_bits(got[name], expected)
                        compared += 1
                        if problem:
                            failures.append(f"{path.name} {name} -> {np.dtype(dtype)}: {problem}")
                got = reader.read(dtype=np.uint8)
                for name, (_, pixels) in reference.items():
                    problem = oracle.same_bits(got[name], oracle.to_u8(pixels))
                    if problem:
                        failures.append(f"{path.name} {name} -> uint8: {problem}")
    assert compared == 2 * (3 + 3 + 3 + 4) * len(DTYPES)
    assert not failures, "\n".join(failures)


def test_documented_conversions_on_special_values(tmp_path):
    """half -> float is exact; float -> uint clamps (negative and NaN give 0,
    too large and +inf give the maximum, others truncate); uint8 is
    round(clamp(v, 0, 1) * 255)."""
    floats = np.array(
        [[-1.0, -0.0, 0.0, 0.4, 0.5, 1.0, 2.0, 7.9],
         [np.nan, np.inf, -np.inf, 5e9, 4294967040.0, 0.002, 0.998, 65504.0]],
        dtype=np.float32,
    )
    with np.errstate(over="ignore"):
        halves = floats.astype(np.float16)
    path = tmp_path / "specials.exr"
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    with OpenEXR.File(header, {"F": floats, "H": halves}) as f:
        f.write(str(path))
    with exrkit.open(path) as reader:
        as_float = reader.read(channels=["H"], dtype=np.float32)["H"]
        as_uint = reader.read(channels=["F"], dtype=np.uint32)["F"]
        as_u8 = reader.read(channels=["F"], dtype=np.uint8)["F"]
        as_half = reader.read(channels=["F"], dtype=np.float16)["F"]
    assert oracle.same_bits(as_float, halves.astype(np.float32)) is None
    top = np.iinfo(np.uint32).max
    assert as_uint.tolist() == [[0, 0, 0, 0, 0, 1, 2, 7], [0, top, 0, top, 4294967040, 0, 0, 65504]]
    assert as_u8.tolist() == [[0, 0, 0, 102, 128, 255, 255, 255],
                              [0, 255, 0, 255, 255, 1, 254, 255]]
    assert oracle.same_bits(as_u8, oracle.to_u8(floats)) is None
    assert oracle.same_bits(as_uint, oracle.converted(path, "F", np.uint32)) is None
    assert oracle.same_bits(as_half, oracle.converted(path, "F", np.float16)) is None


def test_float_to_half_near_the_top_of_halfs_range(tmp_path):
    """OpenEXR 3.5 rounds FLOAT to HALF to nearest even: floats from 65504
    up to (not including) 65520 give 65504, larger ones infinity."""
    floats = np.array([[65504.0, 65519.0, 65519.99, 65520.0, -65519.0, -65520.0, 1e6]], np.float32)
    path = tmp_path / "top.exr"
    header = {"compression": OpenEXR.NO_COMPRESSION, "type": OpenEXR.scanlineimage}
    with OpenEXR.File(header, {"F": floats}) as f:
        f.write(str(path))
    with exrkit.open(path) as reader:
        got = reader.read(dtype=np.float16)["F"]
    expected = oracle.converted(path, "F", np.float16)
    assert expected.tolist() == [[65504.0, 65504.0, 65504.0, np.inf, -65504.0, -np.inf, np.inf]]
    assert oracle.same_bits(got, expected) is None


def test_levels_have_their_own_size(openexr_images):
    """Reading a mip level gives arrays of that level's size, and its
    default window starts at the data window's origin."""
    with exrkit.open(openexr_images / "MultiResolution/Bonita.exr") as reader:
        part = reader.parts[0]
        for level in range(part.level_count[0]):
            w, h = part.level_size(level, level)
            got = reader.read(level=(level, level), channels=["G"])
            assert got["G"].shape == (h, w)
        with pytest.raises(exrkit.InvalidArgumentError):
            reader.read(level=(1, 0))


def test_bad_windows_are_refused(openexr_images):
    with exrkit.open(openexr_images / "ScanLines/Carrots.exr") as reader:
        for window in [((5, 5), (4, 5)), ((0, 0), (1,)), "nope", ((0, 0), (2**31, 1))]:
            with pytest.raises(ValueError):
                reader.read(window=window)
        with pytest.raises(ValueError):
            reader.read(dtype=np.float64)
        with pytest.raises(IndexError):
            reader.read(part=1)

