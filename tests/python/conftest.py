"""Shared fixtures: where the test data, the built programs and the Python
binding are; generated reference files; a summary of what was compared.

Tests that need ../shared or a tool fail loudly when CI=true and skip with a
printed reason elsewhere.
"""

import importlib
import os
import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TESTDATA = REPO.parent / "shared" / "testdata"
IN_CI = os.environ.get("CI") == "true"

# The binding under test is the repository's, whatever else is installed.
if str(REPO / "python") not in sys.path:
    sys.path.insert(0, str(REPO / "python"))
sys.path.insert(0, str(REPO / "tests" / "support"))

#: Counters tests add to; printed at the end of the run.
SUMMARY: Counter = Counter()
#: Lines tests add to the end-of-run summary.
SUMMARY_LINES: list[str] = []


def pytest_terminal_summary(terminalreporter):
    if not SUMMARY and not SUMMARY_LINES:
        return
    terminalreporter.section("exrkit comparisons")
    for key in sorted(SUMMARY):
        terminalreporter.write_line(f"{key}: {SUMMARY[key]}")
    for line in SUMMARY_LINES:
        terminalreporter.write_line(line)


def require(condition: bool, reason: str) -> None:
    """Fail in CI, skip elsewhere, when a prerequisite is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"missing in CI: {reason}")
    pytest.skip(reason)


def require_module(name: str):
    """Imports a module the tests need (numpy, PyPI OpenEXR): fails the
    module's tests in CI, skips them elsewhere, when it is missing."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        reason = f"Python module {name} is needed: {error}"
        if IN_CI:
            pytest.fail(f"missing in CI: {reason}", pytrace=False)
        pytest.skip(reason, allow_module_level=True)


@pytest.fixture(scope="session")
def openexr_images() -> Path:
    path = TESTDATA / "openexr-images"
    require(path.is_dir(), f"{path} not found (../shared/testdata)")
    return path


@pytest.fixture(scope="session")
def build_dir() -> Path:
    path = Path(os.environ.get("EXRKIT_BUILD_DIR", REPO / "build"))
    require(path.is_dir(), f"no CMake build directory at {path}; run scripts/test.sh")
    return path


def find_program(build_dir: Path, name: str) -> Path:
    found = [p for p in build_dir.rglob(name) if p.is_file() and os.access(p, os.X_OK)]
    require(bool(found), f"{name} not built under {build_dir}")
    return found[0]


@pytest.fixture(scope="session")
def exrinfo(build_dir: Path) -> Path:
    return find_program(build_dir, "exrinfo")


@pytest.fixture(scope="session")
def exrheader() -> Path:
    path = shutil.which("exrheader")
    require(path is not None, "exrheader not installed (Debian package openexr)")
    return Path(path)


@pytest.fixture(scope="session")
def library() -> Path:
    """The shared library the binding loads (built by CMake)."""
    import exrkit

    try:
        return exrkit.library_path()
    except exrkit.LibraryNotFoundError as error:
        require(False, str(error))


@pytest.fixture(scope="session")
def matrix_dir(tmp_path_factory) -> Path:
    """The generated conformance matrix (tests/support/openexr_ref.py)."""
    ref = require_module("openexr_ref")
    path = tmp_path_factory.mktemp("matrix")
    ref.matrix(str(path), ref.CODECS)
    return path


def sample_files() -> list[Path]:
    """Every .exr of the OpenEXR sample images outside Damaged/ (empty if the
    images are missing; the openexr_images fixture reports that)."""
    root = TESTDATA / "openexr-images"
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*.exr") if "Damaged" not in p.relative_to(root).parts)
