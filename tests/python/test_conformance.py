"""Reader.read against OpenEXR: every flat part of every sample image outside
Damaged/, of the generated matrix (tests/support/openexr_ref.py) and of files
using the codecs exrkit may not decode yet, every channel, bit for bit.

Every codec in REQUIRED must decode. Only the codecs in MAY_BE_UNSUPPORTED
may raise UnsupportedError; those parts are counted and reported at the end
of the run.
"""

import pytest

from conftest import SUMMARY, SUMMARY_LINES, TESTDATA, require_module, sample_files

np = require_module("numpy")
OpenEXR = require_module("OpenEXR")

import exrkit
import oracle

pytestmark = pytest.mark.usefixtures("library")

REQUIRED = ["none", "rle", "zips", "zip", "piz", "pxr24", "b44", "b44a", "dwaa", "dwab"]
# Codecs OpenEXR 3.1 (the generated matrix's writer) lacks: written by PyPI
# OpenEXR below. Each must decode exactly, except those exrkit may still
# refuse with UnsupportedError.
NEWER = ["htj2k256", "htj2k32", "zstd"]
MAY_BE_UNSUPPORTED = ["lossy_htj2k"]
OPENEXR_CODECS = {
    "dwaa": OpenEXR.DWAA_COMPRESSION,
    "dwab": OpenEXR.DWAB_COMPRESSION,
    "htj2k256": OpenEXR.HTJ2K256_COMPRESSION,
    "htj2k32": OpenEXR.HTJ2K32_COMPRESSION,
    "lossy_htj2k": OpenEXR.LJ2K_COMPRESSION,
    "zstd": OpenEXR.ZSTD_COMPRESSION,
}


def compare_file(path, origin: str) -> list[str]:
    """Compares every flat part of `path`; returns what went wrong."""
    failures = []
    reference = oracle.decode(path)
    with exrkit.open(path) as reader:
        if len(reader.parts) != len(reference):
            return [f"{len(reader.parts)} parts; OpenEXR has {len(reference)}"]
        for part, ref in zip(reader.parts, reference):
            if oracle.is_deep(ref["header"]):
                SUMMARY[f"{origin}: deep parts (not compared)"] += 1
                continue
            where = f"part {part.index} ({part.compression})"
            try:
                decoded = reader.read(part.index)
            except exrkit.UnsupportedError as error:
                if part.compression in MAY_BE_UNSUPPORTED:
                    SUMMARY[f"{origin}: parts unsupported ({part.compression})"] += 1
                else:
                    failures.append(f"{where}: {part.compression} must decode: {error}")
                continue
            except exrkit.Error as error:
                failures.append(f"{where}: {type(error).__name__}: {error}")
                continue
            SUMMARY[f"{origin}: parts compared"] += 1
            if sorted(decoded) != sorted(ref["channels"]):
                failures.append(
                    f"{where}: channels {sorted(decoded)}, OpenEXR {sorted(ref['channels'])}"
                )
                continue
            for name, (_, expected) in ref["channels"].items():
                SUMMARY[f"{origin}: channels compared"] += 1
                problem = oracle.same_bits(decoded[name], np.ascontiguousarray(expected))
                if problem:
                    failures.append(f"{where} channel {name}: {problem}")
    return failures


def test_samples_are_there(openexr_images):
    assert sample_files(), f"no .exr files under {openexr_images}"


@pytest.fixture(scope="module", autouse=True)
def report_totals():
    """Puts this module's totals in the end-of-run summary."""
    yield
    unsupported = {k: v for k, v in SUMMARY.items() if "unsupported" in k}
    SUMMARY_LINES.append(
        "conformance: {} parts and {} channels compared bit for bit with OpenEXR; "
        "{} parts use codecs exrkit does not decode yet".format(
            sum(v for k, v in SUMMARY.items() if k.endswith("parts compared")),
            sum(v for k, v in SUMMARY.items() if k.endswith("channels compared")),
            sum(unsupported.values()),
        )
    )


@pytest.mark.parametrize(
    "path", sample_files(), ids=lambda p: str(p.relative_to(TESTDATA / "openexr-images"))
)
def test_sample_image(path):
    failures = compare_file(path, "sample images")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("codec", REQUIRED)
def test_generated_matrix(matrix_dir, codec):
    files = sorted(matrix_dir.glob(f"{codec}_*.exr"))
    assert len(files) == 17, f"the matrix should hold 17 {codec} files, not {len(files)}"
    failures = [f"{p.name}: {f}" for p in files for f in compare_file(p, "generated matrix")]
    assert not failures, "\n".join(failures)


@pytest.fixture(scope="module")
def other_codecs(tmp_path_factory):
    """Scanline and tiled files, all three sample types, for each codec
    exrkit may not decode yet, written by OpenEXR."""
    ref = pytest.importorskip("openexr_ref")
    folder = tmp_path_factory.mktemp("other-codecs")
    rng = np.random.default_rng(11)
    for codec, compression in OPENEXR_CODECS.items():
        for tiled in [False, True]:
            hdr = ref.header("zip", 45, 37, -3, 5, tiled, False, 1)
            hdr["compression"] = compression
            with OpenEXR.File(hdr, ref.channels(rng, "mixed", 37, 45)) as f:
                f.write(str(folder / f"{codec}_{'tiled' if tiled else 'scan'}.exr"))
    return folder


@pytest.mark.parametrize("codec", NEWER)
def test_newer_codecs(other_codecs, codec):
    """Decode exactly."""
    files = sorted(other_codecs.glob(f"{codec}_*.exr"))
    assert len(files) == 2, files
    failures = [f"{p.name}: {f}" for p in files for f in compare_file(p, "newer codecs")]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("codec", MAY_BE_UNSUPPORTED)
def test_codecs_not_yet_required(other_codecs, codec):
    """Decode exactly or say UnsupportedError: nothing else."""
    for path in sorted(other_codecs.glob(f"{codec}_*.exr")):
        failures = compare_file(path, "codecs not yet required")
        assert not failures, f"{path.name}:\n" + "\n".join(failures)

