"""Written answers: the text of each written question's answer cell, read from a notebook, never run.

Otter Assign gives a manually graded question (``manual: true``) a Markdown answer cell tagged
``otter_answer_cell``, holding a placeholder the student replaces, and wraps the question in
``<!-- BEGIN QUESTION -->`` ... ``<!-- END QUESTION -->`` (each marker merged into the Markdown
cell beside it). The k-th written question's
answer is the text of the tagged cells inside the k-th such region (or, where a student deleted
the markers, the k-th tagged cell). The text is the student's: it is cut to
:data:`MAX_ANSWER_CHARS`, stored and shown as text, never as HTML, and never judged by a machine.
"""

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .notebook_source import cell_source
from .results import PLACEHOLDER, WrittenAnswer

ANSWER_TAG = "otter_answer_cell"
# The reference's answer, in the autograder's notebook (a student's notebook never has it).
SOLUTION_TAG = "otter_assign_solution_cell"
BEGIN, END = "<!-- BEGIN QUESTION -->", "<!-- END QUESTION -->"
MAX_ANSWER_CHARS = 20_000


def _tagged(cell: Mapping[str, Any]) -> bool:
    metadata = cell.get("metadata")
    tags = metadata.get("tags") if isinstance(metadata, dict) else None
    return cell.get("cell_type") == "markdown" and isinstance(tags, list) and bool({ANSWER_TAG, SOLUTION_TAG} & set(map(str, tags)))


def _joined(texts: list[str]) -> str:
    """The cells of one answer as one text; a placeholder left beside the answer is not part of it."""
    written = [text for text in texts if text.strip() != PLACEHOLDER]
    return "\n\n".join(written or texts)


def answer_cells(notebook: Mapping[str, Any]) -> list[str]:
    """The text of each written question's answer, in notebook order (one entry per question region, or per tagged cell)."""
    cells = [cell for cell in notebook.get("cells", []) if isinstance(cell, dict)]
    regions: list[list[str]] = []
    inside = False
    for cell in cells:
        text = cell_source(cell) if cell.get("cell_type") == "markdown" else ""
        # Otter Assign merges each marker into the Markdown cell beside it (the prompt, the next text).
        if END in text:
            inside = False
        if BEGIN in text:
            regions.append([])
            inside = True
        elif inside and _tagged(cell):
            regions[-1].append(cell_source(cell))
    if regions and all(regions):
        return [_joined(region) for region in regions]
    return [cell_source(cell) for cell in cells if _tagged(cell)]


def answer_line(question: str, answer: WrittenAnswer) -> str:
    """What a student is told of a written answer before the due date: whether it is there, never whether it is right.

    Examples
    --------
    >>> answer_line("q7", WrittenAnswer("4s look like 9s"))
    'q7 (written, marked by hand): your answer is there (4 words).'
    >>> answer_line("q7", WrittenAnswer(PLACEHOLDER))  # doctest: +ELLIPSIS
    'q7 (written, marked by hand): ✗ not answered yet: its cell still holds the text "_Type your answer here, ..._"; write...'
    """
    if answer.state == "answered":
        words = len(answer.text.split())
        return f"{question} (written, marked by hand): your answer is there ({words} word{'s' * (words != 1)})."
    if answer.state == "untouched":
        still = f'its cell still holds the text "{PLACEHOLDER}"'
        return f"{question} (written, marked by hand): ✗ not answered yet: {still}; write your answer over it, then save."
    return f"{question} (written, marked by hand): ✗ empty: write your answer in its cell, then save."


def kit_child_environment() -> dict[str, str]:
    """The environment of a child ``python -P -m mnist_kit...``: this kit found where it is, never in the current folder.

    ``-P`` keeps the current folder (an instructor's, which may hold a student's ``numpy.py``) off
    ``sys.path``; the Gradescope bundle's kit is found only there, so its folder is named instead.
    """
    kit_parent = str(Path(__file__).resolve().parent.parent)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [kit_parent, os.environ.get("PYTHONPATH")]))}


def written_in_child(raw: bytes, names: Sequence[str], timeout: float = 120) -> dict[str, WrittenAnswer]:
    """The written questions ``names``' answers in the notebook ``raw`` (bytes a student controls), read in a child process.

    The notebook's JSON is parsed there, under ``mnist_kit.untrusted.PARSER_MEMORY`` (50 MB
    of JSON can become over a GiB of Python objects, which must never land on the grader); the
    grader reads back at most the answers' bounded text. A notebook the child cannot read has no
    answers (an empty one each): the grade's own reading of the upload has said why already.
    """
    from .untrusted import PARSER_MEMORY, UntrustedBytes, parse_json  # the grader's side only: the child needs no numpy

    if not names:
        return {}
    command = ["prlimit", f"--as={PARSER_MEMORY}", "--", sys.executable, "-P", "-m", "mnist_kit.written", *names]
    try:
        done = subprocess.run(command, input=raw, capture_output=True, timeout=timeout, env=kit_child_environment())
    except subprocess.TimeoutExpired:
        done = None
    # JSON escapes a character in at most 12 bytes (a surrogate pair, each as \\uXXXX).
    if done is None or done.returncode != 0 or len(done.stdout) > len(names) * (12 * MAX_ANSWER_CHARS + 200):
        return {name: WrittenAnswer("") for name in names}
    try:
        read = parse_json(done.stdout, "the written answers")
        return {name: WrittenAnswer.from_json(read[name]) for name in names}
    except (UntrustedBytes, KeyError, TypeError, AttributeError):
        return {name: WrittenAnswer("") for name in names}


def main() -> None:
    """Print the answers of the notebook on standard input, for the written questions named in the arguments, as JSON."""
    try:
        notebook = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        sys.exit(3)
    answers = written_answers(notebook if isinstance(notebook, dict) else {}, sys.argv[1:])
    sys.stdout.write(json.dumps({name: answer.to_json() for name, answer in answers.items()}))


def written_answers(notebook: Mapping[str, Any], names: Sequence[str]) -> dict[str, WrittenAnswer]:
    """Each of the written questions ``names``' answer in ``notebook`` (empty where the notebook has none), bounded."""
    texts = answer_cells(notebook)
    answers = {}
    for index, name in enumerate(names):
        text = texts[index] if index < len(texts) else ""
        answers[name] = WrittenAnswer(text[:MAX_ANSWER_CHARS], len(text) > MAX_ANSWER_CHARS)
    return answers


if __name__ == "__main__":
    main()
