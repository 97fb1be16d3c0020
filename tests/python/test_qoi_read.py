"""QOI files through the Python binding: exrkit.open recognises them and
presents one part of U8 channels; read() and read_rgba() agree with each
other (the pixels themselves are checked against the PNGs in tests/qoi.rs)."""

import struct

import pytest

from conftest import SUMMARY, TESTDATA, require, require_module

np = require_module("numpy")

import exrkit

pytestmark = pytest.mark.usefixtures("library")


def qoi_files():
    folder = TESTDATA / "qoi"
    require(folder.is_dir(), f"{folder} not found (../shared/testdata)")
    return sorted(folder.glob("*.qoi"))


def test_qoi_files_open_as_one_part_of_u8_channels():
    files = qoi_files()
    assert len(files) >= 8
    for path in files:
        data = path.read_bytes()
        width, height, channels, colorspace = struct.unpack(">IIBB", data[4:14])
        for source in (path, data):
            with exrkit.open(source) as reader:
                (part,) = reader.parts
                assert part.format == "qoi" and part.compression == "qoi"
                assert part.storage == "scanline"
                assert part.data_window == ((0, 0), (width - 1, height - 1))
                names = [c.name for c in part.channels]
                assert names == (["A", "B", "G", "R"] if channels == 4 else ["B", "G", "R"])
                assert part.attributes["colorspace"] == colorspace
                pixels = reader.read()
                assert all(a.dtype == np.uint8 and a.shape == (height, width)
                           for a in pixels.values())
                rgba = reader.read_rgba()
                for i, name in enumerate("RGB"):
                    assert np.array_equal(rgba[..., i], pixels[name] / np.float32(255)), name
                if channels == 3:
                    assert np.all(rgba[..., 3] == 1.0)
                else:
                    assert np.array_equal(rgba[..., 3], pixels["A"] / np.float32(255))
                floats = reader.read(dtype="float32", channels=["G"])["G"]
                assert np.array_equal(floats, pixels["G"] / np.float32(255))
        SUMMARY["QOI files read through the Python binding"] += 1


def test_truncated_qoi_is_corrupt():
    data = qoi_files()[0].read_bytes()
    with exrkit.open(data[: len(data) // 2]) as reader:
        with pytest.raises(exrkit.CorruptError):
            reader.read()


def test_written_qoi_files_are_the_reference_bytes():
    for path in qoi_files():
        if path.name == "edgecase.qoi":
            continue  # crafted by hand, not by the reference encoder
        data = path.read_bytes()
        colorspace = data[13]
        with exrkit.open(data) as reader:
            pixels = reader.read()
        attributes = {"colorspace": colorspace}
        assert exrkit.write(None, pixels, format="qoi", attributes=attributes) == data
        floats = {name: (a / np.float32(255)).astype(np.float32) for name, a in pixels.items()}
        assert exrkit.write(None, floats, format="qoi", attributes=attributes) == data
        SUMMARY["QOI files written by exrkit.write, byte for byte the reference"] += 1
    with pytest.raises(exrkit.InvalidArgumentError):
        exrkit.write(None, {"Y": np.zeros((2, 2), np.uint8)}, format="qoi")
