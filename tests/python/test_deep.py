"""Deep parts from Python: exrkit.Reader.read_deep gives the samples PyPI
OpenEXR reads, and deep parts exrkit.write writes (alone or beside flat
parts) read back in PyPI OpenEXR with the written samples."""

import pytest

from conftest import SUMMARY, require_module

np = require_module("numpy")
OpenEXR = require_module("OpenEXR")

import exrkit

pytestmark = pytest.mark.usefixtures("library")


def openexr_deep(path, part=0):
    """PyPI OpenEXR's samples of a deep part as (counts, channels)."""
    with OpenEXR.File(str(path), separate_channels=True) as f:
        channels = f.parts[part].channels
        counts = None
        samples = {}
        for name, channel in channels.items():
            flat = channel.pixels.reshape(-1)
            these = np.array([0 if s is None else len(s) for s in flat], dtype=np.uint64)
            counts = these if counts is None else counts
            assert np.array_equal(counts, these)
            present = [s for s in flat if s is not None and len(s)]
            samples[name] = np.concatenate(present) if present else np.zeros(0)
        return counts, samples, channels


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("name", ["Balls.exr", "Trunks.exr"])
def test_read_deep_matches_openexr(openexr_images, name):
    path = openexr_images / "v2" / "LowResLeftView" / name
    with exrkit.open(path) as reader:
        assert reader.parts[0].is_deep
        offsets, channels = reader.read_deep(0)
        window = reader.parts[0].level_window()
    counts, theirs, _ = openexr_deep(path)
    (x0, y0), (x1, y1) = window
    assert offsets.shape == ((x1 - x0 + 1) * (y1 - y0 + 1) + 1,)
    assert offsets[0] == 0
    assert np.array_equal(np.diff(offsets), counts)
    assert set(channels) == set(theirs)
    for channel, samples in channels.items():
        assert same_bits(samples, theirs[channel]), channel
    SUMMARY["deep samples read as PyPI OpenEXR reads them"] += int(offsets[-1]) * len(channels)


@pytest.mark.parametrize("name", ["Balls.exr", "Trunks.exr"])
def test_deep_zstd_chunks_are_openexrs_bytes(openexr_images, tmp_path, name):
    # PyPI OpenEXR packs the deep sample image as ZSTD; exrkit reads it
    # (as PyPI does) and writes it again: every chunk, sample count table
    # and samples, the same bytes.
    theirs = tmp_path / "openexr.exr"
    f = OpenEXR.File(str(openexr_images / "v2" / "LowResLeftView" / name))
    f.parts[0].header["compression"] = OpenEXR.ZSTD_COMPRESSION
    f.write(str(theirs))
    counts, samples, _ = openexr_deep(theirs)
    with exrkit.open(theirs) as reader:
        offsets, channels = reader.read_deep(0)
        window = reader.parts[0].data_window
        count = reader.parts[0].chunk_count
        reference = [reader.read_chunk(0, i) for i in range(count)]
    assert np.array_equal(np.diff(offsets), counts)
    for channel, values in channels.items():
        assert same_bits(values, samples[channel]), channel
    data = exrkit.write(None, (offsets, channels), compression="zstd", data_window=window)
    with exrkit.open(data) as reader:
        assert [reader.read_chunk(0, i) for i in range(count)] == reference
    SUMMARY["deep ZSTD chunks packed to PyPI OpenEXR's bytes"] += count


def deep_image(rows, columns, seed):
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 4, rows * columns).astype(np.uint64)
    counts[rng.random(rows * columns) < 0.5] = 0
    counts[3] = 2000
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.uint64)
    total = int(offsets[-1])
    channels = {
        "A": rng.random(total).astype(np.float16),
        "Z": (rng.random(total) * 100).astype(np.float32),
        "id": rng.integers(0, 2**32, total, dtype=np.uint32),
    }
    channels["A"][:3] = [np.nan, np.inf, -0.0]
    return offsets, channels


@pytest.mark.parametrize("compression", ["none", "rle", "zips", "zstd"])
@pytest.mark.parametrize("tiles", [None, (8, 4)])
def test_written_deep_parts_read_back_in_openexr(tmp_path, compression, tiles):
    offsets, channels = deep_image(13, 21, seed=len(compression))
    window = ((-3, 5), (17, 17))
    path = tmp_path / "deep.exr"
    exrkit.write(path, (offsets, channels), compression=compression, tiles=tiles,
                 data_window=window)
    counts, theirs, described = openexr_deep(path)
    assert np.array_equal(counts, np.diff(offsets))
    for name, samples in channels.items():
        assert same_bits(theirs[name], samples), name
    with exrkit.open(path) as reader:
        back_offsets, back = reader.read_deep(0)
        part = reader.parts[0]
        assert part.is_deep and part.attributes["maxSamplesPerPixel"] == 2000
    assert np.array_equal(back_offsets, offsets)
    for name, samples in channels.items():
        assert same_bits(back[name], samples), name
    SUMMARY["deep parts exrkit.write wrote, read back by PyPI OpenEXR"] += 1


@pytest.mark.parametrize("compression", ["zip", "piz", "dwaa"])
def test_deep_parts_are_not_written_in_codecs_openexr_refuses(compression):
    offsets, channels = deep_image(4, 4, seed=5)
    with pytest.raises(exrkit.InvalidArgumentError, match="none, rle, zips, zstd only"):
        exrkit.write(None, (offsets, channels), compression=compression,
                     data_window=((0, 0), (3, 3)))


def test_multipart_mixing_deep_and_flat(tmp_path):
    offsets, channels = deep_image(6, 7, seed=3)
    flat = {"Y": np.arange(42, dtype=np.float32).reshape(6, 7)}
    window = ((0, 0), (6, 5))
    data = exrkit.write(None, [
        {"name": "beauty", "channels": flat},
        {"name": "deep", "deep": (offsets, channels), "data_window": window},
    ])
    path = tmp_path / "mixed.exr"
    path.write_bytes(data)
    counts, theirs, _ = openexr_deep(path, part=1)
    assert np.array_equal(counts, np.diff(offsets))
    assert same_bits(theirs["Z"], channels["Z"])
    with OpenEXR.File(str(path), separate_channels=True) as f:
        assert np.array_equal(f.parts[0].channels["Y"].pixels, flat["Y"])
    with exrkit.open(data) as reader:
        assert [p.is_deep for p in reader.parts] == [False, True]
        with pytest.raises(exrkit.InvalidArgumentError):
            reader.read_deep(0)
        with pytest.raises(exrkit.InvalidArgumentError):
            reader.read(1)


def test_deep_input_is_checked(tmp_path):
    offsets, channels = deep_image(4, 4, seed=9)
    with pytest.raises(ValueError, match="data_window"):
        exrkit.write(None, (offsets, channels))
    with pytest.raises(ValueError, match="offsets"):
        exrkit.write(None, (offsets[:-1], channels), data_window=((0, 0), (3, 3)))
    short = dict(channels, Z=channels["Z"][:-1])
    with pytest.raises(ValueError, match="samples"):
        exrkit.write(None, (offsets, short), data_window=((0, 0), (3, 3)))
