"""Finding and loading the shared library, once, with every prototype set.

Where the library is looked for, in order:

1. next to this package: ``exrkit/libexrkit.so*`` (how an installed or
   bundled copy ships);
2. the file named by the ``EXRKIT_LIBRARY`` environment variable;
3. the CMake build directory's ``lib/`` folder: ``$EXRKIT_BUILD_DIR/lib``,
   else ``<repository>/build/lib``.
"""

import ctypes
import os
import sys
from pathlib import Path

from . import _abi

_PACKAGE = Path(__file__).resolve().parent
_REPOSITORY = _PACKAGE.parents[1]

if sys.platform == "darwin":
    _NAMES = ["libexrkit.dylib", "libexrkit.*.dylib"]
elif sys.platform == "win32":
    _NAMES = ["exrkit.dll"]
else:
    _NAMES = ["libexrkit.so", "libexrkit.so.*"]


class LibraryNotFoundError(ImportError):
    """The shared library is in none of the places exrkit looks."""


def _in_folder(folder: Path) -> list[Path]:
    """The library files in `folder`, plain name first."""
    found = []
    for pattern in _NAMES:
        found.extend(sorted(folder.glob(pattern)))
    return [p for p in found if p.is_file()]


def candidates() -> list[tuple[str, Path]]:
    """Every place the library may be, in search order, each with where the
    suggestion came from."""
    places = [("next to the package", p) for p in _in_folder(_PACKAGE)]
    env = os.environ.get("EXRKIT_LIBRARY")
    if env:
        places.append(("EXRKIT_LIBRARY", Path(env)))
    build = os.environ.get("EXRKIT_BUILD_DIR")
    if build:
        lib = Path(build) / "lib"
        origin = "EXRKIT_BUILD_DIR"
    else:
        lib = _REPOSITORY / "build" / "lib"
        origin = "the repository's build directory"
    places.extend((origin, p) for p in _in_folder(lib) or [lib / _NAMES[0]])
    return places


def _declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    for name, (restype, argtypes) in _abi.FUNCTIONS.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    return lib


def _load() -> tuple[ctypes.CDLL, Path]:
    tried = []
    for origin, path in candidates():
        if not path.is_file():
            tried.append(f"  {path} ({origin}): no such file")
            continue
        try:
            lib = ctypes.CDLL(str(path))
        except OSError as error:
            tried.append(f"  {path} ({origin}): {error}")
            continue
        return _declare(lib), path
    raise LibraryNotFoundError(
        "exrkit: cannot load the shared library libexrkit. Looked at:\n"
        + "\n".join(tried)
        + "\nBuild it with `cmake -S . -B build && cmake --build build`, or set "
        "EXRKIT_LIBRARY to its path (or EXRKIT_BUILD_DIR to the build directory)."
    )


_loaded: dict = {}


def library() -> ctypes.CDLL:
    """The loaded library (loaded on first use)."""
    if not _loaded:
        lib, path = _load()
        major = lib.exrkit_version() >> 16
        if major != _abi.EXRKIT_VERSION_MAJOR:
            raise LibraryNotFoundError(
                f"exrkit: {path} is version {lib.exrkit_version_string().decode()}; "
                f"this binding needs major version {_abi.EXRKIT_VERSION_MAJOR}"
            )
        _loaded.update(lib=lib, path=path)
    return _loaded["lib"]


def library_path() -> Path:
    """The file the library was loaded from (loading it if need be)."""
    library()
    return _loaded["path"]
