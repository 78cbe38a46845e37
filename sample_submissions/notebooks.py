"""Make submission notebooks from short snippets: the student release with its stubs filled in.

A case names the functions it writes its own way; every other stub gets the reference answer,
so a case that breaks one question leaves the others earning their points. Extra cells go just
before the first answer cell, where a student would put their own helpers.
"""

import ast
import copy
import json
import os
import textwrap
import threading
from dataclasses import dataclass, field
from pathlib import Path

from mnist_kit.questions import QUESTIONS, WRITTEN

ROOT = Path(__file__).resolve().parents[1]
STUDENT_NOTEBOOK = ROOT / "assignment" / "mnist.ipynb"
REFERENCE_NOTEBOOK = ROOT / "autograder" / "mnist.ipynb"
ANSWER_TAG = "otter_answer_cell"
UNANSWERED = "unanswered"  # a function snippet value: leave the stub as the student release has it


@dataclass(frozen=True)
class Case:
    """One submission and the verdict it must get.

    ``fails`` lists the questions that must lose points (all others must earn full points), and
    ``earns_nothing`` those of them that must score exactly 0 (work that does nothing useful earns
    no side check); ``status`` is the submission's expected status in the gradebook.
    """

    name: str
    functions: dict = field(default_factory=dict)
    cells: tuple = ()
    fails: tuple = ()
    status: str = "graded"
    earns_nothing: tuple = ()
    written: dict = field(default_factory=dict)  # a written question's answer text, by question (default: left untouched)


def graded_questions(case):
    """The questions a case's verdict is about: those whose functions it writes, and those it must lose.

    The other questions run the reference's functions, whose verdict the right cases prove; a case
    that adds cells of its own, or that must end with another status, is about every question.
    """
    if case.cells or case.status != "graded":
        return tuple(QUESTIONS)
    touched = {name for name, unit in QUESTIONS.items() if set(unit.functions) & set(case.functions)} | set(case.fails)
    return tuple(name for name in QUESTIONS if name in touched)


def _source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _functions_by_name(notebook):
    """Every function defined in an answer cell, by name, as source text."""
    found = {}
    for cell in notebook["cells"]:
        if ANSWER_TAG in cell.get("metadata", {}).get("tags", []) or _source(cell).startswith("def "):
            source = _source(cell)
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            for node in tree.body:
                if isinstance(node, ast.FunctionDef):
                    found[node.name] = ast.get_source_segment(source, node)
    return found


def _load(path):
    return json.loads(Path(path).read_text())


# Python 3.11's ast.parse is not thread-safe ("AST constructor recursion depth mismatch" when two
# threads parse at once, CPython gh-106905), and the suites build notebooks inside thread pools.
_PARSING = threading.Lock()


def make_notebook(case):
    """Return the notebook (as a dict) for ``case``; safe to call from several threads."""
    with _PARSING:
        return _make_notebook(case)


def _make_notebook(case):
    student, reference = _load(STUDENT_NOTEBOOK), _functions_by_name(_load(REFERENCE_NOTEBOOK))
    stubs = _functions_by_name(student)
    notebook = copy.deepcopy(student)
    first_answer = None
    written_cells = [c for c in notebook["cells"] if c["cell_type"] == "markdown" and ANSWER_TAG in c.get("metadata", {}).get("tags", [])]
    for name, cell in zip(WRITTEN, written_cells, strict=False):
        if name in case.written:
            cell["source"] = case.written[name]
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code" or ANSWER_TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        first_answer = index if first_answer is None else first_answer
        names = [n.name for n in ast.parse(_source(cell)).body if isinstance(n, ast.FunctionDef)]
        parts = []
        for name in names:
            chosen = case.functions.get(name)
            if chosen == UNANSWERED:
                parts.append(stubs[name])
            elif chosen is not None:
                parts.append(textwrap.dedent(chosen).strip())
            else:
                parts.append(reference[name])
        cell["source"] = "\n\n\n".join(parts) + "\n"
    extra = [
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": textwrap.dedent(src).strip() + "\n",
            "id": f"extra-{i}",
        }
        for i, src in enumerate(case.cells)
    ]
    notebook["cells"][first_answer:first_answer] = extra
    return notebook


def write_cases(cases, folder):
    """Write one ``<case name>.ipynb`` per case into ``folder``; return their paths by case name."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for case in cases:
        paths[case.name] = folder / f"{case.name}.ipynb"
        paths[case.name].write_text(json.dumps(make_notebook(case), indent=1))
    return paths


def without_demos(notebook, first_self_contained="q4"):
    """``notebook`` without the demo cells of the questions whose public tests need none of them.

    From the answer cell of ``first_self_contained`` on, only answer cells and ``grader.check``
    cells are kept: the public tests of q4-q6 load a fresh copy of the data and take the
    student's functions as arguments, so the cells that only show things there (fitting demo
    models on all 60,000 images, plots, the export) cannot change what ``grader.check`` says,
    and they are most of a notebook's run time. q1-q3's tests read the notebook's variables
    (``X_train``, ``y_train_2``...), so everything before stays.
    """
    first_function = QUESTIONS[first_self_contained].functions[0]
    kept, reached = copy.deepcopy(notebook), False
    cells = []
    for cell in kept["cells"]:
        is_answer = ANSWER_TAG in cell.get("metadata", {}).get("tags", [])
        reached = reached or (is_answer and f"def {first_function}(" in _source(cell))
        if not reached or cell["cell_type"] != "code" or is_answer or _source(cell).startswith("grader.check("):
            cells.append(cell)
    kept["cells"] = cells
    return kept


def execute_as_student(notebook, folder):
    """Run ``notebook`` top to bottom in a copy of the student release, as a student would.

    Returns
    -------
    checks : dict of str to str
        For each ``grader.check("qN")`` cell, what it showed (``"qN: all 3 public checks pass."`` when they do).
    errors : list of str
        The error name and first line of every cell that raised.
    """
    import shutil

    shutil.copytree(ROOT / "assignment", folder, symlinks=False)
    return execute_in_release(notebook, folder)


def execute_in_release(notebook, folder):
    """Save ``notebook`` as ``mnist.ipynb`` in ``folder`` (a student release) and run it there.

    Returns what :func:`execute_as_student` returns.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(folder) / "mnist.ipynb"
    path.write_text(json.dumps(notebook))
    node = nbformat.reads(json.dumps(notebook), as_version=4)
    client = NotebookClient(node, timeout=600, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(folder)}})
    client.execute(env={**os.environ, "JPY_SESSION_NAME": str(path)})  # as Jupyter's server starts a notebook's kernel
    checks, errors = {}, []
    for cell in node.cells:
        if cell.cell_type != "code":
            continue
        text = "\n".join(output.get("text", "") + str(output.get("data", {}).get("text/plain", "")) for output in cell.outputs)
        errors += [f"{o['ename']}: {o['evalue']}" for o in cell.outputs if o.get("output_type") == "error"]
        if cell.source.startswith("grader.check("):
            checks[cell.source.split('"')[1]] = text.strip()
    return checks, errors


def run_in_kernel(client, code, timeout):
    """Run ``code`` through a Jupyter kernel ``client``: what it printed or displayed, and the errors it raised."""
    printed, raised = [], []

    def keep(message):
        content = message["content"]
        if message["msg_type"] == "stream":
            printed.append(content["text"])
        elif message["msg_type"] in ("execute_result", "display_data"):
            printed.append(str(content["data"].get("text/plain", "")))
        elif message["msg_type"] == "error":
            raised.append(f"{content['ename']}: {content['evalue']}")

    client.execute_interactive(code, timeout=timeout, output_hook=keep)
    return "".join(printed), raised


def work_in_jupyter_server(filled, folder, copy_name):
    """A student's session in a real Jupyter server started in ``folder`` (a student release).

    The student duplicates the release's notebook (Jupyter names the copy ``mnist-Copy1.ipynb``),
    opens it (the server starts its kernel), types in the code of ``filled`` and runs every cell but
    the export, renames the notebook to ``copy_name`` while its kernel runs (as JupyterLab does: the
    file, then the session), exports without saving (which must refuse), saves, and exports again.

    Returns
    -------
    dict
        ``checks`` and ``errors`` as :func:`execute_as_student` gives them, and ``unsaved`` and
        ``saved``: what each ``grader.export()`` printed.
    """
    import secrets
    import socket
    import subprocess
    import sys
    import time
    import urllib.parse
    import urllib.request

    from jupyter_client import BlockingKernelClient

    folder = Path(folder)
    token, runtime = secrets.token_hex(16), folder.parent / "jupyter-runtime"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime), "JUPYTER_CONFIG_DIR": str(folder.parent / "jupyter-config")}
    log = open(folder.parent / "jupyter-server.log", "wb")  # noqa: SIM115 - the server's, closed when it is
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
         "--ServerApp.ip=127.0.0.1", "--ServerApp.open_browser=False", f"--ServerApp.root_dir={folder}",
         "--ServerApp.allow_root=True"],  # CI runs as root
        env=env, stdout=log, stderr=log,
    )  # fmt: skip
    base, opener = f"http://127.0.0.1:{port}/api", urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def api(method, path, body=None):
        request = urllib.request.Request(
            base + path, method=method, data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
        )  # fmt: skip
        with opener.open(request, timeout=30) as response:
            return json.load(response)

    try:
        for _ in range(600):
            try:
                api("GET", "/status")
                break
            except OSError:
                if server.poll() is not None:
                    said = (folder.parent / "jupyter-server.log").read_text()[-2000:]
                    raise RuntimeError(f"the Jupyter server stopped: {said}") from None
                time.sleep(0.1)
        first_name = api("POST", "/contents", {"copy_from": "mnist.ipynb"})["path"]
        session = api("POST", "/sessions", {"path": first_name, "type": "notebook", "kernel": {"name": "python3"}})
        client = BlockingKernelClient(connection_file=str(runtime / f"kernel-{session['kernel']['id']}.json"))
        client.load_connection_file()
        client.start_channels()
        client.wait_for_ready(timeout=120)

        def run(code):
            return run_in_kernel(client, code, timeout=900)

        checks, errors = {}, []
        for cell in filled["cells"]:
            source = _source(cell)
            if cell["cell_type"] != "code" or source.startswith("grader.export("):
                continue
            text, raised = run(source)
            errors += raised
            if source.startswith("grader.check("):
                checks[source.split('"')[1]] = text.strip()
        # Renamed while the kernel runs: the kernel's JPY_SESSION_NAME still names the old file.
        api("PATCH", "/contents/" + urllib.parse.quote(first_name), {"path": copy_name})
        api("PATCH", f"/sessions/{session['id']}", {"path": copy_name})
        unsaved, raised = run("grader.export()")
        errors += raised
        api("PUT", "/contents/" + urllib.parse.quote(copy_name), {"type": "notebook", "format": "json", "content": filled})
        saved, raised = run("grader.export()")
        errors += raised
        client.stop_channels()
        return {"checks": checks, "errors": errors, "unsaved": unsaved, "saved": saved}
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
