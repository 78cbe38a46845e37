"""Uploads that are not a readable notebook get a one-line reason, and nothing is written from them."""

import json

import pytest

from mnist_kit.submissions import InvalidSubmission, choose_notebook, read_notebook, read_upload
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


@pytest.mark.parametrize(
    "files, chosen, others",
    [
        ({"mnist.ipynb": 9000, ".ipynb_checkpoints/mnist-checkpoint.ipynb": 5000}, "mnist.ipynb", ()),
        ({"mnist/mnist.ipynb": 9000, "__MACOSX/mnist/._mnist.ipynb": 200, "mnist/.~mnist.ipynb": 10}, "mnist/mnist.ipynb", ()),
        ({"mnist.ipynb": 5000, "mnist-Copy1.ipynb": 9000, "mnist.ipynb.bak": 9500}, "mnist-Copy1.ipynb", ("mnist.ipynb",)),
        ({"deep/mnist.ipynb": 9000, "mnist.ipynb": 5000}, "mnist.ipynb", ("deep/mnist.ipynb",)),
        ({"export.zip": 100, "notes.txt": 10}, "export.zip", ()),
        ({"export.zip": 100, "mnist.ipynb": 10}, "mnist.ipynb", ()),  # a notebook before a zip
    ],
)
def test_which_file_is_graded_follows_the_stated_rule(files, chosen, others):
    choice = choose_notebook(files)
    assert (choice.chosen, choice.others) == (chosen, others)
    assert bool(choice.note) == bool(others) and all(other in choice.note for other in others)


@pytest.mark.parametrize("files", [{}, {"mnist.pdf": 10}, {".ipynb_checkpoints/mnist-checkpoint.ipynb": 10}])
def test_an_upload_without_a_candidate_says_what_to_upload(files):
    with pytest.raises(InvalidSubmission, match="no .ipynb or .zip file was submitted"):
        choose_notebook(files)


def test_a_zip_of_two_notebooks_grades_the_larger_and_names_the_other(tmp_path):
    larger = json.dumps({**json.loads(NOTEBOOK), "cells": [{"cell_type": "markdown", "metadata": {}, "source": "my work"}]})
    path = tmp_path / "two.zip"
    path.write_bytes(zipped({"a.ipynb": NOTEBOOK, "b.ipynb": larger, ".ipynb_checkpoints/b-checkpoint.ipynb": larger * 2}))
    assert json.loads(read_notebook(path)) == json.loads(larger)
    note = read_upload(path, 10**6).note
    assert note.startswith("graded b.ipynb, one of 2 notebooks") and "not graded: a.ipynb" in note


def test_of_two_notebooks_the_one_with_more_answers_is_graded_though_it_is_smaller(tmp_path):
    from mnist_kit.questions import QUESTIONS
    from sample_submissions import notebooks
    from sample_submissions.notebooks import Case

    stubs = {name: notebooks.UNANSWERED for q in list(QUESTIONS)[1:] for name in QUESTIONS[q].functions}
    worked = json.dumps(notebooks.make_notebook(Case("q1", functions=stubs)))
    untouched = notebooks.STUDENT_NOTEBOOK.read_text()
    assert len(worked) < len(untouched)
    path = tmp_path / "two.zip"
    path.write_bytes(zipped({"mnist.ipynb": untouched, "mine.ipynb": worked}))
    assert json.loads(read_notebook(path)) == json.loads(worked)
    note = read_upload(path, 10**7).note
    assert "graded mine.ipynb" in note and "not graded: mnist.ipynb" in note
