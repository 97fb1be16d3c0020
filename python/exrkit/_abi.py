"""ctypes mirror of include/exrkit.h: constants, structs, unions and function
prototypes, in the header's order and with the header's names.

Nothing else lives here. tests/python/test_abi.py checks this module against
the header (names, field order, constants, prototypes) and, with a C
compiler, every struct's size and field offsets.
"""

from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    Union,
    c_bool,
    c_char,
    c_char_p,
    c_double,
    c_float,
    c_int32,
    c_int64,
    c_size_t,
    c_ssize_t,
    c_uint8,
    c_uint32,
    c_uint64,
    c_void_p,
)

# --- constants (#define) -----------------------------------------------------

EXRKIT_READ_STRICT = 1
EXRKIT_READ_NO_RECONSTRUCTION = 2

EXRKIT_VERSION_MAJOR = 0
EXRKIT_VERSION_MINOR = 1
EXRKIT_VERSION_PATCH = 0

EXRKIT_ATTR_OPAQUE = 0
EXRKIT_ATTR_BOX2I = 1
EXRKIT_ATTR_BOX2F = 2
EXRKIT_ATTR_BYTES = 3
EXRKIT_ATTR_CHLIST = 4
EXRKIT_ATTR_CHROMATICITIES = 5
EXRKIT_ATTR_COMPRESSION = 6
EXRKIT_ATTR_DOUBLE = 7
EXRKIT_ATTR_ENVMAP = 8
EXRKIT_ATTR_FLOAT = 9
EXRKIT_ATTR_FLOATVECTOR = 10
EXRKIT_ATTR_INT = 11
EXRKIT_ATTR_KEYCODE = 12
EXRKIT_ATTR_LINEORDER = 13
EXRKIT_ATTR_M33F = 14
EXRKIT_ATTR_M33D = 15
EXRKIT_ATTR_M44F = 16
EXRKIT_ATTR_M44D = 17
EXRKIT_ATTR_PREVIEW = 18
EXRKIT_ATTR_RATIONAL = 19
EXRKIT_ATTR_STRING = 20
EXRKIT_ATTR_STRINGVECTOR = 21
EXRKIT_ATTR_TILEDESC = 22
EXRKIT_ATTR_TIMECODE = 23
EXRKIT_ATTR_V2I = 24
EXRKIT_ATTR_V2F = 25
EXRKIT_ATTR_V2D = 26
EXRKIT_ATTR_V3I = 27
EXRKIT_ATTR_V3F = 28
EXRKIT_ATTR_V3D = 29
EXRKIT_ATTR_DEEPIMAGESTATE = 30

EXRKIT_OK = 0
EXRKIT_ERR_INVALID_ARGUMENT = 1
EXRKIT_ERR_IO = 2
EXRKIT_ERR_UNKNOWN_FORMAT = 3
EXRKIT_ERR_CORRUPT = 4
EXRKIT_ERR_UNSUPPORTED = 5
EXRKIT_ERR_LIMIT_EXCEEDED = 6
EXRKIT_ERR_OUT_OF_MEMORY = 7
EXRKIT_ERR_BUFFER_TOO_SMALL = 8
EXRKIT_ERR_BAD_STATE = 9
EXRKIT_ERR_CANCELLED = 10
EXRKIT_ERR_INCOMPLETE = 11
EXRKIT_ERR_NOT_FOUND = 12
EXRKIT_ERR_INTERNAL = 13

EXRKIT_FORMAT_EXR = 0
EXRKIT_FORMAT_QOI = 1

EXRKIT_STORAGE_SCANLINE = 0
EXRKIT_STORAGE_TILED = 1
EXRKIT_STORAGE_DEEP_SCANLINE = 2
EXRKIT_STORAGE_DEEP_TILED = 3

EXRKIT_COMPRESSION_NONE = 0
EXRKIT_COMPRESSION_RLE = 1
EXRKIT_COMPRESSION_ZIPS = 2
EXRKIT_COMPRESSION_ZIP = 3
EXRKIT_COMPRESSION_PIZ = 4
EXRKIT_COMPRESSION_PXR24 = 5
EXRKIT_COMPRESSION_B44 = 6
EXRKIT_COMPRESSION_B44A = 7
EXRKIT_COMPRESSION_DWAA = 8
EXRKIT_COMPRESSION_DWAB = 9
EXRKIT_COMPRESSION_HTJ2K256 = 10
EXRKIT_COMPRESSION_HTJ2K32 = 11
EXRKIT_COMPRESSION_LOSSY_HTJ2K = 12
EXRKIT_COMPRESSION_ZSTD = 13
EXRKIT_COMPRESSION_QOI = 14

EXRKIT_PIXEL_UINT = 0
EXRKIT_PIXEL_HALF = 1
EXRKIT_PIXEL_FLOAT = 2
EXRKIT_PIXEL_U8 = 3

EXRKIT_LINE_ORDER_INCREASING_Y = 0
EXRKIT_LINE_ORDER_DECREASING_Y = 1
EXRKIT_LINE_ORDER_RANDOM_Y = 2

EXRKIT_LEVEL_ONE = 0
EXRKIT_LEVEL_MIPMAP = 1
EXRKIT_LEVEL_RIPMAP = 2

EXRKIT_ROUND_DOWN = 0
EXRKIT_ROUND_UP = 1

# --- typedefs ----------------------------------------------------------------


class exrkit_reader(Structure):
    """Opaque reader handle; only pointers to it exist."""


class exrkit_writer(Structure):
    """Opaque writer handle; only pointers to it exist."""


class exrkit_deep_image(Structure):
    """Opaque deep image handle; only pointers to it exist."""


exrkit_status = c_uint32
exrkit_pixel_type = c_uint32
exrkit_format = c_uint32
exrkit_storage = c_uint32
exrkit_compression = c_uint32
exrkit_line_order = c_uint32
exrkit_level_mode = c_uint32
exrkit_rounding_mode = c_uint32
exrkit_attribute_type = c_uint32

exrkit_progress_fn = CFUNCTYPE(c_bool, c_void_p, c_uint64, c_uint64)

# --- structs and unions ------------------------------------------------------


class exrkit_box2i(Structure):
    _fields_ = [
        ("min_x", c_int32),
        ("min_y", c_int32),
        ("max_x", c_int32),
        ("max_y", c_int32),
    ]


class exrkit_slice(Structure):
    _fields_ = [
        ("channel", c_char_p),
        ("type", exrkit_pixel_type),
        ("base", c_void_p),
        ("x_stride", c_ssize_t),
        ("y_stride", c_ssize_t),
        ("x_sampling", c_int32),
        ("y_sampling", c_int32),
        ("fill", c_double),
    ]


class exrkit_framebuffer(Structure):
    _fields_ = [
        ("window", exrkit_box2i),
        ("slices", POINTER(exrkit_slice)),
        ("slice_count", c_size_t),
    ]


class exrkit_read_options(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("threads", c_uint32),
        ("flags", c_uint32),
        ("max_image_pixels", c_uint64),
        ("max_deep_samples", c_uint64),
        ("progress", exrkit_progress_fn),
        ("progress_user", c_void_p),
    ]


class exrkit_input_stream(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("user", c_void_p),
        ("read_at", CFUNCTYPE(c_int64, c_void_p, c_uint64, c_void_p, c_size_t)),
        ("size", CFUNCTYPE(c_int64, c_void_p)),
        ("release", CFUNCTYPE(None, c_void_p)),
    ]


class exrkit_header(Structure):
    _fields_ = [
        ("format", exrkit_format),
        ("name", c_char_p),
        ("storage", exrkit_storage),
        ("compression", exrkit_compression),
        ("line_order", exrkit_line_order),
        ("data_window", exrkit_box2i),
        ("display_window", exrkit_box2i),
        ("pixel_aspect_ratio", c_float),
        ("channel_count", c_uint32),
        ("attribute_count", c_uint32),
        ("chunk_count", c_uint64),
        ("lines_per_chunk", c_uint32),
        ("tile_width", c_uint32),
        ("tile_height", c_uint32),
        ("level_mode", exrkit_level_mode),
        ("rounding_mode", exrkit_rounding_mode),
        ("level_count_x", c_uint32),
        ("level_count_y", c_uint32),
    ]


class exrkit_channel(Structure):
    _fields_ = [
        ("name", c_char_p),
        ("type", exrkit_pixel_type),
        ("x_sampling", c_int32),
        ("y_sampling", c_int32),
        ("p_linear", c_bool),
    ]


class exrkit_box2f(Structure):
    _fields_ = [
        ("min_x", c_float),
        ("min_y", c_float),
        ("max_x", c_float),
        ("max_y", c_float),
    ]


class exrkit_chromaticities(Structure):
    _fields_ = [
        ("red_x", c_float),
        ("red_y", c_float),
        ("green_x", c_float),
        ("green_y", c_float),
        ("blue_x", c_float),
        ("blue_y", c_float),
        ("white_x", c_float),
        ("white_y", c_float),
    ]


class exrkit_keycode(Structure):
    _fields_ = [
        ("film_mfc_code", c_int32),
        ("film_type", c_int32),
        ("prefix", c_int32),
        ("count", c_int32),
        ("perf_offset", c_int32),
        ("perfs_per_frame", c_int32),
        ("perfs_per_count", c_int32),
    ]


class exrkit_rational(Structure):
    _fields_ = [
        ("numerator", c_int32),
        ("denominator", c_uint32),
    ]


class exrkit_timecode(Structure):
    _fields_ = [
        ("time_and_flags", c_uint32),
        ("user_data", c_uint32),
    ]


class exrkit_tiledesc(Structure):
    _fields_ = [
        ("width", c_uint32),
        ("height", c_uint32),
        ("level_mode", c_uint32),
        ("rounding_mode", c_uint32),
    ]


class exrkit_preview(Structure):
    _fields_ = [
        ("width", c_uint32),
        ("height", c_uint32),
        ("rgba", POINTER(c_uint8)),
    ]


class exrkit_text(Structure):
    # `data` may hold NUL bytes before `size`: a char pointer, not c_char_p.
    _fields_ = [
        ("data", POINTER(c_char)),
        ("size", c_size_t),
    ]


class exrkit_bytes(Structure):
    _fields_ = [
        ("type_hint", exrkit_text),
        ("data", POINTER(c_uint8)),
        ("size", c_size_t),
    ]


class exrkit_text_list(Structure):
    _fields_ = [
        ("items", POINTER(exrkit_text)),
        ("count", c_size_t),
    ]


class exrkit_float_list(Structure):
    _fields_ = [
        ("values", POINTER(c_float)),
        ("count", c_size_t),
    ]


class exrkit_channel_list(Structure):
    _fields_ = [
        ("channels", POINTER(exrkit_channel)),
        ("count", c_size_t),
    ]


class exrkit_attribute_value(Union):
    _fields_ = [
        ("u8", c_uint8),
        ("i32", c_int32),
        ("f32", c_float),
        ("f64", c_double),
        ("box2i", exrkit_box2i),
        ("box2f", exrkit_box2f),
        ("v2i", c_int32 * 2),
        ("v2f", c_float * 2),
        ("v2d", c_double * 2),
        ("v3i", c_int32 * 3),
        ("v3f", c_float * 3),
        ("v3d", c_double * 3),
        ("m33f", c_float * 9),
        ("m33d", c_double * 9),
        ("m44f", c_float * 16),
        ("m44d", c_double * 16),
        ("chromaticities", exrkit_chromaticities),
        ("keycode", exrkit_keycode),
        ("rational", exrkit_rational),
        ("timecode", exrkit_timecode),
        ("tiledesc", exrkit_tiledesc),
        ("preview", exrkit_preview),
        ("bytes", exrkit_bytes),
        ("string", exrkit_text),
        ("strings", exrkit_text_list),
        ("floats", exrkit_float_list),
        ("channels", exrkit_channel_list),
    ]


class exrkit_attribute(Structure):
    _fields_ = [
        ("name", c_char_p),
        ("type_name", c_char_p),
        ("type", exrkit_attribute_type),
        ("data", c_void_p),
        ("size", c_size_t),
        ("value", exrkit_attribute_value),
    ]


class exrkit_chunk_info(Structure):
    _fields_ = [
        ("index", c_uint64),
        ("region", exrkit_box2i),
        ("level_x", c_int32),
        ("level_y", c_int32),
        ("tile_x", c_int32),
        ("tile_y", c_int32),
        ("offset", c_uint64),
        ("data_offset", c_uint64),
        ("sample_table_size", c_uint64),
        ("packed_size", c_uint64),
        ("unpacked_size", c_uint64),
        ("read_size", c_uint64),
    ]


class exrkit_write_options(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("format", exrkit_format),
        ("threads", c_uint32),
        ("progress", exrkit_progress_fn),
        ("progress_user", c_void_p),
    ]


class exrkit_output_stream(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("user", c_void_p),
        ("write_at", CFUNCTYPE(c_int32, c_void_p, c_uint64, c_void_p, c_size_t)),
        ("finish", CFUNCTYPE(c_int32, c_void_p)),
        ("release", CFUNCTYPE(None, c_void_p)),
    ]


class exrkit_part_desc(Structure):
    _fields_ = [
        ("struct_size", c_size_t),
        ("name", c_char_p),
        ("storage", exrkit_storage),
        ("compression", exrkit_compression),
        ("data_window", exrkit_box2i),
        ("display_window", exrkit_box2i),
        ("line_order", exrkit_line_order),
        ("tile_width", c_uint32),
        ("tile_height", c_uint32),
        ("level_mode", exrkit_level_mode),
        ("rounding_mode", exrkit_rounding_mode),
        ("compression_level", c_float),
    ]


# --- functions: name -> (return type, argument types) ------------------------

_reader_p = POINTER(exrkit_reader)
_writer_p = POINTER(exrkit_writer)
_deep_p = POINTER(exrkit_deep_image)

FUNCTIONS = {
    "exrkit_decode_block": (
        exrkit_status,
        [_reader_p, c_uint32, c_uint64, POINTER(exrkit_framebuffer)],
    ),
    "exrkit_decode_image": (
        exrkit_status,
        [_reader_p, c_uint32, c_int32, c_int32, POINTER(exrkit_framebuffer)],
    ),
    "exrkit_decode_rgba": (
        exrkit_status,
        [_reader_p, c_uint32, exrkit_box2i, POINTER(c_float), c_ssize_t],
    ),
    "exrkit_read_options_init": (exrkit_status, [POINTER(exrkit_read_options)]),
    "exrkit_open": (exrkit_status, [c_char_p, POINTER(exrkit_read_options), POINTER(_reader_p)]),
    "exrkit_open_memory": (
        exrkit_status,
        [c_void_p, c_size_t, POINTER(exrkit_read_options), POINTER(_reader_p)],
    ),
    "exrkit_open_stream": (
        exrkit_status,
        [POINTER(exrkit_input_stream), POINTER(exrkit_read_options), POINTER(_reader_p)],
    ),
    "exrkit_close": (None, [_reader_p]),
    "exrkit_part_count": (exrkit_status, [_reader_p, POINTER(c_uint32)]),
    "exrkit_read_header": (exrkit_status, [_reader_p, c_uint32, POINTER(exrkit_header)]),
    "exrkit_get_channel": (exrkit_status, [_reader_p, c_uint32, c_uint32, POINTER(exrkit_channel)]),
    "exrkit_get_attribute": (
        exrkit_status,
        [_reader_p, c_uint32, c_uint32, POINTER(exrkit_attribute)],
    ),
    "exrkit_find_attribute": (
        exrkit_status,
        [_reader_p, c_uint32, c_char_p, POINTER(exrkit_attribute)],
    ),
    "exrkit_level_size": (
        exrkit_status,
        [_reader_p, c_uint32, c_int32, c_int32, POINTER(c_int32), POINTER(c_int32)],
    ),
    "exrkit_get_chunk_info": (
        exrkit_status,
        [_reader_p, c_uint32, c_uint64, POINTER(exrkit_chunk_info)],
    ),
    "exrkit_read_chunk": (
        exrkit_status,
        [_reader_p, c_uint32, c_uint64, c_void_p, c_size_t, POINTER(c_size_t)],
    ),
    "exrkit_status_string": (c_char_p, [exrkit_status]),
    "exrkit_last_error_message": (c_char_p, []),
    "exrkit_version": (c_uint32, []),
    "exrkit_version_string": (c_char_p, []),
    "exrkit_write_options_init": (exrkit_status, [POINTER(exrkit_write_options)]),
    "exrkit_part_desc_init": (exrkit_status, [POINTER(exrkit_part_desc)]),
    "exrkit_create": (
        exrkit_status,
        [c_char_p, POINTER(exrkit_write_options), POINTER(_writer_p)],
    ),
    "exrkit_create_memory": (exrkit_status, [POINTER(exrkit_write_options), POINTER(_writer_p)]),
    "exrkit_create_stream": (
        exrkit_status,
        [POINTER(exrkit_output_stream), POINTER(exrkit_write_options), POINTER(_writer_p)],
    ),
    "exrkit_copy_header": (
        exrkit_status,
        [_writer_p, _reader_p, c_uint32, POINTER(c_uint32)],
    ),
    "exrkit_writer_free": (None, [_writer_p]),
    "exrkit_add_part": (exrkit_status, [_writer_p, POINTER(exrkit_part_desc), POINTER(c_uint32)]),
    "exrkit_add_channel": (exrkit_status, [_writer_p, c_uint32, POINTER(exrkit_channel)]),
    "exrkit_set_attribute": (
        exrkit_status,
        [_writer_p, c_uint32, c_char_p, c_char_p, c_void_p, c_size_t],
    ),
    # Typed attribute setters: writer, part, name, then the value.
    **{
        f"exrkit_set_attribute_{type_name}": (exrkit_status, [_writer_p, c_uint32, c_char_p, *value])
        for type_name, value in {
            "int": [c_int32],
            "float": [c_float],
            "double": [c_double],
            "string": [c_char_p],
            "stringvector": [POINTER(c_char_p), c_size_t],
            "floatvector": [POINTER(c_float), c_size_t],
            "v2i": [c_int32] * 2,
            "v2f": [c_float] * 2,
            "v2d": [c_double] * 2,
            "v3i": [c_int32] * 3,
            "v3f": [c_float] * 3,
            "v3d": [c_double] * 3,
            "box2i": [POINTER(exrkit_box2i)],
            "box2f": [POINTER(exrkit_box2f)],
            "m33f": [POINTER(c_float)],
            "m33d": [POINTER(c_double)],
            "m44f": [POINTER(c_float)],
            "m44d": [POINTER(c_double)],
            "chromaticities": [POINTER(exrkit_chromaticities)],
            "keycode": [POINTER(exrkit_keycode)],
            "timecode": [POINTER(exrkit_timecode)],
            "rational": [POINTER(exrkit_rational)],
            "compression": [exrkit_compression],
            "envmap": [c_uint32],
            "lineorder": [exrkit_line_order],
            "tiledesc": [POINTER(exrkit_tiledesc)],
            "preview": [POINTER(exrkit_preview)],
            "deepimagestate": [c_uint32],
            "bytes": [c_char_p, c_void_p, c_size_t],
            "chlist": [POINTER(exrkit_channel), c_size_t],
        }.items()
    },
    "exrkit_write_header": (exrkit_status, [_writer_p]),
    "exrkit_write_block": (
        exrkit_status,
        [_writer_p, c_uint32, c_uint64, POINTER(exrkit_framebuffer)],
    ),
    "exrkit_write_image": (
        exrkit_status,
        [_writer_p, c_uint32, c_int32, c_int32, POINTER(exrkit_framebuffer)],
    ),
    "exrkit_write_chunk": (exrkit_status, [_writer_p, c_uint32, c_uint64, c_void_p, c_size_t]),
    "exrkit_finish": (exrkit_status, [_writer_p]),
    "exrkit_decode_deep_block": (
        exrkit_status,
        [_reader_p, c_uint32, c_uint64, POINTER(_deep_p)],
    ),
    "exrkit_decode_deep_image": (
        exrkit_status,
        [_reader_p, c_uint32, c_int32, c_int32, POINTER(_deep_p)],
    ),
    "exrkit_deep_image_create": (
        exrkit_status,
        [exrkit_box2i, POINTER(exrkit_channel), c_uint32, POINTER(c_uint32), POINTER(_deep_p)],
    ),
    "exrkit_deep_window": (exrkit_status, [_deep_p, POINTER(exrkit_box2i)]),
    "exrkit_deep_offsets": (
        exrkit_status,
        [_deep_p, POINTER(POINTER(c_uint64)), POINTER(c_size_t)],
    ),
    "exrkit_deep_channel": (
        exrkit_status,
        [_deep_p, c_uint32, POINTER(c_uint32), POINTER(c_void_p), POINTER(c_uint64)],
    ),
    "exrkit_deep_channel_samples": (
        exrkit_status,
        [_deep_p, c_uint32, POINTER(c_void_p), POINTER(c_uint64)],
    ),
    "exrkit_deep_image_free": (None, [_deep_p]),
    "exrkit_write_deep_block": (exrkit_status, [_writer_p, c_uint32, c_uint64, _deep_p]),
    "exrkit_write_deep_image": (
        exrkit_status,
        [_writer_p, c_uint32, c_int32, c_int32, _deep_p],
    ),
    "exrkit_deep_flatten": (exrkit_status, [_deep_p, POINTER(exrkit_framebuffer)]),
    "exrkit_deep_composite": (
        exrkit_status,
        [POINTER(_deep_p), c_size_t, POINTER(exrkit_framebuffer)],
    ),
    "exrkit_writer_memory": (
        exrkit_status,
        [_writer_p, POINTER(c_void_p), POINTER(c_size_t)],
    ),
}
