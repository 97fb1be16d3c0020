"""Reader.read_rgba against OpenEXR: R, G, B and A as OpenEXR converts them
to FLOAT, 0 for missing colour channels, 1 for a missing alpha, grey from a
luminance-only part, and transparent black outside the data window."""

import pytest

from conftest import require_module

np = require_module("numpy")
OpenEXR = require_module("OpenEXR")

import exrkit
import oracle

pytestmark = pytest.mark.usefixtures("library")


def expected_rgba(path, sources) -> np.ndarray:
    """RGBA float32 over the data window: each of R, G, B, A from the named
    channel converted by OpenEXR, or the given constant."""
    planes = []
    shape = None
    for source in sources:
        if isinstance(source, str):
            plane = oracle.converted(path, source, np.float32)
            shape = plane.shape
        planes.append(plane if isinstance(source, str) else source)
    return np.stack([np.broadcast_to(np.float32(p), shape) for p in planes], axis=-1)


def write(path, channels, data_window=None):
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    if data_window:
        header["dataWindow"] = data_window
    with OpenEXR.File(header, channels) as f:
        f.write(str(path))
    return path


@pytest.mark.parametrize(
    "name, sources",
    [
        ("ScanLines/Carrots.exr", ["R", "G", "B", "A"]),
        ("TestImages/BrightRings.exr", ["R", "G", "B", 1.0]),
        ("TestImages/BrightRingsNanInf.exr", ["R", "G", "B", 1.0]),
        ("MultiResolution/KernerEnvLatLong.exr", ["R", "G", "B", "A"]),
        ("v2/LowResLeftView/composited.exr", ["R", "G", "B", "A"]),
    ],
)
def test_sample_rgb_files(openexr_images, name, sources):
    path = openexr_images / name
    with exrkit.open(path) as reader:
        got = reader.read_rgba()
    assert got.dtype == np.float32
    assert oracle.same_bits(got, expected_rgba(path, sources)) is None


@pytest.mark.parametrize("kind", ["half", "float", "uint", "mixed"])
def test_generated_types(matrix_dir, kind):
    """Mixed types convert to float as OpenEXR converts them (the mixed
    files have A HALF, B FLOAT, G UINT, R HALF)."""
    path = matrix_dir / f"zip_{kind}_tiled_dec.exr"
    sources = ["R", "G", "B", "A" if kind == "mixed" else 1.0]
    with exrkit.open(path) as reader:
        got = reader.read_rgba()
    assert oracle.same_bits(got, expected_rgba(path, sources)) is None


def test_missing_colour_channels_are_zero(tmp_path):
    rng = np.random.default_rng(2)
    path = write(tmp_path / "gb.exr", {"G": rng.random((9, 13)).astype(np.float16),
                                       "B": rng.random((9, 13)).astype(np.float32)})
    with exrkit.open(path) as reader:
        got = reader.read_rgba()
    assert oracle.same_bits(got, expected_rgba(path, [0.0, "G", "B", 1.0])) is None


@pytest.mark.parametrize("with_alpha", [False, True])
def test_luminance_only_gives_grey(tmp_path, with_alpha):
    rng = np.random.default_rng(9)
    channels = {"Y": (rng.random((21, 17)) * 4).astype(np.float16)}
    if with_alpha:
        channels["A"] = rng.random((21, 17)).astype(np.float16)
    path = write(tmp_path / "y.exr", channels, ((-3, 2), (13, 22)))
    with exrkit.open(path) as reader:
        got = reader.read_rgba()
    expected = expected_rgba(path, ["Y", "Y", "Y", "A" if with_alpha else 1.0])
    assert oracle.same_bits(got, expected) is None
    grey = oracle.decode(path)[0]["channels"]["Y"][1].astype(np.float32)
    assert np.array_equal(got[..., 0], grey) and np.array_equal(got[..., 2], grey)


def test_windows_past_the_data_window_are_transparent_black(openexr_images):
    path = openexr_images / "ScanLines/Carrots.exr"
    full = expected_rgba(path, ["R", "G", "B", "A"])
    with exrkit.open(path) as reader:
        got = reader.read_rgba(window=((-4, 390), (7, 404)))
    assert got.shape == (15, 12, 4)
    expected = np.zeros((15, 12, 4), np.float32)
    expected[:10, 4:] = full[390:400, 0:8]
    assert oracle.same_bits(got, expected) is None
