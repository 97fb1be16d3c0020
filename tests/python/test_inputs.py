"""Ways in and thread counts: paths, path-likes and bytes give identical
results; threads=1, threads=0 and a reader's own pool give identical arrays;
one reader serves many Python threads; a closed reader refuses work."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import require_module

np = require_module("numpy")
require_module("OpenEXR")

import exrkit
import oracle

pytestmark = pytest.mark.usefixtures("library")

FILES = ["ScanLines/Carrots.exr", "MultiResolution/Bonita.exr", "TestImages/BrightRingsNanInf.exr",
         "v2/LowResLeftView/composited.exr"]
MATRIX = ["zip_mixed_tiled_dec.exr", "rle_uint_scan_inc.exr", "zips_multipart.exr"]


@pytest.fixture(scope="module")
def files(openexr_images, matrix_dir):
    return [openexr_images / n for n in FILES] + [matrix_dir / n for n in MATRIX]


def everything(reader) -> list:
    """Every channel of every flat part, and its RGBA."""
    out = []
    for part in reader.parts:
        if not part.is_deep:
            out.append(reader.read(part.index))
            out.append({"rgba": reader.read_rgba(part.index)})
    return out


def headers(reader) -> list:
    """Every part's description, with arrays (previews) as bytes."""
    def plain(value):
        return (value.shape, value.tobytes()) if isinstance(value, np.ndarray) else value

    return [
        (p.name, p.storage, p.data_window, p.channels,
         {k: plain(v) for k, v in p.attributes.items()})
        for p in reader.parts
    ]


def assert_identical(a: list, b: list):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert list(x) == list(y)
        for name in x:
            assert oracle.same_bits(x[name], y[name]) is None, name


def test_bytes_path_and_pathlike_agree(files):
    for path in files:
        with exrkit.open(path) as by_path, exrkit.open(str(path)) as by_str:
            expected = everything(by_path)
            assert_identical(everything(by_str), expected)
            described = headers(by_path)
        data = path.read_bytes()
        for source in [data, bytearray(data), memoryview(data)]:
            with exrkit.open(source) as reader:
                assert_identical(everything(reader), expected)
                assert headers(reader) == described


def test_memory_input_is_copied_or_kept(files):
    """The reader keeps its own bytes: changing or dropping the caller's
    buffer after open changes nothing."""
    path = files[0]
    buffer = bytearray(path.read_bytes())
    with exrkit.open(path) as reference:
        expected = everything(reference)
    reader = exrkit.open(buffer)
    buffer[:] = bytes(len(buffer))
    del buffer
    with reader:
        assert_identical(everything(reader), expected)


@pytest.mark.parametrize("threads", [1, 3])
def test_thread_counts_agree(files, threads):
    for path in files:
        with exrkit.open(path, threads=0) as shared, exrkit.open(path, threads=threads) as own:
            assert_identical(everything(own), everything(shared))
            part = shared.parts[0]
            (x0, y0), (x1, y1) = part.data_window
            window = ((x0 + 3, y0 + 5), (x1 + 2, (y0 + y1) // 2))
            assert_identical([own.read(window=window)], [shared.read(window=window)])


def test_one_reader_many_python_threads(files):
    path = files[0]
    with exrkit.open(path) as reader:
        expected = reader.read()
        (x0, y0), (x1, y1) = reader.parts[0].data_window
        windows = [((x0, y), (x1, y + 7)) for y in range(y0, y1, 8)]
        with ThreadPoolExecutor(8) as pool:
            strips = list(pool.map(lambda w: reader.read(window=w), windows))
            fulls = list(pool.map(lambda _: reader.read(), range(8)))
    for name, array in expected.items():
        stacked = np.concatenate([s[name] for s in strips])[: array.shape[0]]
        assert oracle.same_bits(stacked, array) is None
        for full in fulls:
            assert oracle.same_bits(full[name], array) is None


def test_closed_reader_refuses_work(files):
    reader = exrkit.open(files[0])
    part = reader.parts[0]
    with reader:
        assert not reader.closed
    assert reader.closed
    reader.close()
    for call in [reader.read, reader.read_rgba, lambda: reader.chunk_info(0, 0),
                 lambda: part.level_size(0, 0), lambda: reader.read_chunk(0, 0)]:
        with pytest.raises(ValueError):
            call()


def test_options_are_checked(files):
    for bad in [{"threads": -1}, {"max_image_pixels": -5}]:
        with pytest.raises(ValueError):
            exrkit.open(files[0], **bad)
    with pytest.raises(exrkit.LimitExceededError) as raised:
        exrkit.open(files[0], max_image_pixels=1000)
    assert "1000" in raised.value.message
    with exrkit.open(files[0], strict=True, reconstruct=False, max_image_pixels=0) as reader:
        assert reader.parts[0].data_window == ((0, 0), (599, 399))
