"""Strings between the file and Python.

Names and strings in a file are bytes, normally UTF-8. They become ``str``
with undecodable bytes kept as surrogates, so a name read from a file turns
back into exactly the bytes the file holds.
"""


def from_c(data: bytes) -> str:
    """The file's bytes as a string."""
    return data.decode("utf-8", "surrogateescape")


def to_c(text: str) -> bytes:
    """A string as the bytes a file (or the library) spells it with."""
    return text.encode("utf-8", "surrogateescape")
