"""The strings the binding uses for the library's enumerations.

A value this binding does not know (from a newer library) comes back as
its integer.
"""

FORMAT = ["exr", "qoi"]
STORAGE = ["scanline", "tiled", "deep_scanline", "deep_tiled"]
COMPRESSION = [
    "none",
    "rle",
    "zips",
    "zip",
    "piz",
    "pxr24",
    "b44",
    "b44a",
    "dwaa",
    "dwab",
    "htj2k256",
    "htj2k32",
    "lossy_htj2k",
    "zstd",
    "qoi",
]
PIXEL_TYPE = ["uint", "half", "float", "u8"]
LINE_ORDER = ["increasing_y", "decreasing_y", "random_y"]
LEVEL_MODE = ["one", "mipmap", "ripmap"]
ROUNDING_MODE = ["down", "up"]
ENVMAP = ["latlong", "cube"]
DEEP_IMAGE_STATE = ["messy", "sorted", "non_overlapping", "tidy"]


def name(table: list[str], value: int) -> str | int:
    """`table[value]`, or `value` itself when the table does not know it."""
    return table[value] if 0 <= value < len(table) else value
