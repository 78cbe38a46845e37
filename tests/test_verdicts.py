"""Every submission in the suite gets exactly its expected verdict, from both grading entry points, on any draw.

The tests that grade are slow. The broken and tampering cases (with q5 and q6 left as stubs
unless they are about them, see :func:`lean`) and two copies of a right one go through
``mnist-kit grade`` whole; the honest cases (right and wrong work) are graded on
the questions they are about (``notebooks.graded_questions``), several to a notebook when they are
about different questions (see :func:`packed`), and again under two more seeds on the questions
whose inputs change with the seed; a subset goes through the Gradescope bundle's own
``run_autograder`` (see :data:`BUNDLE_CASES`). :data:`AT_ONCE` gradings run at a time.
"""

import dataclasses
import inspect
import json
import multiprocessing
import os
import re
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest

from mnist_kit import grade, pipeline, sandbox, spec
from mnist_kit.files import GradedFolder
from mnist_kit.options import GradingOptions
from mnist_kit.questions import QUESTIONS, TOTAL_POINTS
from mnist_kit.results import Result, Status
from sample_submissions import cases, notebooks
from sample_submissions.notebooks import Case

ROOT = Path(__file__).resolve().parent.parent
# The "runs forever" case waits (without computing) this long before its step is stopped. Time
# limits are in CPU-s, so how many gradings share the cores changes no verdict; this wait is
# wall-clock time, and an honest step computes all along (the slowest takes about 5 CPU-s).
IDLE_TIMEOUT = 45.0
# Gradings (and student kernels) at once on two cores: while the "runs forever" case waits out
# its step limit, and while kernels start, the others keep both cores busy.
AT_ONCE = 3


LIMITS = sandbox.Limits(timeout=400, idle_timeout=IDLE_TIMEOUT, threads=1)
HONEST = cases.RIGHT + cases.WRONG
COPIED = next(c for c in cases.RIGHT if c.name == "right_unseeded_sgd")  # twice in the batch: same file, same grade
# The questions that fit on all 60,000 training images, seconds each. A broken or tampering case
# leaves those it is not about as stubs (and so is expected to lose them): the right cases prove
# the reference earns them, and there they would only be graded again. The question right after
# the last one a case is about keeps the reference, so that a question after a broken or tampered
# one is still seen earning its points.
COSTLY = ("q4", "q5", "q6")


def lean(case, keep_the_next=True):
    """``case`` with the costly questions it is not about left as stubs; a right case stays whole.

    ``keep_the_next``: the question after the last one the case is about keeps the reference (see
    :data:`COSTLY`); the bundle's runs leave it out, the batch's gradings of the same cases show it.
    """
    if case in cases.RIGHT:
        return case
    about = set(notebooks.graded_questions(dataclasses.replace(case, cells=(), status="graded"))) | set(case.fails)
    order = list(QUESTIONS)
    after = order[max(map(order.index, about), default=-1) + 1 :][:1] if keep_the_next else []
    idle = [q for q in COSTLY if q not in about and q not in after]
    stubs = {name: notebooks.UNANSWERED for q in idle for name in QUESTIONS[q].functions}
    return dataclasses.replace(case, functions={**stubs, **case.functions}, fails=tuple(dict.fromkeys((*case.fails, *idle))))


WHOLE = [COPIED, *map(lean, cases.BROKEN + cases.TAMPERING)]  # graded whole, through the batch
AS_GRADED = {c.name: c for c in [*HONEST, *WHOLE]}  # each case as the kit's batch grades it
# The honest cases are graded on KIT_SEED, then again on MORE_SEEDS; the batch draws a seed per
# file. One seed for all the honest cases lets the checker fit each claimed cross-validation fold
# once (it keeps fits by their rows, and most cases fold the same rows), not once per case.
KIT_SEED = 5
MORE_SEEDS = (11, 2027)


def expected(case, questions=tuple(QUESTIONS)):
    return case.status, {q: q not in case.fails for q in questions}


CHECKER = grade.Checker()


def _notebook_text(case):
    # Built before any grading thread starts: Python 3.11 cannot parse in two threads at once
    # (CPython gh-106905), and building a notebook parses its functions.
    return json.dumps(notebooks.make_notebook(case))


def _grade_text(text, questions, seed=None):
    return grade.grade_notebook(text, CHECKER, LIMITS, seed=seed, questions=questions)


def packed(honest_cases, questions_of):
    """Notebooks that each hold several cases, none two of them on one question: (case, {question: case}).

    A question is graded on its own functions only, so cases on different questions can share a
    notebook and a grading; a case with cells of its own is not packed.
    """
    notebooks_, occupied = [], []
    for case in honest_cases:
        wanted = set(questions_of(case))
        slot = next((i for i, taken in enumerate(occupied) if not taken & wanted), None)
        if slot is None:
            notebooks_.append({})
            occupied.append(set())
            slot = len(occupied) - 1
        occupied[slot] |= wanted
        notebooks_[slot].update({q: case for q in wanted})
    merged = []
    for chosen in notebooks_:
        functions = {f: source for q, c in chosen.items() for f, source in c.functions.items() if f in QUESTIONS[q].functions}
        merged.append((notebooks.Case("packed", functions=functions), chosen))
    return merged


def grade_packed(merged, seed=None, at_once=AT_ONCE):
    """{(case name, question): the question's entry} for packed notebooks, graded ``at_once`` at a time."""
    return _grade_prepared([(_notebook_text(case), chosen) for case, chosen in merged], seed, at_once)


def _grade_prepared(prepared, seed, at_once):
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        graded = pool.map(lambda job: _grade_text(job[0], list(job[1]), seed=seed), prepared)
        return {
            (case.name, question): result.questions[question]
            for (_, chosen), result in zip(prepared, graded, strict=True)
            for question, case in chosen.items()
        }


@pytest.fixture(scope="module")
def kit_results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("whole")
    written = notebooks.write_cases(WHOLE, folder)
    (folder / f"{COPIED.name}_copy.ipynb").write_bytes(written[COPIED.name].read_bytes())
    honest = [c for c in HONEST if c.name not in {w.name for w in WHOLE}]
    alone, merged = [c for c in honest if c.cells], packed([c for c in honest if not c.cells], notebooks.graded_questions)
    alone_texts = {c.name: (_notebook_text(c), notebooks.graded_questions(c)) for c in alone}
    prepared = [(_notebook_text(case), chosen) for case, chosen in merged]
    # The batch and the honest gradings at once: while the batch waits out its timeout case, the others keep the cores busy.
    with ThreadPoolExecutor(max_workers=2) as pool:
        # Every file graded, the copy too (identical_once=False): that the copy gets the same grade
        # under its own seed is what lets the batch grade identical files once by default.
        graded = tmp_path_factory.mktemp("graded")
        whole = pool.submit(pipeline.grade_class, [folder], GradedFolder(graded), GradingOptions(LIMITS, jobs=2, identical_once=False))
        entries = pool.submit(_grade_prepared, prepared, KIT_SEED, 2)
        results = {name: _grade_text(*job, seed=KIT_SEED) for name, job in alone_texts.items()}
        results.update({r.submission: r for r in whole.result()})
        by_case = {}
        for (name, question), entry in entries.result().items():
            by_case.setdefault(name, {})[question] = entry
    # Honest cases graded a question at a time: one result each, of the questions it is about.
    results.update(
        {name: Result(Status.GRADED, questions, sum(e.score for e in questions.values()), 0) for name, questions in by_case.items()}
    )
    return results


def _checks(entry):
    return entry.error is None, [(c.name, c.passed) for c in entry.checks], entry.score


@pytest.mark.slow
def test_lying_about_the_answers_changes_no_check(kit_results):
    lying, honest = kit_results["tamper_lying_descriptions"], kit_results["wrong_declared_honestly"]
    for question, entry in honest.questions.items():
        assert _checks(lying.questions[question]) == _checks(entry), question


@pytest.mark.slow
def test_a_hard_coded_size_costs_less_than_a_broken_pairing(kit_results):
    hard_coded, mispaired = (kit_results[name].questions["q1"].score for name in ("wrong_split_hard_coded_size", "wrong_shuffles_X_not_y"))
    assert mispaired < hard_coded < QUESTIONS["q1"].points
    messages = [c.message for c in kit_results["wrong_split_hard_coded_size"].questions["q1"].checks if not c.passed]
    assert len(messages) == 1 and "shuffle_split raised IndexError in code cell" in messages[0] and "60000" in messages[0], messages


@pytest.mark.slow
def test_two_copies_of_one_file_get_the_same_grade(kit_results):
    first, second = kit_results[COPIED.name], kit_results[f"{COPIED.name}_copy"]
    assert first.seed != second.seed, "each copy draws its own seed"
    assert (first.status, first.total) == (second.status, second.total) == ("graded", TOTAL_POINTS)
    assert {q: _checks(e) for q, e in first.questions.items()} == {q: _checks(e) for q, e in second.questions.items()}


def seeded_questions():
    """The questions (and "shared", the data) whose grading-time inputs change with the seed."""
    return CHECKER.seeded_parts()


@pytest.fixture(scope="module")
def results_under_more_seeds():
    """For each honest case and seeded question it is about, the question's entry under MORE_SEEDS.

    Questions that fit on the shared data (q5's cross-validations, seconds each) are graded under
    the first of them only; the others, a fraction of a second each, under all.
    """
    entries = {}
    for number, seed in enumerate(MORE_SEEDS):
        seeded = {q for q in seeded_questions() if q in QUESTIONS and (number == 0 or not QUESTIONS[q].uses_data)}
        merged = packed(
            [c for c in HONEST if not c.cells and seeded & set(notebooks.graded_questions(c))],
            lambda case, seeded=seeded: seeded & set(notebooks.graded_questions(case)),
        )
        for pair, entry in grade_packed(merged, seed).items():
            entries.setdefault(pair, {})[seed] = entry
    return entries


def test_suite_has_enough_cases_of_each_kind():
    assert (len(cases.RIGHT), len(cases.WRONG), len(cases.BROKEN), len(cases.TAMPERING)) >= (6, 15, 6, 8)
    assert all(c.fails for c in cases.WRONG), "a wrong case must name the question it breaks"
    assert len({c.name for c in cases.ALL}) == len(cases.ALL)


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_question_has_a_wrong_case_of_its_own(question):
    assert any(c.fails == (question,) for c in cases.WRONG), (
        f"add a WRONG case for {question} in sample_submissions/cases.py: a submission that loses {question} only"
    )


def test_every_case_names_registered_questions_and_functions():
    functions = {f for q in QUESTIONS.values() for f in q.functions}
    for case in cases.ALL:
        assert set(case.fails) <= set(QUESTIONS), f"{case.name} in sample_submissions/cases.py names a question not in the registry"
        assert set(case.functions) <= functions, f"{case.name} in sample_submissions/cases.py writes a function no question grades"


@pytest.mark.slow
@pytest.mark.parametrize("case", cases.ALL, ids=lambda c: c.name)
def test_mnist_kit_grade_verdict(kit_results, case):
    case, result = AS_GRADED[case.name], kit_results[case.name]
    verdict = {q: e.score == e.possible for q, e in result.questions.items()}
    lost = {q: e.error or [c.message for c in e.checks if not c.passed] for q, e in result.questions.items() if not verdict[q]}
    assert (result.status, verdict) == expected(case, tuple(result.questions)), f"lost points: {lost}; reason: {result.reason}"
    assert set(result.questions) == set(notebooks.graded_questions(case)) or case.name in {w.name for w in WHOLE}
    for question in case.fails:  # the student is told why, in words
        entry = result.questions[question]
        assert entry.error or any(c.message for c in entry.checks if not c.passed)


@pytest.mark.slow
@pytest.mark.parametrize("case", [c for c in cases.ALL if c.earns_nothing], ids=lambda c: c.name)
def test_work_that_does_nothing_earns_nothing(kit_results, case):
    for question in case.earns_nothing:
        entry = kit_results[case.name].questions[question]
        passed = [c.name for c in entry.checks if c.passed]
        assert (entry.score, passed) == (0.0, []), question


def test_every_graded_function_has_a_case_that_does_nothing():
    written = {name for case in cases.DOES_NOTHING if case.earns_nothing for name in case.functions}
    assert written == {name for question in QUESTIONS.values() for name in question.functions}


def run_bundle(bundle, notebook, root, options=()):
    """Lay out a Gradescope autograder folder around ``notebook`` and run the bundle's entry point."""
    (root / "submission").mkdir(parents=True)
    (root / "source").symlink_to(bundle)
    (root / "submission" / notebook.name).write_bytes(notebook.read_bytes())
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    # Several gradings at a time: each gets one BLAS thread, as mnist-kit grade gives them when jobs >= cores.
    done = subprocess.run(
        ["bash", str(bundle / "run_autograder"), "--idle-timeout", str(IDLE_TIMEOUT), "--threads", "1", *options],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    )
    (root / "stdout.txt").write_text(done.stdout)
    return json.loads((root / "results" / "results.json").read_text())


def bundle_verdict(results):
    """Whether each question earned full marks in a results.json (a question is one test per kind of check)."""
    return {q: all(t["score"] == t["max_score"] for t in results["tests"] if t["name"].startswith(f"{q}: ")) for q in QUESTIONS}


# The bundle's entry point grades with the very grade_notebook that mnist-kit grade uses; what it
# adds is finding the upload, choosing the sandbox, and turning a result into results.json. So
# every *kind of outcome* goes through it, not every case: one right case, the first broken case
# of each status, every kind of tampering (all of them, since several attack the entry points
# themselves), and a wrong case for any question none of those loses, so that each question's
# tests in results.json are seen losing points. How a result becomes results.json is proven for
# every question and every mix of passed checks by the fast tests in test_visibility.py. Every
# case still gets its verdict through mnist-kit grade above, and test_attacks.py adds the hostile ones.
# The question after a broken or tampered one earning its points is shown there, by the batch's
# gradings of these very cases, so here it is a stub like the other costly ones.
def _bundle_cases():
    chosen = cases.RIGHT[:1] + [next(c for c in cases.BROKEN if c.status == s) for s in dict.fromkeys(c.status for c in cases.BROKEN)]
    chosen += cases.TAMPERING
    for question in QUESTIONS:
        own = [c for c in cases.WRONG if c.fails == (question,)]
        if own and not any(question in c.fails for c in chosen):  # none: a fast test above says to add one
            chosen.append(own[0])
    return chosen


BUNDLE_CASES = [lean(c, keep_the_next=False) for c in _bundle_cases()]


def test_bundle_cases_cover_every_status_question_and_tampering():
    assert {c.status for c in BUNDLE_CASES} == {c.status for c in cases.ALL}
    assert {q for c in BUNDLE_CASES for q in c.fails} == set(QUESTIONS)
    assert {c.name for c in cases.TAMPERING} <= {c.name for c in BUNDLE_CASES}
    assert any(not c.fails for c in BUNDLE_CASES), "a right case goes through the bundle whole"


def test_a_lean_case_stubs_only_the_costly_questions_it_is_not_about_and_keeps_the_next():
    order, kept_next, stubbed_any = list(QUESTIONS), 0, 0
    for case in cases.BROKEN + cases.TAMPERING:
        leaned = lean(case)
        about = set(notebooks.graded_questions(dataclasses.replace(case, cells=(), status="graded"))) | set(case.fails)
        following = order[max(map(order.index, about)) + 1 :][:1]
        for question in QUESTIONS:
            functions = QUESTIONS[question].functions
            stubbed = all(leaned.functions.get(f) == notebooks.UNANSWERED != case.functions.get(f) for f in functions)
            should = question in COSTLY and question not in about and question not in following
            assert stubbed == should, (case.name, question)
            assert not stubbed or question in leaned.fails, (case.name, question)
            kept_next += question in COSTLY and question in following
            stubbed_any += stubbed
        assert {f: s for f, s in leaned.functions.items() if s != notebooks.UNANSWERED} == {
            f: s for f, s in case.functions.items() if s != notebooks.UNANSWERED
        }, f"{case.name}: its own functions are kept"
    assert stubbed_any and kept_next, "the cases exercise both sides of lean()"


@pytest.fixture(scope="module")
def bundle_results(bundle, tmp_path_factory):
    scratch = tmp_path_factory.mktemp("gradescope")
    written = notebooks.write_cases(BUNDLE_CASES, scratch / "notebooks")
    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        futures = {c.name: pool.submit(run_bundle, bundle, written[c.name], scratch / c.name) for c in BUNDLE_CASES}
    return {name: future.result() for name, future in futures.items()}


@pytest.mark.slow
@pytest.mark.parametrize("case", BUNDLE_CASES, ids=lambda c: c.name)
def test_gradescope_bundle_verdict(bundle_results, case):
    results = bundle_results[case.name]
    verdict = bundle_verdict(results)
    status = results["output"].split()[1]
    assert (status, verdict) == expected(case), results["output"]
    assert sum(t["max_score"] for t in results["tests"]) == TOTAL_POINTS
    assert {t["visibility"] for t in results["tests"]} == set(spec.VISIBILITY.values())
    for test in results["tests"]:  # students see messages (their own code's lines too), never a check's code
        assert not [line for line in CHECK_CODE_LINES if line in test["output"]], test["output"]


# Every line of every check's code long enough to say something: none may reach a student.
CHECK_CODE_LINES = {
    line.strip()
    for question in QUESTIONS.values()
    for check in question.checks
    for line in inspect.getsource(check.function).splitlines()
    if len(line.strip()) > 25
}


@pytest.mark.slow
def test_same_code_same_verdict_on_every_seed(kit_results, results_under_more_seeds):
    """Every honest case (without cells of its own), on every question whose inputs change with the seed."""
    assert len(results_under_more_seeds) >= 30
    differing = {
        pair: seed
        for pair, by_seed in results_under_more_seeds.items()
        for seed, entry in by_seed.items()
        if _checks(entry)[:2] != _checks(kit_results[pair[0]].questions[pair[1]])[:2]
    }
    assert not differing, f"verdicts that changed with the seed (case, question): seed {differing}"


def test_the_fitting_data_is_the_same_for_everyone():
    """The data the models are fitted and judged on, and the questions fitting it, do not depend on the draw."""
    assert not {"shared", "q4", "q6"} & set(seeded_questions())


def _public_failures_in_the_notebook(case):
    """What grader.check says of each question ``case`` is about: the names of the public checks that fail.

    Run as grader.check runs (:func:`mnist_kit.notebook.public_check`), on the case's definitions.
    A function that reads a variable of the notebook fails every call, as it does when graded.
    """
    from threadpoolctl import threadpool_limits

    from mnist_kit import collect, notebook_source
    from mnist_kit.notebook import public_check

    namespace = {"__name__": "__main__"}
    for index, (label, source) in enumerate(notebook_source.definition_statements(notebooks.make_notebook(case))[0]):
        if "mnist_data" not in source:  # the release's loader; no graded function uses it
            exec(collect._compile_student(source, label, index), namespace)
    failures = {}
    with threadpool_limits(1):
        for question in notebooks.graded_questions(case):
            report = public_check(question, namespace)
            every = {check.name for check in QUESTIONS[question].public_checks}
            failures[question] = every if report.problem else {r.name for r in report.results if not r.passed}
    return case.name, failures


@pytest.fixture(scope="module")
def notebook_verdicts():
    """grader.check's verdicts on every right and wrong case, two processes at a time."""
    # Fresh interpreters: a fork of this process would carry its BLAS and joblib state along.
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        return dict(pool.map(_public_failures_in_the_notebook, HONEST))


def _public_failures_at_grading(entry, question):
    every = {check.name for check in QUESTIONS[question].public_checks}
    return every if entry.error else {c.name for c in entry.checks if not c.hidden and not c.passed}


@pytest.mark.slow
@pytest.mark.parametrize("case", HONEST, ids=lambda c: c.name)
def test_grader_check_and_the_grade_fail_the_same_public_checks(notebook_verdicts, kit_results, case):
    """One voice: a question grader.check passes never fails a public check at grading, and every public
    check that fails at grading fails in grader.check, on the same code (and on other inputs)."""
    graded = kit_results[case.name].questions
    for question, in_notebook in notebook_verdicts[case.name].items():
        assert _public_failures_at_grading(graded[question], question) == in_notebook, question


# One typical mistake a question, in one notebook a student runs top to bottom (a removed
# question's mistake drops out with its case).
TYPICAL_MISTAKES = (
    "wrong_modifies_inputs",
    "wrong_cast_int64",
    "wrong_binary_as_ints",
    "wrong_fit_on_test_set",
    "wrong_accuracy_percentage",
    "wrong_sgd_hinge",
)
_TYPICAL = [c for c in cases.WRONG if c.name in TYPICAL_MISTAKES]
STUDENT_VIEW = Case(
    "student_view_one_mistake_a_question",
    fails=tuple(q for q in QUESTIONS if any(q in c.fails for c in _TYPICAL)),
    functions={name: source for case in _TYPICAL for name, source in case.functions.items()},
)


@pytest.fixture(scope="module")
def student_view(tmp_path_factory):
    """The notebook run in a Jupyter kernel, as a student runs it, and the same notebook graded."""
    with pytest.MonkeyPatch.context() as patch, ThreadPoolExecutor(max_workers=2) as pool:
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "LOKY_MAX_CPU_COUNT"):
            patch.setenv(name, "1")
        notebook = notebooks.make_notebook(STUDENT_VIEW)
        kernel = pool.submit(
            notebooks.execute_as_student, notebooks.without_demos(notebook), tmp_path_factory.mktemp("as-student") / "release"
        )
        graded = _grade_text(json.dumps(notebook), tuple(QUESTIONS))
        return kernel.result()[0], graded


def _numbers_masked(text):
    return re.sub(r"\d[\d,]*(\.\d+)?", "#", text)


@pytest.mark.slow
def test_what_grader_check_says_in_the_notebook_is_what_the_grade_says(student_view):
    said, graded = student_view
    assert set(said) == set(QUESTIONS)
    for question, text in said.items():
        entry = graded.questions[question]
        assert not text.startswith(f"{question}: all "), f"{question}: grader.check passed a mistake: {text}"
        messages = [c.message for c in entry.checks if not c.hidden and not c.passed] or [entry.error]
        # Numbers measured on other inputs differ; and a call's failure names its grading-time input first ("On the
        # 60,000 training images, ..."), while grader.check, which may stop before any call, says the rest.
        said = _numbers_masked(text)
        assert messages and all(_numbers_masked(m) in said or _numbers_masked(m.split(", ", 1)[-1]) in said for m in messages), (
            question,
            text,
            messages,
        )
        assert "Error at line" not in text and "assert " not in text, text


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_common_mistake_a_unit_lists_is_a_wrong_case_of_that_question(question):
    listed = QUESTIONS[question].common_mistakes
    by_name = {c.name: c for c in cases.WRONG}
    assert all(name in by_name and question in by_name[name].fails for name in listed), listed


@pytest.mark.slow
@pytest.mark.parametrize("question", QUESTIONS)
def test_every_common_mistake_fails_a_public_check_before_the_due_date(notebook_verdicts, kit_results, question):
    """grader.check, in the notebook, and the grade's public checks both fail each listed mistake (never only a hidden check)."""
    assert QUESTIONS[question].common_mistakes, f"{question}'s unit lists no COMMON_MISTAKES"
    for name, what in QUESTIONS[question].common_mistakes.items():
        assert notebook_verdicts[name][question], f"{name} ({what}) passes every public check of {question} in grader.check"
        assert _public_failures_at_grading(kit_results[name].questions[question], question), f"{name} ({what}) at grading"
