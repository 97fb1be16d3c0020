"""python/exrkit/_abi.py mirrors include/exrkit.h exactly: the same
constants, structs and unions with the same fields in the same order and of
the same types, the same functions with the same signatures, and (compiled
with the C compiler) the same sizes and field offsets."""

import ctypes
import re
import shutil
import subprocess

import pytest

from conftest import REPO, require, require_module

require_module("numpy")

from exrkit import _abi

HEADER = (REPO / "include" / "exrkit.h").read_text()
CODE = re.sub(r"/\*.*?\*/", "", HEADER, flags=re.S)
CODE = re.sub(r"//[^\n]*", "", CODE)

SCALARS = {
    "int32_t": ctypes.c_int32, "uint32_t": ctypes.c_uint32, "int64_t": ctypes.c_int64,
    "uint64_t": ctypes.c_uint64, "uint8_t": ctypes.c_uint8, "size_t": ctypes.c_size_t,
    "ptrdiff_t": ctypes.c_ssize_t, "float": ctypes.c_float, "double": ctypes.c_double,
    "bool": ctypes.c_bool, "char": ctypes.c_char,
}


def aggregates() -> dict[str, list[str]]:
    """Struct and union name -> its field declarations, from the header."""
    found = {}
    for kind, name, body in re.findall(r"typedef (struct|union) (\w+) \{(.*?)\} \2;", CODE, re.S):
        found[name] = [" ".join(d.split()) for d in body.split(";") if d.strip()]
    return found


def c_type(text: str):
    """The ctypes type of a C type as the header spells it."""
    text = re.sub(r"\b(const|struct|union) ", "", text).strip()
    if text.endswith("*"):
        inner = text[:-1].strip()
        if inner == "char":
            return ctypes.c_char_p
        if inner == "void":
            return ctypes.c_void_p
        return ctypes.POINTER(c_type(inner))
    if text in SCALARS:
        return SCALARS[text]
    return getattr(_abi, text)


def field(declaration: str) -> tuple[str, object]:
    """(name, ctypes type) of a field declaration; function pointers give
    (name, number of arguments)."""
    if m := re.fullmatch(r"(.+?)\s*\(\*(\w+)\)\((.*)\)", declaration):
        return m[2], len([a for a in m[3].split(",") if a.strip()])
    m = re.fullmatch(r"(.+?)\s*(\w+)(?:\[(\d+)\])?", declaration)
    base = c_type(m[1])
    return m[2], base * int(m[3]) if m[3] else base


def test_constants_match():
    defines = dict(re.findall(r"^#define (EXRKIT_\w+) (\d+)$", HEADER, re.M))
    ours = {k: v for k, v in vars(_abi).items() if k.startswith("EXRKIT_")}
    assert len(defines) > 80
    assert ours == {k: int(v) for k, v in defines.items()}


def test_structs_match():
    header = aggregates()
    ours = {k for k, v in vars(_abi).items()
            if isinstance(v, type) and issubclass(v, (ctypes.Structure, ctypes.Union))
            and hasattr(v, "_fields_")}
    assert ours == set(header)
    for name, declarations in header.items():
        cls = getattr(_abi, name)
        assert issubclass(cls, ctypes.Union) == name.endswith("_value"), name
        fields = [field(d) for d in declarations]
        assert [f for f, _ in cls._fields_] == [f for f, _ in fields], name
        for (fname, ctype), (_, expected) in zip(cls._fields_, fields):
            if isinstance(expected, int):
                assert issubclass(ctype, ctypes._CFuncPtr) and len(ctype._argtypes_) == expected
            elif name == "exrkit_text" and fname == "data":
                assert ctype is ctypes.POINTER(ctypes.c_char)
            else:
                assert ctype == expected, f"{name}.{fname}: {ctype} vs {expected}"


def test_functions_match():
    prototypes = re.findall(r"^([\w ]+?\**)\s*(exrkit_\w+)\(([^)]*)\);", CODE, re.M)
    assert len(prototypes) == len(_abi.FUNCTIONS)
    for ret, name, args in prototypes:
        restype, argtypes = _abi.FUNCTIONS[name]
        assert restype == (None if ret.strip() == "void" else c_type(ret)), name
        params = [" ".join(a.split()) for a in args.split(",") if a.strip() not in ("", "void")]
        expected = [c_type(re.fullmatch(r"(.+?)\s*\w+", p)[1]) for p in params]
        assert argtypes == expected, name


def test_sizes_and_offsets_match(tmp_path):
    cc = shutil.which("cc")
    require(cc is not None, "no C compiler (cc) to check struct layouts")
    lines = []
    for name, declarations in aggregates().items():
        lines.append(f'printf("{name} %zu\\n", sizeof({name}));')
        for fname, _ in map(field, declarations):
            lines.append(f'printf("{name}.{fname} %zu\\n", offsetof({name}, {fname}));')
    source = tmp_path / "layout.c"
    source.write_text(
        "#include <stddef.h>\n#include <stdio.h>\n#include \"exrkit.h\"\n"
        "int main(void) {\n" + "\n".join(lines) + "\nreturn 0;\n}\n"
    )
    program = tmp_path / "layout"
    subprocess.run([cc, "-std=c99", "-I", str(REPO / "include"), str(source), "-o", str(program)],
                   check=True)
    measured = dict(line.rsplit(" ", 1) for line in subprocess.run(
        [str(program)], check=True, capture_output=True, text=True).stdout.splitlines())
    ours = {}
    for name in aggregates():
        cls = getattr(_abi, name)
        ours[name] = str(ctypes.sizeof(cls))
        for fname, _ in cls._fields_:
            ours[f"{name}.{fname}"] = str(getattr(cls, fname).offset)
    assert ours == measured


def test_read_options_struct_size_is_the_librarys(library):
    lib = ctypes.CDLL(str(library))
    options = (ctypes.c_uint8 * 4096)()
    assert lib.exrkit_read_options_init(options) == 0
    assert ctypes.c_size_t.from_buffer(options).value == ctypes.sizeof(_abi.exrkit_read_options)


@pytest.mark.parametrize("status", range(1, 14))
def test_every_status_has_an_exception(status):
    import exrkit.errors as errors

    cls = errors._BY_STATUS[status]
    assert issubclass(cls, errors.Error) and cls.status == status
