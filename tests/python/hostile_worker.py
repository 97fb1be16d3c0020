"""Runs the binding over damaged files, in a process of its own so that a
crash is reported by the test that starts it instead of ending pytest.

    python3 hostile_worker.py FILE...

For every file: open it from bytes with the default options and look at
everything the header describes (parts, channels, attributes, level sizes,
the first and last chunk), then open it by path with a limit of 2^24 pixels
per part, as an application taking untrusted files would, and decode every
part with read() and read_rgba(). Each step must succeed or raise
exrkit.Error. Prints "file NAME" before each file, a line for each other
exception, and a final "outcomes" line of JSON counts. Memory is capped
(RLIMIT_AS) so that an array larger than memory fails at once, as it would
on a smaller machine.
"""

import json
import resource
import sys
from collections import Counter
from pathlib import Path

import exrkit

MEMORY_CAP = 4 << 30
MAX_PIXELS = 1 << 24
outcomes: Counter = Counter()


def attempt(what: str, step) -> None:
    try:
        step()
        outcomes[f"{what}: ok"] += 1
    except exrkit.Error as error:
        outcomes[f"{what}: {type(error).__name__}"] += 1
    except Exception as error:  # anything else is what the test reports
        outcomes[f"{what}: NOT exrkit.Error"] += 1
        print(f"unexpected {what}: {type(error).__name__}: {error}", flush=True)


def inspect(reader) -> None:
    for part in reader.parts:
        attempt("channels", lambda: part.channels)
        attempt("attributes", lambda: part.attributes)
        for lx in range(min(part.level_count[0], 4)):
            for ly in range(min(part.level_count[1], 4)):
                attempt("level_size", lambda: part.level_size(lx, ly))
        for chunk in {0, max(part.chunk_count - 1, 0)}:
            attempt("read_chunk", lambda: reader.read_chunk(part.index, chunk))


def decode(reader) -> None:
    for part in reader.parts:
        attempt("read", lambda: reader.read(part.index))
        attempt("read_rgba", lambda: reader.read_rgba(part.index))


def opened(source, then, **options) -> None:
    def step():
        with exrkit.open(source, **options) as reader:
            then(reader)

    attempt("open", step)


def main(files: list[str]) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    for name in files:
        path = Path(name)
        print(f"file {path.name}", flush=True)
        opened(path.read_bytes(), inspect)
        opened(path, decode, max_image_pixels=MAX_PIXELS)
    print("outcomes " + json.dumps(outcomes), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
