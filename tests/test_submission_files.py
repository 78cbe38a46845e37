"""Uploads that are not a readable notebook get a one-line reason, and nothing is written from them."""

import json

import pytest

from mnist_kit.grade import InvalidSubmission, read_notebook
from sample_submissions.uploads import INVALID, NOTEBOOK, invalid_content, zipped


@pytest.mark.parametrize("name", INVALID)
def test_invalid_upload_gets_a_reason(tmp_path, name):
    content, reason = invalid_content(name), INVALID[name][1]
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
    path.write_bytes(zipped(entries))
    assert json.loads(read_notebook(path)) == json.loads(NOTEBOOK)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["deep", "down", "submission.zip"]
