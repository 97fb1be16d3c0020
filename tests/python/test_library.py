"""Where the binding finds the shared library: next to the package, then
EXRKIT_LIBRARY, then the CMake build directory; a clear error if nowhere.
Each case runs in a fresh interpreter on a copy of the package."""

import os
import shutil
import subprocess
import sys

import pytest

from conftest import REPO, require, require_module

require_module("numpy")

SHOW = "import exrkit; print(exrkit.library_path()); print(exrkit.version())"


@pytest.fixture
def package(tmp_path):
    """A copy of python/exrkit without any library beside it."""
    target = tmp_path / "site" / "exrkit"
    shutil.copytree(REPO / "python" / "exrkit", target,
                    ignore=shutil.ignore_patterns("__pycache__", "libexrkit*"))
    return target


def run(package, **env):
    clean = {k: v for k, v in os.environ.items() if k not in ("EXRKIT_LIBRARY", "EXRKIT_BUILD_DIR")}
    clean.update(env, PYTHONPATH=str(package.parent))
    return subprocess.run([sys.executable, "-c", SHOW], env=clean, capture_output=True, text=True,
                          cwd=package.parent)


def test_exrkit_library_variable(package, library, tmp_path):
    result = run(package, EXRKIT_LIBRARY=str(library), EXRKIT_BUILD_DIR=str(tmp_path / "nothing"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == str(library)


def test_build_directory_variable(package, library):
    lib_dir = package.parent.parent / "build" / "lib"
    lib_dir.mkdir(parents=True)
    shutil.copy(library.resolve(), lib_dir / "libexrkit.so")
    result = run(package, EXRKIT_BUILD_DIR=str(lib_dir.parent))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == str(lib_dir / "libexrkit.so")


def test_repository_build_directory_is_the_default(library):
    default = REPO / "build" / "lib" / "libexrkit.so"
    require(default.is_file(), f"{default} not built")
    env = {k: v for k, v in os.environ.items() if k not in ("EXRKIT_LIBRARY", "EXRKIT_BUILD_DIR")}
    env["PYTHONPATH"] = str(REPO / "python")
    result = subprocess.run([sys.executable, "-c", SHOW], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == str(default)


def test_a_copy_next_to_the_package_comes_first(package, library, tmp_path):
    shutil.copy(library.resolve(), package / "libexrkit.so")
    result = run(package, EXRKIT_LIBRARY=str(library))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == str(package / "libexrkit.so")


def test_nowhere_is_a_clear_error(package, tmp_path):
    bogus = tmp_path / "not-a-library.so"
    bogus.write_text("hello")
    result = run(package, EXRKIT_LIBRARY=str(bogus), EXRKIT_BUILD_DIR=str(tmp_path / "nothing"))
    assert result.returncode != 0
    assert "LibraryNotFoundError" in result.stderr
    assert "cannot load the shared library" in result.stderr
    assert str(bogus) in result.stderr and "EXRKIT_LIBRARY" in result.stderr
    assert str(tmp_path / "nothing" / "lib") in result.stderr


def test_import_needs_no_library(package, tmp_path):
    """Importing works without the library (help() and docs stay usable);
    the first call that needs it raises LibraryNotFoundError."""
    env = {k: v for k, v in os.environ.items() if k not in ("EXRKIT_LIBRARY",)}
    env.update(PYTHONPATH=str(package.parent), EXRKIT_BUILD_DIR=str(tmp_path / "nothing"))
    code = ("import exrkit\ntry:\n    exrkit.open(b'')\nexcept exrkit.LibraryNotFoundError:\n"
            "    print('not found')\n")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "not found"
