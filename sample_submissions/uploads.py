"""Uploads that are not a readable notebook, each with the reason the grader must give, and hostile uploads for a batch.

Both are made at their first use, not at import: the zip bomb alone takes a CPU-second to
compress, and every test process imports this module.
"""

import functools
import io
import json
import zipfile

from mnist_kit.sandbox import Limits

NOTEBOOK = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def zipped(entries, encrypted=False):
    buffer = io.BytesIO()
    # The fastest deflate: the zip bomb's 512 MB of spaces compress in a third of the default's time.
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    raw = bytearray(buffer.getvalue())
    if encrypted:
        # zipfile cannot encrypt; set the "encrypted" flag bit in every header as an encrypting tool would.
        for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            start = raw.find(signature)
            while start != -1:
                raw[start + offset] |= 0x1
                start = raw.find(signature, start + 4)
    return bytes(raw)


# {file name: (what it holds, made at its first use by invalid_content; words the grader's reason must contain)}
INVALID = {
    "empty.ipynb": (lambda: b"", "empty"),
    "latin1.ipynb": (lambda: '{"cells": ["café"]}'.encode("latin-1"), "not UTF-8"),
    "report.ipynb": (lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not UTF-8"),
    "text.ipynb": (lambda: b"print('hello')", "not valid JSON"),
    "other.ipynb": (lambda: json.dumps({"name": "not a notebook"}).encode(), "not a Jupyter notebook"),
    "list.ipynb": (lambda: b"[1, 2, 3]", "not a Jupyter notebook"),
    "corrupt.zip": (lambda: b"PK\x03\x04 this is not really a zip", "corrupt"),
    "empty.zip": (lambda: zipped({}), "no notebook"),
    "nested.zip": (lambda: zipped({"inner.zip": zipped({"mnist.ipynb": NOTEBOOK})}), "only nested zips: inner.zip"),
    "locked.zip": (lambda: zipped({"mnist.ipynb": NOTEBOOK}, encrypted=True), "password-protected"),
    # Hostile: each once stopped a whole batch or grew the grader by a gigabyte.
    "deep.ipynb": (lambda: b"[" * 100_000 + b"]" * 100_000, "nested too deep"),
    "huge.ipynb": (lambda: b" " * (Limits.max_upload + 1), "larger than 50 MB"),
    "bomb.zip": (lambda: zipped({"mnist.ipynb": b" " * 2**29}), "larger than 50 MB"),
    "crowded.zip": (lambda: zipped({**{f"{i}.txt": "" for i in range(10_001)}, "mnist.ipynb": NOTEBOOK}), "more than 10,000 files"),
}


@functools.cache
def invalid_content(name):
    """The bytes of the invalid upload ``name`` of :data:`INVALID`."""
    return INVALID[name][0]()


@functools.cache
def hostile_uploads():
    """{file name: content}: uploads a hostile class puts beside its notebooks, each once cost a batch its rows or the grader its memory."""
    return {
        **{name: invalid_content(name) for name in ("deep.ipynb", "bomb.zip", "huge.ipynb")},
        "a b.ipynb": b"[]",
        "a_b.ipynb": b"[]",
        "s1/x/hw.ipynb": b"[]",
        "s2/x/hw.ipynb": b"[]",
        "-A1+1.ipynb": b"[]",
        # A real notebook just under the cap, of the JSON that costs the most to parse (short strings).
        "strings.ipynb": b'{"cells": [], "metadata": {"x": [' + b'"ab",' * 9_999_970 + b'"ab"]}, "nbformat": 4, "nbformat_minor": 5}',
    }
