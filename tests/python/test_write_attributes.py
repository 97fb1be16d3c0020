"""The typed attribute setters of the C API (exrkit_set_attribute_<type>):
PyPI OpenEXR reads every attribute they write back with the value given.
deepImageState, which PyPI OpenEXR cannot read, goes in a file of its own
that exrheader (OpenEXR's C++ library) must accept with that type."""

import ctypes
import fractions
import subprocess

import pytest

from conftest import require_module

np = require_module("numpy")
OpenEXR = require_module("OpenEXR")

from exrkit import _abi
from exrkit._library import library as load_library

pytestmark = pytest.mark.usefixtures("library")

c_float_p = ctypes.POINTER(ctypes.c_float)
c_double_p = ctypes.POINTER(ctypes.c_double)


def channel(name: bytes, type_: int, sampling: int = 1, p_linear: bool = False):
    """A C channel description."""
    c = _abi.exrkit_channel()
    c.name, c.type, c.x_sampling, c.y_sampling, c.p_linear = name, type_, sampling, sampling, p_linear
    return c


def write(path, setters) -> None:
    """Writes a 2 x 2 FLOAT image at `path` after calling each setter with
    (library, writer); every call must succeed."""
    lib = load_library()
    writer = ctypes.POINTER(_abi.exrkit_writer)()
    assert lib.exrkit_create(str(path).encode(), None, ctypes.byref(writer)) == 0
    try:
        desc = _abi.exrkit_part_desc()
        lib.exrkit_part_desc_init(ctypes.byref(desc))
        desc.data_window = desc.display_window = _abi.exrkit_box2i(0, 0, 1, 1)
        part = ctypes.c_uint32()
        assert lib.exrkit_add_part(writer, ctypes.byref(desc), ctypes.byref(part)) == 0
        y = channel(b"Y", _abi.EXRKIT_PIXEL_FLOAT)
        assert lib.exrkit_add_channel(writer, 0, ctypes.byref(y)) == 0
        for name, setter in setters.items():
            status = setter(lib, writer)
            assert status == 0, (name, lib.exrkit_last_error_message())
        assert lib.exrkit_write_header(writer) == 0
        pixels = (ctypes.c_float * 4)(1, 2, 3, 4)
        s = _abi.exrkit_slice()
        s.channel, s.type = b"Y", _abi.EXRKIT_PIXEL_FLOAT
        s.base = ctypes.cast(pixels, ctypes.c_void_p)
        s.x_stride, s.y_stride, s.x_sampling, s.y_sampling = 4, 8, 1, 1
        fb = _abi.exrkit_framebuffer()
        fb.window, fb.slices, fb.slice_count = desc.data_window, ctypes.pointer(s), 1
        assert lib.exrkit_write_image(writer, 0, 0, 0, ctypes.byref(fb)) == 0
        assert lib.exrkit_finish(writer) == 0
    finally:
        lib.exrkit_writer_free(writer)


M33 = [i * 1.25 - 3.0 for i in range(9)]
M44 = [i * -0.5 + 0.125 for i in range(16)]
PREVIEW = bytes(range(0, 240, 10))
CHROMATICITIES = (0.64, 0.33, 0.3, 0.6, 0.15, 0.06, 0.3127, 0.329)
KEYCODE = (1, 2, 3, 4, 5, 4, 64)

#: attribute name -> (setter, check of what PyPI OpenEXR reads)
CASES = {
    "aInt": (
        lambda lib, w: lib.exrkit_set_attribute_int(w, 0, b"aInt", -123456),
        lambda v: v == -123456,
    ),
    "aFloat": (
        lambda lib, w: lib.exrkit_set_attribute_float(w, 0, b"aFloat", -2.5),
        lambda v: v == -2.5,
    ),
    "aDouble": (
        lambda lib, w: lib.exrkit_set_attribute_double(w, 0, b"aDouble", 1e300),
        lambda v: v == 1e300,
    ),
    "aString": (
        lambda lib, w: lib.exrkit_set_attribute_string(w, 0, b"aString", "caf\u00e9".encode()),
        lambda v: v == "caf\u00e9",
    ),
    "aStringvector": (
        lambda lib, w: lib.exrkit_set_attribute_stringvector(
            w, 0, b"aStringvector", (ctypes.c_char_p * 3)(b"left", b"", b"right"), 3
        ),
        lambda v: list(v) == ["left", "", "right"],
    ),
    "aFloatvector": (
        lambda lib, w: lib.exrkit_set_attribute_floatvector(
            w, 0, b"aFloatvector", (ctypes.c_float * 3)(1.0, -2.0, 3.5e8), 3
        ),
        lambda v: list(v) == [1.0, -2.0, 3.5e8],
    ),
    "aV2i": (
        lambda lib, w: lib.exrkit_set_attribute_v2i(w, 0, b"aV2i", -1, 2),
        lambda v: list(v) == [-1, 2],
    ),
    "aV2f": (
        lambda lib, w: lib.exrkit_set_attribute_v2f(w, 0, b"aV2f", 0.5, -0.25),
        lambda v: list(v) == [0.5, -0.25],
    ),
    "aV2d": (
        lambda lib, w: lib.exrkit_set_attribute_v2d(w, 0, b"aV2d", 1e300, -1e-300),
        lambda v: list(v) == [1e300, -1e-300],
    ),
    "aV3i": (
        lambda lib, w: lib.exrkit_set_attribute_v3i(w, 0, b"aV3i", 7, -8, 9),
        lambda v: list(v) == [7, -8, 9],
    ),
    "aV3f": (
        lambda lib, w: lib.exrkit_set_attribute_v3f(w, 0, b"aV3f", 1.0, 2.0, -3.0),
        lambda v: list(v) == [1.0, 2.0, -3.0],
    ),
    "aV3d": (
        lambda lib, w: lib.exrkit_set_attribute_v3d(w, 0, b"aV3d", 0.1, 0.2, 0.3),
        lambda v: list(v) == [0.1, 0.2, 0.3],
    ),
    "aBox2i": (
        lambda lib, w: lib.exrkit_set_attribute_box2i(
            w, 0, b"aBox2i", ctypes.byref(_abi.exrkit_box2i(-3, 4, 99, 1000))
        ),
        lambda v: [list(v[0]), list(v[1])] == [[-3, 4], [99, 1000]],
    ),
    "aBox2f": (
        lambda lib, w: lib.exrkit_set_attribute_box2f(
            w, 0, b"aBox2f", ctypes.byref(_abi.exrkit_box2f(-0.5, 0.25, 1.5, 2.75))
        ),
        lambda v: [list(v[0]), list(v[1])] == [[-0.5, 0.25], [1.5, 2.75]],
    ),
    "aM33f": (
        lambda lib, w: lib.exrkit_set_attribute_m33f(w, 0, b"aM33f", (ctypes.c_float * 9)(*M33)),
        lambda v: np.array_equal(v, np.array(M33, np.float32).reshape(3, 3)),
    ),
    "aM33d": (
        lambda lib, w: lib.exrkit_set_attribute_m33d(w, 0, b"aM33d", (ctypes.c_double * 9)(*M33)),
        lambda v: np.array_equal(v, np.array(M33).reshape(3, 3)),
    ),
    "aM44f": (
        lambda lib, w: lib.exrkit_set_attribute_m44f(w, 0, b"aM44f", (ctypes.c_float * 16)(*M44)),
        lambda v: np.array_equal(v, np.array(M44, np.float32).reshape(4, 4)),
    ),
    "aM44d": (
        lambda lib, w: lib.exrkit_set_attribute_m44d(
            w, 0, b"aM44d", (ctypes.c_double * 16)(*M44)
        ),
        lambda v: np.array_equal(v, np.array(M44).reshape(4, 4)),
    ),
    "aChromaticities": (
        lambda lib, w: lib.exrkit_set_attribute_chromaticities(
            w, 0, b"aChromaticities", ctypes.byref(_abi.exrkit_chromaticities(*CHROMATICITIES))
        ),
        lambda v: np.array_equal(np.array(v, np.float32), np.array(CHROMATICITIES, np.float32)),
    ),
    "aKeycode": (
        lambda lib, w: lib.exrkit_set_attribute_keycode(
            w, 0, b"aKeycode", ctypes.byref(_abi.exrkit_keycode(*KEYCODE))
        ),
        lambda v: (
            v.filmMfcCode, v.filmType, v.prefix, v.count, v.perfOffset, v.perfsPerFrame,
            v.perfsPerCount,
        ) == KEYCODE,
    ),
    "aTimecode": (
        lambda lib, w: lib.exrkit_set_attribute_timecode(
            w, 0, b"aTimecode", ctypes.byref(_abi.exrkit_timecode(0x12345678, 0x9ABCDEF0))
        ),
        # 0x12345678 packs 12:34:56, frame 38, drop frame (OpenEXR's Python
        # binding does not expose the packed form).
        lambda v: (v.hours, v.minutes, v.seconds, v.frame, bool(v.dropFrame), v.userData)
        == (12, 34, 56, 38, True, 0x9ABCDEF0),
    ),
    "aRational": (
        lambda lib, w: lib.exrkit_set_attribute_rational(
            w, 0, b"aRational", ctypes.byref(_abi.exrkit_rational(-24000, 1001))
        ),
        lambda v: v == fractions.Fraction(-24000, 1001),
    ),
    "aCompression": (
        lambda lib, w: lib.exrkit_set_attribute_compression(
            w, 0, b"aCompression", _abi.EXRKIT_COMPRESSION_PIZ
        ),
        lambda v: v == OpenEXR.PIZ_COMPRESSION,
    ),
    "aEnvmap": (
        lambda lib, w: lib.exrkit_set_attribute_envmap(w, 0, b"aEnvmap", 1),
        lambda v: v == OpenEXR.ENVMAP_CUBE,
    ),
    "aLineOrder": (
        lambda lib, w: lib.exrkit_set_attribute_lineorder(
            w, 0, b"aLineOrder", _abi.EXRKIT_LINE_ORDER_DECREASING_Y
        ),
        lambda v: v == OpenEXR.DECREASING_Y,
    ),
    "aTiledesc": (
        lambda lib, w: lib.exrkit_set_attribute_tiledesc(
            w, 0, b"aTiledesc",
            ctypes.byref(_abi.exrkit_tiledesc(64, 32, _abi.EXRKIT_LEVEL_RIPMAP, _abi.EXRKIT_ROUND_UP)),
        ),
        lambda v: (v.xSize, v.ySize, v.mode, v.roundingMode)
        == (64, 32, OpenEXR.RIPMAP_LEVELS, OpenEXR.ROUND_UP),
    ),
    "aPreview": (
        lambda lib, w: lib.exrkit_set_attribute_preview(
            w, 0, b"aPreview",
            ctypes.byref(_abi.exrkit_preview(
                3, 2, ctypes.cast(ctypes.create_string_buffer(PREVIEW, len(PREVIEW)),
                                  ctypes.POINTER(ctypes.c_uint8)),
            )),
        ),
        lambda v: v.pixels.shape == (2, 3) and v.pixels.tobytes() == PREVIEW,
    ),
    "aBytes": (
        lambda lib, w: lib.exrkit_set_attribute_bytes(
            w, 0, b"aBytes", b"application/x-test", b"\x00\x01\xff\x07", 4
        ),
        lambda v: (v.type_hint, bytes(v.data)) == ("application/x-test", b"\x00\x01\xff\x07"),
    ),
    "aChlist": (
        lambda lib, w: lib.exrkit_set_attribute_chlist(
            w, 0, b"aChlist",
            (_abi.exrkit_channel * 2)(
                channel(b"A", _abi.EXRKIT_PIXEL_UINT),
                channel(b"BY", _abi.EXRKIT_PIXEL_HALF, 2, True),
            ),
            2,
        ),
        # OpenEXR's Python binding derives a channel's type from its pixels,
        # which a chlist attribute has none of; exrkit's reader checks types.
        lambda v: [(c.name, c.xSampling, c.ySampling, c.pLinear) for c in v]
        == [("A", 1, 1, False), ("BY", 2, 2, True)],
    ),
}


def test_openexr_reads_every_typed_attribute_back(tmp_path):
    path = tmp_path / "typed.exr"
    write(path, {name: setter for name, (setter, _) in CASES.items()})
    header = OpenEXR.File(str(path)).header()
    for name, (_, check) in CASES.items():
        assert name in header, name
        assert check(header[name]), (name, header[name])
    assert len(CASES) == 29


def test_exrheader_accepts_a_deep_image_state(tmp_path, exrheader):
    path = tmp_path / "deep_image_state.exr"
    write(path, {"state": lambda lib, w: lib.exrkit_set_attribute_deepimagestate(
        w, 0, b"aDeepImageState", 3)})
    result = subprocess.run([str(exrheader), str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "aDeepImageState (type deepImageState)" in result.stdout, result.stdout


def test_values_that_do_not_fit_their_type_are_refused(tmp_path):
    lib = load_library()
    writer = ctypes.POINTER(_abi.exrkit_writer)()
    assert lib.exrkit_create_memory(None, ctypes.byref(writer)) == 0
    try:
        desc = _abi.exrkit_part_desc()
        lib.exrkit_part_desc_init(ctypes.byref(desc))
        part = ctypes.c_uint32()
        assert lib.exrkit_add_part(writer, ctypes.byref(desc), ctypes.byref(part)) == 0
        assert lib.exrkit_set_attribute_envmap(writer, 0, b"e", 256) == _abi.EXRKIT_ERR_INVALID_ARGUMENT
        assert lib.exrkit_set_attribute_compression(writer, 0, b"c", 99) == _abi.EXRKIT_ERR_INVALID_ARGUMENT
        assert lib.exrkit_set_attribute_lineorder(writer, 0, b"l", 3) == _abi.EXRKIT_ERR_INVALID_ARGUMENT
        assert lib.exrkit_set_attribute_m33f(writer, 0, b"m", None) == _abi.EXRKIT_ERR_INVALID_ARGUMENT
        assert lib.exrkit_set_attribute_int(writer, 0, None, 1) == _abi.EXRKIT_ERR_INVALID_ARGUMENT
    finally:
        lib.exrkit_writer_free(writer)
