"""Hostile input: damaged and truncated files give exrkit.Error (or decode),
never a crash or another exception."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, SUMMARY_LINES, require_module

np = require_module("numpy")
require_module("OpenEXR")

import exrkit
import oracle

pytestmark = pytest.mark.usefixtures("library")

WORKER = Path(__file__).with_name("hostile_worker.py")


def test_damaged_files_fail_cleanly(openexr_images, library):
    files = sorted(p for p in (openexr_images / "Damaged").iterdir() if p.is_file())
    assert len(files) > 100
    env = dict(os.environ, EXRKIT_LIBRARY=str(library))
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in [str(REPO / "python"), env.get("PYTHONPATH")] if p
    )
    try:
        run = subprocess.run(
            [sys.executable, str(WORKER), *map(str, files)],
            env=env, capture_output=True, text=True, timeout=120,
        )
    except subprocess.TimeoutExpired as timeout:
        output = (timeout.stdout or b"").decode().splitlines()
        last = [line for line in output if line.startswith("file ")]
        pytest.fail(f"the worker hung; last {last[-1:] or 'no file'}")
    lines = run.stdout.splitlines()
    started = [line[5:] for line in lines if line.startswith("file ")]
    assert run.returncode == 0, (
        f"the worker died (exit status {run.returncode}) on {started[-1:] or 'no file'}:\n"
        + run.stderr[-3000:]
    )
    unexpected = [line for line in lines if line.startswith("unexpected ")]
    assert not unexpected, "\n".join(unexpected)
    outcomes = json.loads(next(line for line in lines if line.startswith("outcomes "))[9:])
    assert len(started) == len(files)
    opens = sum(v for k, v in outcomes.items() if k.startswith("open: "))
    assert opens == 2 * len(files)
    SUMMARY_LINES.append(
        f"damaged files: {len(files)} files, every step an exrkit.Error or a success: "
        + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
    )


def truncation_lengths(data: bytes, reader) -> list[int]:
    part = reader.parts[0]
    first = reader.chunk_info(0, 0)
    last = reader.chunk_info(0, part.chunk_count - 1)
    table = first.offset - 8 * part.chunk_count
    return sorted({0, 1, 3, 4, 8, 50, table - 1, table + 4, first.offset - 1, first.offset + 4,
                   first.data_offset + first.packed_size // 2, len(data) // 2,
                   last.offset + 2, len(data) - 100, len(data) - 1})


@pytest.mark.parametrize(
    "name", ["ScanLines/Carrots.exr", "MultiResolution/Bonita.exr", "TestImages/WideColorGamut.exr"]
)
def test_truncated_files_raise(openexr_images, name):
    """Cut inside the header: open raises. Cut inside level 0's chunks: read
    and read_rgba raise. Cut after them (mip levels only): level 0 decodes
    as OpenEXR decodes the whole file."""
    path = openexr_images / name
    data = path.read_bytes()
    reference = oracle.decode(path)[0]["channels"]
    with exrkit.open(data) as whole:
        lengths = truncation_lengths(data, whole)
        infos = [whole.chunk_info(0, i) for i in range(whole.parts[0].chunk_count)]
    first_chunk = infos[0].offset
    level0_end = max(i.data_offset + i.packed_size for i in infos if i.level == (0, 0))
    assert len(lengths) > 10
    for n in lengths:
        try:
            reader = exrkit.open(data[:n])
        except exrkit.Error as error:
            assert error.status != 0 and error.message
            continue
        with reader:
            assert n >= first_chunk - 8 * len(infos), f"opened {n} of {len(data)} bytes"
            if n < level0_end:
                for read in [reader.read, reader.read_rgba]:
                    with pytest.raises((exrkit.IncompleteError, exrkit.CorruptError)):
                        read()
            else:
                got = reader.read()
                for channel, (_, pixels) in reference.items():
                    assert oracle.same_bits(got[channel], pixels) is None, f"{n} bytes: {channel}"


def test_complete_chunks_of_a_truncated_file_still_decode(openexr_images):
    """A read of a file cut in half raises, and its `partial` arrays hold
    every chunk the cut left whole exactly as OpenEXR decodes the full file;
    the rest holds the fill."""
    path = openexr_images / "ScanLines/Carrots.exr"
    data = path.read_bytes()
    reference = oracle.decode(path)[0]["channels"]
    cut = len(data) // 2
    with exrkit.open(data) as whole:
        infos = [whole.chunk_info(0, i) for i in range(whole.parts[0].chunk_count)]
    with exrkit.open(data[:cut]) as reader:
        with pytest.raises(exrkit.Error) as raised:
            reader.read(fill=-1.0)
    partial = raised.value.partial
    whole_rows = [i for i in infos if i.data_offset + i.packed_size <= cut]
    cut_rows = [i for i in infos if i.offset >= cut]
    assert whole_rows and cut_rows
    for name, (_, pixels) in reference.items():
        for info in whole_rows:
            (_, y0), (_, y1) = info.region
            assert oracle.same_bits(partial[name][y0 : y1 + 1], pixels[y0 : y1 + 1]) is None
        for info in cut_rows:
            (_, y0), (_, y1) = info.region
            assert np.all(partial[name][y0 : y1 + 1] == np.float16(-1.0))


def test_garbage_and_missing_files(tmp_path):
    with pytest.raises(exrkit.UnknownFormatError) as raised:
        exrkit.open(b"not an image at all")
    assert raised.value.status == 3 and raised.value.message
    with pytest.raises(exrkit.IoError) as raised:
        exrkit.open(tmp_path / "missing.exr")
    assert "missing.exr" in str(raised.value)
    with pytest.raises(exrkit.Error):
        exrkit.open(b"")
