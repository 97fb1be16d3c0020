"""Shared fixtures: where the test data and the built programs are.

Tests that need ../shared or a tool fail loudly when CI=true and skip with a
printed reason elsewhere.
"""

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TESTDATA = REPO.parent / "shared" / "testdata"
IN_CI = os.environ.get("CI") == "true"


def require(condition: bool, reason: str) -> None:
    """Fail in CI, skip elsewhere, when a prerequisite is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"missing in CI: {reason}")
    pytest.skip(reason)


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
