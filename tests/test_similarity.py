"""The similarity review: disguised copies found, independent work left alone, stable output, its command."""

import json
import os
import subprocess
import sys

import pytest

from mnist_kit import cli, grade, similarity
from mnist_kit.files import GradedFolder
from sample_submissions import notebooks, similar
from sample_submissions.notebooks import Case


@pytest.fixture(scope="module")
def review():
    students, copied = similar.disguised_class()
    return similarity.compare(students, similar.well_known()), copied


def test_every_disguised_copy_is_flagged_and_no_independent_pair_outranks_one(review):
    result, copied = review
    flagged = [tuple(sorted((p.a, p.b))) for p in result.pairs]
    assert set(flagged) >= copied, f"missed: {copied - set(flagged)}"
    assert flagged[: len(copied)] == [pair for pair in flagged if pair in copied]  # precision at len(copied): 1.0
    assert set(flagged) == copied


def test_a_pair_names_the_functions_copied_and_stands_above_the_class(review):
    result, _ = review
    transplant = next(p for p in result.pairs if {p.a, p.b} == {"copy_one_function", "original_loops"})
    assert transplant.functions == ("shuffle_split",)
    assert all(p.above > 0.99 for p in result.pairs)


@pytest.mark.parametrize(
    "disguise",
    [
        lambda s: s.replace("picked", "chosen_rows"),
        lambda s: s.replace("\n", "\n\n    # a comment\n", 1),
        lambda s: s.replace("    picked = order[:n]", "    picked = order[:n]  # first n"),
        lambda s: s.replace('"""Doc."""', '"""Another docstring,\n    on two lines."""'),
        lambda s: s.replace("0.5", "2"),
    ],
    ids=["rename", "comment line", "trailing comment", "docstring", "literal"],
)
def test_normalisation_ignores_what_disguise_changes(disguise):
    source = 'def pick(X, n):\n    """Doc."""\n    order = np.argsort(X[:, 0] * 0.5)\n    picked = order[:n]\n    return X[picked]\n'
    tokens = [text for text, _ in similarity.normalised_tokens(source)]
    assert [text for text, _ in similarity.normalised_tokens(disguise(source))] == tokens
    assert len(tokens) > 20


def test_library_names_are_kept_and_local_names_are_not():
    source = "def f(X):\n    model = SGDClassifier(loss='log_loss').fit(X, y)\n    return model\n"
    tokens = [text for text, _ in similarity.normalised_tokens(source)]
    assert "SGDClassifier" in tokens and "fit" in tokens and "model" not in tokens and "X" not in tokens


def test_fingerprints_are_the_same_in_every_process():
    source = similar.ORIGINALS["original_loops"]["shuffle_split"]
    here = [f.hash for f in similarity.fingerprint("shuffle_split", source)]
    code = f"from mnist_kit import similarity; print([f.hash for f in similarity.fingerprint('shuffle_split', {source!r})])"
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        assert json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout) == here


ANOTHER_PROCESS = (
    "import sys; from mnist_kit import similarity; from mnist_kit.files import GradedFolder; from sample_submissions import similar; "
    "similarity.write_review(GradedFolder(sys.argv[1]), similarity.compare(similar.disguised_class()[0], similar.well_known()))"
)


def test_the_review_is_byte_identical_in_another_process_and_in_plain_words(review, tmp_path):
    result, _ = review
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    similarity.write_review(GradedFolder(first), result)
    env = {**os.environ, "PYTHONHASHSEED": "7"}
    subprocess.run([sys.executable, "-c", ANOTHER_PROCESS, str(second)], check=True, env=env, cwd=notebooks.ROOT, timeout=120)
    assert (first / "similarity.csv").read_bytes() == (second / "similarity.csv").read_bytes()
    rows = (first / "similarity.csv").read_text().splitlines()
    assert rows[0] == "submission_a,submission_b,score,shared_fingerprints,above_share_of_pairs,functions"
    assert len(rows) == len(result.pairs) + 1
    pages = sorted((first / "similarity").glob("*.html"))
    assert len(pages) == len(result.pairs)
    text = (first / "similarity.html").read_text() + pages[0].read_text()
    assert "similar code, for review" in text.lower() and "plagiari" not in text.lower()
    assert "Removed as common code" in text and "class=shared" in pages[0].read_text()
    assert "<code>" in text  # each removed common fingerprint is shown with its line of code


def test_mnist_kit_similarity_reads_a_graded_folder(tmp_path, capsys):
    out = GradedFolder(tmp_path / "graded")
    out.results.mkdir(parents=True)
    copied = similar.ORIGINALS["original_loops"]
    renamed = {function: similar._renamed(source, {"generator": "g"}) for function, source in copied.items()}
    for name, functions in {"ann": copied, "bob": renamed, "cy": {}}.items():
        path = tmp_path / f"{name}.ipynb"
        path.write_text(json.dumps(notebooks.make_notebook(Case(name, functions=functions))))
        out.result(name).write_text(json.dumps(grade.invalid_result("not graded here").replace(submission=name, file=str(path)).to_json()))
    gone = grade.invalid_result("not graded here").replace(submission="gone", file=str(tmp_path / "deleted.ipynb"))
    out.result("gone").write_text(json.dumps(gone.to_json()))
    assert cli.main(["similarity", str(out.root), "--jobs", "1"]) == 0
    printed = capsys.readouterr()
    assert "ann and bob" in printed.out and "gone: not compared" in printed.err
    assert out.similarity.read_text().splitlines()[1].startswith("ann,bob,")
    assert 'href="similarity.html">1 pair(s)' in out.report.read_text()


def test_mnist_kit_similarity_on_a_folder_never_graded_says_so_in_one_line(tmp_path, capsys):
    assert cli.main(["similarity", str(tmp_path)]) == 1
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "run mnist-kit grade --out" in error
