"""exrinfo (through the C API) against OpenEXR's exrheader: every sample
image outside Damaged/, plus multipart, rip-mapped, deep tiled and oddly
shaped files generated here with PyPI OpenEXR, must agree on part count,
names, storage, channels, compression, windows, line order, tiling, levels
and chunk counts."""

import re
import subprocess
from pathlib import Path

import pytest

from conftest import require

COMPRESSION = {
    "none": "none",
    "run-length encoding": "rle",
    "zip, individual scanlines": "zips",
    "zip, multi-scanline blocks": "zip",
    "piz": "piz",
    "pxr24": "pxr24",
    "b44": "b44",
    "b44a": "b44a",
    "dwa, small scanline blocks": "dwaa",
    "dwa, medium scanline blocks": "dwab",
}
PIXEL = {
    "16-bit floating-point": "half",
    "32-bit floating-point": "float",
    "32-bit unsigned integer": "uint",
}
STORAGE = {
    "scanlineimage": "scanline",
    "tiledimage": "tiled",
    "deepscanline": "deep scanline",
    "deeptile": "deep tiled",
}
LEVELS = {"single level": "one-level", "mip-map": "mipmap", "rip-map": "ripmap"}
BOX = r"\((-?\d+) (-?\d+)\) - \((-?\d+) (-?\d+)\)"


def parse_exrheader(text: str) -> list[dict]:
    blocks = re.split(r"^ part \d+.*:$", text, flags=re.M)
    if len(blocks) > 1:
        blocks = blocks[1:]
    parts = []
    for block in blocks:
        p = {"channels": [], "name": None, "tiles": None}
        lines = block.splitlines()
        for i, line in enumerate(lines):
            if m := re.match(r"^    (.*), (\d\d-bit [a-z -]+), sampling (\d+) (\d+)", line):
                p["channels"].append((m[1], PIXEL[m[2]], int(m[3]), int(m[4])))
            elif m := re.match(r"^compression \(type compression\): (.*)$", line):
                p["compression"] = COMPRESSION[m[1]]
            elif m := re.match(r"^dataWindow \(type box2i\): " + BOX, line):
                p["data"] = tuple(map(int, m.groups()))
            elif m := re.match(r"^displayWindow \(type box2i\): " + BOX, line):
                p["display"] = tuple(map(int, m.groups()))
            elif m := re.match(r"^lineOrder \(type lineOrder\): (.*)$", line):
                p["line_order"] = m[1]
            elif m := re.match(r'^name \(type string\): "(.*)"$', line):
                p["name"] = m[1]
            elif m := re.match(r'^type \(type string\): "(.*)"$', line):
                p["storage"] = STORAGE[m[1]]
            elif m := re.match(r"^chunkCount \(type int\): (\d+)$", line):
                p["chunks"] = int(m[1])
            elif line.startswith("tiles (type tiledesc):"):
                mode = LEVELS[lines[i + 1].strip()]
                size = re.match(r"^    tile size (\d+) by (\d+) pixels", lines[i + 2])
                rounding = "round-down"
                if mode != "one-level" and "rounded up" in lines[i + 3]:
                    rounding = "round-up"
                p["tiles"] = (int(size[1]), int(size[2]), mode, rounding)
        parts.append(p)
    return parts


def parse_exrinfo(text: str) -> list[dict]:
    parts = []
    for block in re.split(r"^part \d+$", text, flags=re.M)[1:]:
        p = {"channels": [], "tiles": None}
        section = None
        for line in block.splitlines():
            if m := re.match(r"^  name: (.*)$", line):
                p["name"] = None if m[1] == "(none)" else m[1]
            elif m := re.match(r"^  storage: (.*)$", line):
                p["storage"] = m[1]
            elif m := re.match(r"^  compression: (.*)$", line):
                p["compression"] = m[1]
            elif m := re.match(r"^  data window: " + BOX, line):
                p["data"] = tuple(map(int, m.groups()))
            elif m := re.match(r"^  display window: " + BOX, line):
                p["display"] = tuple(map(int, m.groups()))
            elif m := re.match(r"^  line order: (.*)$", line):
                p["line_order"] = m[1]
            elif m := re.match(r"^  chunks: (\d+)$", line):
                p["chunks"] = int(m[1])
            elif m := re.match(r"^  tiles: (\d+)x(\d+) (\S+) (\S+), (\d+)x(\d+) levels$", line):
                p["tiles"] = (int(m[1]), int(m[2]), m[3], m[4])
                p["levels"] = (int(m[5]), int(m[6]))
            elif re.match(r"^  (channels|attributes): \d+$", line):
                section = line.split(":")[0].strip()
            elif section == "channels" and (m := re.match(r"^    (.*) (\S+) sampling (\d+) (\d+)( plinear)?$", line)):
                p["channels"].append((m[1], m[2], int(m[3]), int(m[4])))
        parts.append(p)
    return parts


def compare(exrinfo: Path, path: Path) -> int:
    """Returns the number of parts compared; asserts they agree."""
    ours = subprocess.run([exrinfo, path], capture_output=True, text=True)
    assert ours.returncode == 0, f"exrinfo failed on {path}: {ours.stderr}"
    theirs = subprocess.run(["exrheader", path], capture_output=True, text=True)
    assert theirs.returncode == 0, f"exrheader failed on {path}: {theirs.stderr}"
    mine, ref = parse_exrinfo(ours.stdout), parse_exrheader(theirs.stdout)
    assert len(mine) == len(ref), f"{path}: {len(mine)} parts, exrheader says {len(ref)}"
    for index, (a, b) in enumerate(zip(mine, ref)):
        where = f"{path} part {index}"
        for key in ["compression", "data", "display", "line_order", "channels", "tiles"]:
            assert a[key] == b[key], f"{where}: {key} {a[key]!r} != exrheader {b[key]!r}"
        assert a["name"] == b["name"], f"{where}: name {a['name']!r} != {b['name']!r}"
        if "storage" in b:
            assert a["storage"] == b["storage"], f"{where}: storage"
        elif b["tiles"]:
            assert a["storage"] == "tiled", f"{where}: storage"
        else:
            assert a["storage"] == "scanline", f"{where}: storage"
        if "chunks" in b:
            assert a["chunks"] == b["chunks"], f"{where}: chunk count"
    return len(mine)


def sample_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.exr") if "Damaged" not in p.parts)


def test_sample_images_agree_with_exrheader(exrinfo, exrheader, openexr_images):
    files = sample_files(openexr_images)
    assert len(files) >= 60, f"only {len(files)} sample images found"
    parts = sum(compare(exrinfo, f) for f in files)
    print(f"compared {len(files)} files, {parts} parts with exrheader")


def write_generated(directory: Path) -> list[Path]:
    """Files that exercise what the samples lack."""
    OpenEXR = pytest.importorskip("OpenEXR")
    np = pytest.importorskip("numpy")
    out = []

    def tiles(x, y, mode, rounding):
        t = OpenEXR.TileDescription()
        t.xSize, t.ySize, t.mode, t.roundingMode = x, y, mode, rounding
        return t

    def save(name, parts):
        path = directory / name
        OpenEXR.File(parts).write(str(path))
        out.append(path)

    half = np.arange(37 * 23, dtype=np.float16).reshape(23, 37)
    save(
        "multipart.exr",
        [
            OpenEXR.Part({"compression": OpenEXR.ZIP_COMPRESSION}, {"R": half, "G": half}, "beauty"),
            OpenEXR.Part(
                {
                    "compression": OpenEXR.PIZ_COMPRESSION,
                    "type": OpenEXR.tiledimage,
                    "tiles": tiles(16, 8, OpenEXR.RIPMAP_LEVELS, OpenEXR.ROUND_UP),
                    "lineOrder": OpenEXR.DECREASING_Y,
                },
                {"Z": np.zeros((23, 37), np.float32)},
                "depth",
            ),
            OpenEXR.Part(
                {
                    "compression": OpenEXR.RLE_COMPRESSION,
                    "type": OpenEXR.tiledimage,
                    "tiles": tiles(8, 8, OpenEXR.MIPMAP_LEVELS, OpenEXR.ROUND_DOWN),
                },
                {"id": np.zeros((23, 37), np.uint32)},
                "ids",
            ),
        ],
    )
    for comp in ["NO_COMPRESSION", "ZIPS_COMPRESSION", "PXR24_COMPRESSION", "B44A_COMPRESSION", "DWAB_COMPRESSION"]:
        header = {
            "compression": getattr(OpenEXR, comp),
            "dataWindow": (np.array([-5, -3], np.int32), np.array([31, 19], np.int32)),
            "lineOrder": OpenEXR.DECREASING_Y,
        }
        save(f"{comp.lower()}.exr", [OpenEXR.Part(header, {"A": half, "B": half.astype(np.float32)}, "p")])
    return out


def test_generated_files_agree_with_exrheader(exrinfo, exrheader, tmp_path):
    files = write_generated(tmp_path)
    parts = sum(compare(exrinfo, f) for f in files)
    print(f"compared {len(files)} generated files, {parts} parts with exrheader")
    assert parts == 3 + 5
