"""The mutation suite: plausible student bugs, each one edit of the reference, and how many the grader catches.

Every mutant must lose points on its question, except those listed as equivalent (right work
after all), which must keep every point. The suite grades only the questions a mutant touches, and
puts one mutant of each question in a notebook, so a handful of gradings cover them all.
"""

from concurrent.futures import ThreadPoolExecutor
from itertools import zip_longest

import pytest

from mnist_kit import grade, sandbox
from mnist_kit.questions import QUESTIONS
from sample_submissions.mutants import EQUIVALENT, MUTANTS, mutated_source
from sample_submissions.notebooks import Case, make_notebook

REQUIRED_KILL_RATE = 0.95


def test_the_suite_is_big_and_follows_the_solution():
    assert len(MUTANTS) >= 60 and len({m.name for m in MUTANTS}) == len(MUTANTS)
    unknown = sorted(set(EQUIVALENT) - {m.name for m in MUTANTS})
    assert not unknown, f"EQUIVALENT in sample_submissions/mutants.py names mutants not in MUTANTS: {unknown}; remove them"
    for mutant in MUTANTS:
        assert mutant.question in QUESTIONS, (
            f"{mutant.name} in sample_submissions/mutants.py mutates {mutant.question}, which is not in the registry: remove it"
        )
        assert mutant.function in QUESTIONS[mutant.question].functions, (
            f"{mutant.name}: {mutant.function} is not graded by {mutant.question}"
        )
        compile(mutated_source(mutant), mutant.name, "exec")  # applies to today's reference, and is Python


def notebooks_of_mutants():
    """Notebooks that each hold at most one mutant per question, and the mutants in each."""
    by_question = {}
    for mutant in MUTANTS:
        by_question.setdefault(mutant.question, []).append(mutant)
    groups = [[m for m in group if m] for group in zip_longest(*by_question.values())]
    return [
        (make_notebook(Case(f"mutants_{index}", functions={m.function: mutated_source(m) for m in group})), group)
        for index, group in enumerate(groups)
    ]


@pytest.fixture(scope="module")
def verdicts():
    """For each mutant, whether its question lost points (or could not be graded)."""
    import json

    checker, box = grade.Checker(), sandbox.choose()
    limits = sandbox.Limits(threads=1)

    def judge(job):
        notebook, group = job
        result = grade.grade_notebook(json.dumps(notebook), checker, limits, seed=7, sandbox=box, questions=[m.question for m in group])
        return {m.name: result.questions[m.question] for m in group}

    with ThreadPoolExecutor(max_workers=2) as pool:
        graded = {}
        for outcome in pool.map(judge, notebooks_of_mutants()):
            graded.update(outcome)
    return graded


@pytest.mark.slow
def test_the_grader_kills_the_bugs(verdicts):
    killed = {name for name, entry in verdicts.items() if entry.score < entry.possible}
    bugs = [m.name for m in MUTANTS if m.name not in EQUIVALENT]
    survivors = [name for name in bugs if name not in killed]
    rate = 1 - len(survivors) / len(bugs)
    print(
        f"mutation score: {len(bugs) - len(survivors)} of {len(bugs)} bugs killed ({rate:.1%}); "
        f"{len(EQUIVALENT)} equivalent mutants; survivors: {survivors}"
    )
    assert rate >= REQUIRED_KILL_RATE, f"survivors: {survivors}"


@pytest.mark.slow
def test_equivalent_mutants_keep_every_point(verdicts):
    lost = {
        name: verdicts[name].error or [c.message for c in verdicts[name].checks if not c.passed]
        for name in EQUIVALENT
        if verdicts[name].score < verdicts[name].possible
    }
    assert not lost, lost
