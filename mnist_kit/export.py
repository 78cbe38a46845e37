"""``grader.export()``: zip the notebook the student is working in, checked current, with a receipt.

Students lose work in three ways at upload time (otter-grader's reports #444, #449, #474): they
export a notebook other than the one they worked in (a copy, a renamed file), they export before
saving, or they upload a file the grade finds nothing in. So :func:`export`

* finds the running notebook's own file (:func:`find_notebook`): an explicit name, VS Code's
  ``__vsc_ipynb_file__``, the Jupyter server's session of this kernel, or ``JPY_SESSION_NAME``;
  never a name written in the notebook, and it refuses with one line when it cannot tell;
* refuses when the saved file's graded functions are not the ones the kernel last ran, saying
  why and the one thing to do (:func:`mnist_kit.kernel_state.stale_lines`);
* prints a :class:`Receipt`: per question, the functions the grade will find and the cell each is
  in, syntax errors, notebook variables a graded function reads, and the zip's SHA-256. Gradescope
  shows the same receipt (:func:`receipt`, computed from the uploaded file) at upload time.

Imported in the student's kernel only when ``grader.export()`` runs; nothing here is used by grading.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import os
import symtable
import time
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import notebook_source
from .kernel_state import stale_lines
from .written import answer_line, kit_child_environment, written_answers

SAVE_FIRST = "save the notebook (Ctrl-S / Cmd-S), then run this cell again"
MAX_CELL_CHARACTERS = 200_000  # far above any answer cell; a larger one is listed, not parsed


class ExportError(Exception):
    """The notebook cannot be exported as it is; the message says why and what to do, in one line."""


@dataclass(frozen=True)
class FoundFunction:
    """One graded function as the grade will find it in the notebook."""

    name: str
    cell: str | None  # the cell defining it, as a student finds it; None when no cell does
    unanswered: bool  # its body is still the stub's ``raise NotImplementedError``
    reads: tuple[str, ...]  # the notebook's own variables it reads, which do not exist when graded

    def describe(self) -> str:
        if self.cell is None:
            return f"{self.name}: NOT FOUND (no cell defines it; the grade gives this question no points)"
        notes = ["still raises NotImplementedError"] if self.unanswered else []
        notes += [f"reads the notebook's variable {name}, which does not exist when graded" for name in self.reads]
        return f"{self.name}: {self.cell}" + "".join(f"; {note}" for note in notes)


@dataclass(frozen=True)
class Receipt:
    """What the grade will see in a notebook: each question's functions, and the cells it cannot read."""

    notebook: str
    questions: tuple[tuple[str, tuple[FoundFunction, ...]], ...]
    problems: tuple[str, ...]  # cells that are not Python (syntax errors) or too long to read
    sha256: str | None = None  # of the zip, once written
    written: tuple[str, ...] = ()  # a line for each written question: is the answer there (never judged)

    def lines(self) -> list[str]:
        lines = [f"Receipt for {self.notebook}: what the grade will find in it (code cells counted from the top)"]
        for question, functions in self.questions:
            lines += [f"  {question}  {function.describe()}" for function in functions]
        lines += [f"  {line}" for line in self.written]
        lines += [f"  ✗ {problem} (the grade skips that cell)" for problem in self.problems]
        if self.sha256:
            lines.append(f"  zip SHA-256 {self.sha256}")
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())


def receipt(notebook: dict[str, Any], name: str) -> Receipt:
    """The :class:`Receipt` of ``notebook`` (nbformat 4 JSON, as a dict) named ``name``.

    It reads the code as the grade does (:func:`mnist_kit.notebook_source.definition_statements`) and never
    runs it, so the grader may compute it on any upload.

    Examples
    --------
    >>> made = receipt({"cells": []}, "empty.ipynb")
    >>> made.lines()[0], all(found.cell is None for _, functions in made.questions for found in functions)
    ('Receipt for empty.ipynb: what the grade will find in it (code cells counted from the top)', True)
    """
    from .questions import QUESTIONS, WRITTEN

    cells = notebook.get("cells", []) if isinstance(notebook, dict) else []
    readable = [_bounded(cell) for cell in cells]
    code = [(i, cell) for i, cell in enumerate((c for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"), 1)]
    too_long = [
        notebook_source.cell_label(i, notebook_source.cell_source(cell)) + " is too long to read" for i, cell in code if _too_long(cell)
    ]
    statements, problems = notebook_source.definition_statements({"cells": readable})
    problems += [
        f"{notebook_source.cell_label(i, notebook_source.cell_source(cell))} {newer}"
        for i, cell in code
        if (newer := newer_syntax(notebook_source.cell_source(_bounded(cell))))
    ]
    variables = notebook_source.notebook_variables({"cells": readable})
    defined = {}
    for label, source in statements:
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef):
                defined[node.name] = (label, node, source)  # a later definition wins, as when the cells run
    questions = []
    for question, unit in QUESTIONS.items():
        found = []
        for function in unit.functions:
            if function not in defined:
                found.append(FoundFunction(function, None, False, ()))
                continue
            label, node, source = defined[function]
            reads = tuple(sorted(_globals_read(ast.get_source_segment(source, node) or "", function) & variables))
            # The cell by its number among the code cells, and the function's own def line, which a search finds.
            def_line = source.splitlines()[node.lineno - 1].strip()
            found.append(FoundFunction(function, f"{label.split(' (', 1)[0]}, at {def_line}", _is_stub(node), reads))
        questions.append((question, tuple(found)))
    answers = written_answers(notebook if isinstance(notebook, dict) else {}, list(WRITTEN))
    lines = tuple(answer_line(question, answer) for question, answer in answers.items())
    return Receipt(name, tuple(questions), tuple(problems + too_long), written=lines)


def newer_syntax(source: str) -> str:
    """What in ``source`` the grader's Python (:data:`~mnist_kit.spec.GRADER_PYTHON`) cannot read though this one can, or "".

    A student on Python 3.12 or 3.13 may write what 3.11 refuses: a ``type`` statement, type
    parameters, or an f-string that reuses its own quotes inside its braces (``f"{row["x"]}"``,
    which ``feature_version`` does not catch, so the f-string's tokens are read here).

    Examples
    --------
    >>> newer_syntax("x = 1")
    ''
    """
    import io
    import sys
    import tokenize

    from .spec import GRADER_PYTHON

    grader = ".".join(map(str, GRADER_PYTHON))
    try:
        ast.parse(source)
    except SyntaxError:
        return ""  # a syntax error on every Python: said as such
    try:
        ast.parse(source, feature_version=GRADER_PYTHON)
    except SyntaxError as error:
        return f"uses, on its line {error.lineno}, syntax the grader's Python {grader} cannot read ({error.msg}): rewrite it"
    if sys.version_info < (3, 12):
        return ""
    quotes: list[str] = []  # the quote of each f-string open around the current token
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            name = tokenize.tok_name[token.type]
            if name == "FSTRING_START":
                if quotes and quotes[-1] in token.string:
                    return _reused_quotes(token.start[0], grader)
                quotes.append(token.string.lstrip("rRbBfF"))
            elif name == "FSTRING_END":
                quotes.pop()
            elif name == "STRING" and quotes and token.string.lstrip("rRbBuU").startswith(quotes[-1][0]):
                return _reused_quotes(token.start[0], grader)
    except (tokenize.TokenError, SyntaxError, IndexError):
        return ""
    return ""


def _reused_quotes(line: int, grader: str) -> str:
    return (
        f"uses, on its line {line}, an f-string that reuses its own quotes inside its braces, which the grader's "
        f"Python {grader} cannot read: use the other kind of quotes inside (f\"{{row['x']}}\")"
    )


RECEIPT_MEMORY = 2 * 2**30
MAX_RECEIPT_BYTES = 64_000


def receipt_in_child(raw: bytes, name: str, timeout: float = 60) -> str:
    """The receipt of the notebook ``raw`` (bytes a student controls) as text, made in a child process.

    The child may use :data:`RECEIPT_MEMORY` and ``timeout`` seconds; the grader keeps only its
    first :data:`MAX_RECEIPT_BYTES` of output. Parsing there also keeps Python's parser out of the
    grader's threads (Python 3.11 cannot parse in two threads at once, CPython gh-106905).
    """
    import subprocess
    import sys

    command = ["prlimit", f"--as={RECEIPT_MEMORY}", "--", sys.executable, "-P", "-m", "mnist_kit.export", name]
    try:
        done = subprocess.run(command, input=raw, capture_output=True, timeout=timeout, env=kit_child_environment())
    except subprocess.TimeoutExpired:
        return "No receipt: the upload takes too long to read"
    text = done.stdout[:MAX_RECEIPT_BYTES].decode("utf-8", "replace")
    return text.rstrip() if done.returncode == 0 else "No receipt: " + (text.strip() or "the upload is too large to read")


def find_notebook(namespace: dict[str, Any], explicit: str | Path | None = None) -> Path:
    """The path of the notebook this kernel runs, or ``explicit`` when given.

    Raises
    ------
    ExportError
        When no source names the notebook, or the file named is not there.
    """
    for candidate in (explicit, namespace.get("__vsc_ipynb_file__"), _jupyter_session_path(), _session_name()):
        if candidate:
            path = Path(candidate).expanduser()
            if not path.is_absolute():
                path = Path.cwd() / path
            if path.suffix != ".ipynb":
                raise ExportError(f'{path.name} is not a notebook: pass the .ipynb file\'s name, grader.export("mine.ipynb")')
            if not path.is_file():
                raise ExportError(f'{path} does not exist: save the notebook, or pass its file name, grader.export("mine.ipynb")')
            return path
    raise ExportError('cannot tell which notebook this kernel runs: pass its file name, for example grader.export("mnist.ipynb")')


def export(namespace: dict[str, Any], nb_path: str | Path | None = None, export_path: str | Path | None = None) -> tuple[Path, Receipt]:
    """Zip the running notebook beside it and return ``(zip path, Receipt)``.

    Raises
    ------
    ExportError
        When the notebook cannot be found, cannot be read, or was not saved since its graded
        functions last ran.
    """
    path = find_notebook(namespace, nb_path)
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ExportError(f"{path.name} cannot be read as a notebook ({error}): {SAVE_FIRST}") from None
    from .questions import QUESTIONS

    graded = [f for unit in QUESTIONS.values() for f in unit.functions]
    stale = stale_lines(notebook, namespace, graded, path, for_export=True)
    if stale:
        more = f" ({len(stale) - 1} more like it)" if len(stale) > 1 else ""
        raise ExportError(f"{stale[0]}, then run this cell again{more}")
    zip_path = Path(export_path) if export_path else _new_zip_path(path)
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(path, path.name)
    digest = hashlib.sha256(zip_path.read_bytes()).hexdigest()
    made = receipt(notebook, path.name)
    return zip_path, dataclasses.replace(made, sha256=digest)


def _new_zip_path(notebook: Path) -> Path:
    """A zip path beside ``notebook``, named by the time, that no file has: two exports in one second never overwrite one another.

    The file is created here (exclusively), so two exports at once cannot take the same name either.
    """
    stem = f"{notebook.stem}_{time.strftime('%Y_%m_%dT%H_%M_%S')}"
    for attempt in range(1, 1000):
        candidate = notebook.with_name(f"{stem}.zip" if attempt == 1 else f"{stem}_{attempt}.zip")
        try:
            candidate.open("xb").close()
        except FileExistsError:
            continue
        return candidate
    raise ExportError(f"{notebook.parent} already holds 999 exports from this second: remove some, then export again")


def _jupyter_session_path() -> str | None:
    """The notebook of this kernel's session, asked of the Jupyter servers running on this machine."""
    try:
        from ipykernel.connect import get_connection_file
        from jupyter_server.serverapp import list_running_servers

        kernel = Path(get_connection_file()).stem.removeprefix("kernel-")
        servers = list(list_running_servers())
    except Exception:  # noqa: BLE001 - not in a Jupyter kernel, or no server: other sources may know
        return None
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # the server is local
    for server in servers:
        request = urllib.request.Request(
            server["url"].rstrip("/") + "/api/sessions", headers={"Authorization": f"token {server.get('token', '')}"}
        )
        try:
            with opener.open(request, timeout=3) as response:
                sessions = json.load(response)
        except (OSError, ValueError):
            continue
        for session in sessions if isinstance(sessions, list) else []:
            if (session.get("kernel") or {}).get("id") == kernel and session.get("path"):
                return str(Path(server.get("root_dir") or server.get("notebook_dir") or ".") / session["path"])
    return None


def _session_name() -> str | None:
    """The notebook Jupyter started this kernel for (it may have been renamed since; the server knows)."""
    return os.environ.get("JPY_SESSION_NAME") or None


def _too_long(cell: dict[str, Any]) -> bool:
    return isinstance(cell, dict) and cell.get("cell_type") == "code" and len(notebook_source.cell_source(cell)) > MAX_CELL_CHARACTERS


def _bounded(cell: dict[str, Any]) -> dict[str, Any]:
    """A cell as the receipt reads it: a code cell too long to parse becomes empty (and is listed)."""
    if not isinstance(cell, dict):
        return {}
    return {**cell, "source": ""} if _too_long(cell) else cell


def _is_stub(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    body = node.body[1:] if node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant) else node.body
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    raised = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"


def _globals_read(source: str, name: str) -> set[str]:
    """The global names a function's source reads (its parameters and locals left out)."""
    try:
        table = symtable.symtable(source, "<receipt>", "exec").lookup(name).get_namespace()
    except (SyntaxError, KeyError, ValueError):
        return set()
    found, pending = set(), [table]
    while pending:
        current = pending.pop()
        found |= {s.get_name() for s in current.get_symbols() if s.is_global() and s.is_referenced()}
        pending += current.get_children()
    return found


def main() -> int:
    """``python -m mnist_kit.export NAME < notebook.ipynb`` prints the notebook's receipt (:func:`receipt_in_child`)."""
    import sys

    try:
        notebook = json.loads(sys.stdin.buffer.read().decode("utf-8"))
        print(receipt(notebook if isinstance(notebook, dict) else {}, sys.argv[1]))
    except (UnicodeDecodeError, ValueError, RecursionError, SyntaxError) as error:
        print(f"the upload cannot be read as a notebook ({type(error).__name__})")
        return 3
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
