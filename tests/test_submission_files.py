"""Uploads that are not a readable notebook get a one-line reason, and nothing is written from them."""

import io
import json
import zipfile

import pytest

from mnist_kit.grade import InvalidSubmission, Limits, read_notebook

NOTEBOOK = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def _zip(entries, encrypted=False):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
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


INVALID = {
    "empty.ipynb": (b"", "empty"),
    "latin1.ipynb": ('{"cells": ["café"]}'.encode("latin-1"), "not UTF-8"),
    "report.ipynb": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not UTF-8"),
    "text.ipynb": (b"print('hello')", "not valid JSON"),
    "other.ipynb": (json.dumps({"name": "not a notebook"}).encode(), "not a Jupyter notebook"),
    "list.ipynb": (b"[1, 2, 3]", "not a Jupyter notebook"),
    "corrupt.zip": (b"PK\x03\x04 this is not really a zip", "corrupt"),
    "empty.zip": (_zip({}), "no notebook"),
    "nested.zip": (_zip({"inner.zip": _zip({"mnist.ipynb": NOTEBOOK})}), "only nested zips: inner.zip"),
    "two.zip": (_zip({"a.ipynb": NOTEBOOK, "b.ipynb": NOTEBOOK}), "2 notebooks"),
    "locked.zip": (_zip({"mnist.ipynb": NOTEBOOK}, encrypted=True), "password-protected"),
    # Hostile: each once stopped a whole batch or grew the grader by a gigabyte.
    "deep.ipynb": (b"[" * 100_000 + b"]" * 100_000, "nested too deep"),
    "huge.ipynb": (b" " * (Limits.max_upload + 1), "larger than 50 MB"),
    "bomb.zip": (_zip({"mnist.ipynb": b" " * 2**29}), "larger than 50 MB"),
    "crowded.zip": (_zip({**{f"{i}.txt": "" for i in range(10_001)}, "mnist.ipynb": NOTEBOOK}), "more than 10,000 files"),
}


@pytest.mark.parametrize("name", INVALID)
def test_invalid_upload_gets_a_reason(tmp_path, name):
    content, reason = INVALID[name]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidSubmission, match=reason) as error:
        read_notebook(path)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    "entries",
    [
        {"mnist.ipynb": NOTEBOOK, "../../escaped.txt": "x", "/abs.txt": "y", "mnist.pdf": "%PDF"},
        {"mnist.ipynb": NOTEBOOK, ".OTTER_LOG": "log"},
        {"folder/mnist.ipynb": NOTEBOOK, "__MACOSX/folder/._mnist.ipynb": "junk"},
    ],
    ids=["traversal-paths", "otter-export", "zipped-folder"],
)
def test_zip_gives_its_notebook_and_writes_nothing(tmp_path, entries):
    folder = tmp_path / "deep" / "down"
    folder.mkdir(parents=True)
    path = folder / "submission.zip"
    path.write_bytes(_zip(entries))
    assert json.loads(read_notebook(path)) == json.loads(NOTEBOOK)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["deep", "down", "submission.zip"]
