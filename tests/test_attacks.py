"""Hostile submissions are contained, through ``mnist-kit grade`` and through the Gradescope bundle.

For every attack in :mod:`sample_submissions.attacks`, at definition time and inside a graded
function: the verdict is the submission's honest part (q1-q3 earned, q4-q6 stubs), the batch
finishes with a row for every submission (a correct one graded beside the attacks keeps its full
marks), nothing outside the submission's folder changed, no connection reached the host, and no
process of it is still running afterwards.

The bundle runs twice: with bubblewrap (what Gradescope gets where namespaces work; the sandbox is
the batch's, so there each attack runs once, from inside a function) and forced into the fallback
without namespaces, as root with the student's code run as an unprivileged user that confines
itself (seccomp: no internet sockets; Landlock: no file outside its folder), every attack in both
placements, the network attacks and the host's ``/tmp`` and ``/dev/shm`` included.

Hostile *bytes* (what the student's process writes for the grader to read, and hostile uploads)
run through both entry points too, with the grader's own memory measured against its budget.
"""

import csv
import fcntl
import glob
import json
import os
import secrets
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mnist_kit import budget, pipeline, sandbox
from mnist_kit.files import GradedFolder
from mnist_kit.options import GradingOptions
from mnist_kit.questions import QUESTIONS, TOTAL_POINTS
from mnist_kit.results_folder import load_results
from sample_submissions import attacks, notebooks
from sample_submissions.notebooks import Case
from sample_submissions.uploads import hostile_uploads
from tests.conftest import unavailable
from tests.test_verdicts import bundle_verdict, run_bundle

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
LIMITS = sandbox.Limits(timeout=300)
CORRECT = Case("correct_beside_the_attacks")
MARKER = f"pwned-{secrets.token_hex(6)}"  # the name of every file the attacks drop, new each run
SANDBOX_UIDS = set(range(sandbox.UID_BASE, sandbox.UID_BASE + sandbox.UID_POOL_SIZE))


class Listener:
    """A TCP server on the host's loopback that counts whoever reaches it."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.accepted += 1
            connection.close()


@pytest.fixture(scope="module")
def listener():
    server = Listener()
    yield server
    server.server.close()


@pytest.fixture(scope="module")
def secret():
    value = f"grader-secret-{secrets.token_hex(8)}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MNIST_KIT_TEST_SECRET", value)
        yield value


def targets(out, kit, submissions, results_folders, listener, secret):
    """What the attacks aim at."""
    return {
        "out": str(out),
        "kit": str(kit),
        "submissions": str(submissions),
        "home": os.path.expanduser("~"),
        "checker": str(Path(kit) / "checks.py"),
        "gradescope_results": [str(f) for f in results_folders],
        "port": listener.port,
        "secret": secret,
        "marker": MARKER,
    }


def snapshot(folder):
    """Every file under ``folder`` with its size and modification time."""
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in Path(folder).rglob("*") if p.is_file()}


def markers(*folders):
    """Files the attacks dropped, wherever they could look for them on the host (its /tmp and /dev/shm too)."""
    return [p for folder in folders for p in Path(folder).rglob(MARKER)] + host_tmp_markers()


def host_tmp_markers():
    return [Path(p) for pattern in ("/tmp/", "/tmp/*/", "/dev/shm/") for p in glob.glob(pattern + MARKER)]


def leftover_processes():
    """Processes of a sandbox user that no grading holds, or started by an attack, still alive.

    A user whose lease is held belongs to a grading still running (other tests may grade at the
    same time); holding the lease while looking means no grading can start under that user meanwhile.
    """
    found = []
    by_uid = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            uids = {
                int(u) for u in next(line for line in (entry / "status").read_text().splitlines() if line.startswith("Uid:")).split()[1:4]
            }
        except (OSError, StopIteration):
            continue
        if "3607" in cmdline:
            found.append(f"{entry.name}: {cmdline[:120]}")
        for uid in uids & SANDBOX_UIDS:
            by_uid.setdefault(uid, []).append(entry.name)
    for uid, pids in by_uid.items():
        with open(sandbox.LEASE_DIR / str(uid), "a") as lease:
            try:
                fcntl.flock(lease, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a grading running now holds this user
            alive = [pid for pid in pids if Path("/proc", pid).exists()]
            found += [f"{pid}: uid {uid} with no grading" for pid in alive]
    return found


def honest_verdict(case):
    return {q: q not in case.fails for q in QUESTIONS}


# Uploads that are hostile before any code runs, or whose names would collide: each must get a row of its own.
# How much more memory the grading process may hold while it grades the attacked batch than before
# it: under twice what grading one correct submission adds (0.59 GiB: its copy of MNIST, a
# challenge; see README and benchmarks/grader_memory.py).
GRADER_GROWTH_BUDGET = 2**30


@pytest.fixture(scope="module")
def attacked_batch(tmp_path_factory, listener, secret):
    root = tmp_path_factory.mktemp("attacked")
    submissions, out = root / "submissions", root / "graded"
    aimed = targets(out, ROOT / "mnist_kit", submissions, [], listener, secret)
    cases = [*attacks.attack_cases(aimed), *attacks.hostile_byte_cases(), CORRECT]
    notebooks.write_cases(cases, submissions)
    for name, content in hostile_uploads().items():
        (submissions / name).parent.mkdir(parents=True, exist_ok=True)
        (submissions / name).write_bytes(content)
    before = {"kit": snapshot(ROOT / "mnist_kit"), "submissions": snapshot(submissions)}
    resident_before = budget.reset_own_peak_memory()
    results = pipeline.grade_class([submissions], GradedFolder(out), GradingOptions(LIMITS, jobs=2))
    growth = budget.own_peak_memory() - resident_before
    time.sleep(1)  # a daemon that survived would have forged the gradebook by now
    rows = {row["submission"]: row for row in csv.DictReader(GradedFolder(out).gradebook.open())}
    stored = {r.submission: r for r in load_results(GradedFolder(out))}
    return {
        "cases": cases,
        "results": {r.submission: r for r in results},
        "rows": rows,
        "stored": stored,
        "before": before,
        "root": root,
        "out": out,
        "submissions": submissions,
        "growth": growth,
    }


def test_every_attack_kind_runs_at_definition_time_and_in_a_function():
    cases = attacks.attack_cases(targets("o", "k", "s", [], Listener(), "x"))
    assert {c.name for c in cases} == {f"attack_{k}_{w}" for k in attacks.ATTACKS for w in ("at_definition", "in_function")}
    used = {
        next(p for p, t in attacks.DEFINITION_TIME.items() if t.format(kind=k) in c.cells)
        for c in cases
        for k in attacks.ATTACKS
        if c.name == f"attack_{k}_at_definition"
    }
    assert used == set(attacks.DEFINITION_TIME)


def test_kit_batch_gives_every_submission_its_honest_verdict_and_a_row(attacked_batch):
    problems = []
    for case in attacked_batch["cases"]:
        result, row = attacked_batch["stored"][case.name], attacked_batch["rows"].get(case.name)
        verdict = {q: e.score == e.possible for q, e in result.questions.items()}
        lost = {q: e.error for q, e in result.questions.items() if not verdict[q]}
        earned = sum(QUESTIONS[q].points for q, ok in honest_verdict(case).items() if ok)
        if (result.status, verdict) != (case.status, honest_verdict(case)) or result.total != earned:
            problems.append(f"{case.name}: {result.status} {result.total} {lost}")
        if row is None or float(row["total"]) != earned:
            problems.append(f"{case.name}: gradebook row {row}")
        if result.sandbox_kind != "bwrap":
            problems.append(f"{case.name}: graded in {result.sandbox}")
    assert not problems, "\n".join(problems)


def test_kit_batch_reads_hostile_bytes_with_bounds_and_in_its_own_words(attacked_batch):
    stored, out = attacked_batch["stored"], attacked_batch["out"]
    assert "wrote more than 1 MiB into the grader's progress file" in stored["bytes_progress_flood"].reason
    hoarder = stored["bytes_budget_memory_of_all_processes"]
    assert "more than its 6 GiB of memory (all its processes together)" in hoarder.reason
    # As its cgroup saw it: its processes, its /dev/shm file, everything, never past the budget.
    assert 3 * 2**30 < hoarder.student_memory <= LIMITS.max_memory, hoarder.student_memory
    assert "the submission filled its 2 GiB of disk" in stored["bytes_budget_disk_of_the_folder"].reason
    expected_errors = {
        "bytes_answers_deep_json": ("q2", "nested too deep"),
        "bytes_answers_8_tib_header": ("q1", "more than any correct answer"),
        "bytes_answers_string_bomb": ("q3", "more than any correct answer"),
    }
    for name, (question, words) in expected_errors.items():
        assert words in stored[name].questions[question].error, stored[name].questions[question]
    forged = stored["bytes_answers_forged_memory_error"]
    assert forged.status == "graded" and "\n" not in forged.questions["q2"].error
    feedback = (out / "feedback" / "bytes_answers_forged_memory_error.md").read_text()
    assert [line for line in feedback.splitlines() if "**Total" in line and "forged" not in line] == [], feedback
    assert attacked_batch["growth"] <= GRADER_GROWTH_BUDGET, f"the grader grew by {attacked_batch['growth'] / 2**30:.2f} GiB"


def test_kit_batch_gives_every_hostile_upload_a_row_of_its_own(attacked_batch):
    rows, out = attacked_batch["rows"], attacked_batch["out"]
    names = {"deep", "bomb", "huge", "a b", "a_b", "s1/x/hw", "s2/x/hw", "'-A1+1"}  # as the files were named; a formula neutralised
    assert names <= set(rows), sorted(rows)
    assert len(rows) == len(attacked_batch["cases"]) + len(hostile_uploads())
    for name in names:
        assert rows[name]["status"] == "invalid" and rows[name]["reason"], rows[name]
    assert rows["strings"]["status"] == "graded" and float(rows["strings"]["total"]) == 0
    assert len(list((out / "feedback").glob("*.md"))) == len(rows) == len(list(GradedFolder(out).results.glob("*.json")))
    assert (out / "report.html").exists()


def test_kit_batch_changes_nothing_outside_the_submissions_folders(attacked_batch, listener):
    before = attacked_batch["before"]
    assert snapshot(ROOT / "mnist_kit") == before["kit"]
    assert snapshot(attacked_batch["submissions"]) == before["submissions"]
    assert markers(ROOT / "mnist_kit", attacked_batch["root"], os.path.expanduser("~")) == []
    assert listener.accepted == 0


def test_kit_batch_leaves_no_process_behind(attacked_batch):
    assert leftover_processes() == []


def bundle_attacks(bundle, scratch, listener, secret, kind, left_out=()):
    case_names = [c.name for c in attacks.attack_cases(targets("", "", "", [], listener, secret)) if not c.name.startswith(left_out)]
    roots = {name: scratch / name for name in case_names}
    aimed = targets(scratch, bundle / "mnist_kit", scratch, [root / "results" for root in roots.values()], listener, secret)
    aimed_cases = [c for c in attacks.attack_cases(aimed) if c.name in roots]
    paths = notebooks.write_cases(aimed_cases, scratch / "notebooks")
    before = snapshot(bundle)
    with ThreadPoolExecutor(max_workers=2) as pool:  # each run leases a user of its own
        futures = {c.name: pool.submit(run_bundle, bundle, paths[c.name], roots[c.name], ["--sandbox", kind]) for c in aimed_cases}
        [future.result() for future in futures.values()]
    time.sleep(1)
    results = {name: json.loads((roots[name] / "results" / "results.json").read_text()) for name in roots}
    return aimed_cases, results, before


@pytest.fixture(scope="module", params=["bwrap", "user"])
def attacked_bundle(request, bundle, tmp_path_factory, listener, secret):
    kind = request.param
    if kind == "user" and sandbox.confinement_problem():
        unavailable(f"the confined fallback cannot be exercised here: {sandbox.confinement_problem()}")
    # With bubblewrap the sandbox is the batch's own, where every attack runs in both placements: here
    # each runs from inside a function (but the planted one, whose restarts the batch shows). The
    # fallback runs every attack in both placements (the planted one at definition time: the batch
    # shows its restart from a function).
    left_out = (
        ("attack_planted_in_function",) if kind == "user" else (*(f"attack_{k}_at_definition" for k in attacks.ATTACKS), "attack_planted")
    )
    scratch = tmp_path_factory.mktemp(f"gradescope-{kind}")
    cases, results, before = bundle_attacks(bundle, scratch, listener, secret, kind, left_out)
    return {"kind": kind, "cases": cases, "results": results, "before": before, "scratch": scratch}


def test_bundle_gives_every_attack_its_honest_verdict(attacked_bundle):
    problems = []
    for case in attacked_bundle["cases"]:
        result = attacked_bundle["results"][case.name]
        if bundle_verdict(result) != honest_verdict(case) or sum(t["max_score"] for t in result["tests"]) != TOTAL_POINTS:
            problems.append(f"{case.name}: {result['output']} {[t['output'] for t in result['tests'] if t['score'] < t['max_score']]}")
        if f"Isolation: {attacked_bundle['kind']}" not in result["output"]:
            problems.append(f"{case.name}: {result['output']}")
    assert not problems, "\n".join(problems)


def test_bundle_changes_nothing_outside_the_submissions_folder(attacked_bundle, bundle, listener):
    assert snapshot(bundle) == attacked_bundle["before"]
    assert markers(bundle, attacked_bundle["scratch"], os.path.expanduser("~")) == []
    assert listener.accepted == 0


def test_bundle_leaves_no_process_behind(attacked_bundle):
    assert leftover_processes() == []


# Gradescope's entry point reads the same bytes with the same bounds; one run per kind of hostile
# input is enough (the batch above runs each hostile file alone).
BUNDLE_HOSTILE_CASES = [attacks.all_answer_files_case(), *attacks.hostile_byte_cases(["progress_flood", "budget_memory_of_all_processes"])]
BUNDLE_HOSTILE_UPLOADS = ("deep.ipynb", "bomb.zip")
# The bundle's grading process at its peak (honest: 0.62 GiB for the reference, measured; see README).
BUNDLE_PEAK_BUDGET = 2**30


@pytest.fixture(scope="module")
def hostile_bundle(bundle, tmp_path_factory):
    scratch = tmp_path_factory.mktemp("gradescope-hostile-bytes")
    paths = notebooks.write_cases(BUNDLE_HOSTILE_CASES, scratch / "notebooks")
    for name in BUNDLE_HOSTILE_UPLOADS:
        paths[name] = scratch / "uploads" / name
        paths[name].parent.mkdir(exist_ok=True)
        paths[name].write_bytes(hostile_uploads()[name])
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run_bundle, bundle, path, scratch / name) for name, path in paths.items()}
        results = {name: future.result() for name, future in futures.items()}
    peaks = {name: float((scratch / name / "stdout.txt").read_text().split("peak memory: ")[1].split()[0]) * 2**30 for name in paths}
    return results, peaks


def test_bundle_reads_hostile_bytes_with_bounds_and_shows_them_as_plain_text(hostile_bundle):
    results, peaks = hostile_bundle
    problems = []
    for case in BUNDLE_HOSTILE_CASES:
        result = results[case.name]
        if bundle_verdict(result) != honest_verdict(case) or f"Status: {case.status}" not in result["output"]:
            problems.append(f"{case.name}: {result['output']} {[t['output'] for t in result['tests'] if t['score'] < t['max_score']]}")
    for name in BUNDLE_HOSTILE_UPLOADS:
        if "Status: invalid" not in results[name]["output"] or sum(t["score"] for t in results[name]["tests"]) != 0:
            problems.append(f"{name}: {results[name]['output']}")
    for name, result in results.items():
        if sum(t["max_score"] for t in result["tests"]) != TOTAL_POINTS or result["output_format"] != "text":
            problems.append(f"{name}: {result}")
        if peaks[name] > BUNDLE_PEAK_BUDGET:
            problems.append(f"{name}: the grader's peak memory was {peaks[name] / 2**30:.2f} GiB")
    assert not problems, "\n".join(problems)


# A right submission graded beside a neighbour that forks spinning sessions, two at once: each
# grading's processes share one cgroup of the default CPU weight, so the neighbour takes at most
# its half, and the no-progress clock counts the time a step waited for a core. Without either,
# the right one got under 1% of a core and lost q4 to "made no progress". A short idle timeout is
# what would catch a starved step; the default is what a course runs with. The steps' least limit and
# the submission's CPU are lowered (the right one needs 8 CPU-s) so that the spinner's own steps
# end it in seconds, not minutes.
# (idle timeout, the submissions' CPU): only the short timeout can catch a starved step, so only
# there must the spinner last longer than it at the old share (20 CPU-s on both cores: 10 s); the
# right one needs 7.5 CPU-s here, so either total leaves it twice that.
SPINNER_LIMITS = {"short idle timeout": (8.0, 20.0), "default idle timeout": (sandbox.Limits().idle_timeout, 15.0)}


@pytest.mark.parametrize(("idle_timeout", "max_cpu"), SPINNER_LIMITS.values(), ids=SPINNER_LIMITS)
def test_a_right_submission_beside_a_cpu_spinner_keeps_every_point(tmp_path, idle_timeout, max_cpu):
    # The whole reference: one answering q1-q3 only was done before the spinner took the machine.
    right, spinner = notebooks.Case("right_beside_the_spinner"), attacks.cpu_spinner_case()
    notebooks.write_cases([right, spinner], tmp_path / "submissions")
    limits = sandbox.Limits(idle_timeout=idle_timeout, min_step_cpu=min(15.0, max_cpu), max_cpu=max_cpu, timeout=300)
    results = pipeline.grade_class([tmp_path / "submissions"], GradedFolder(tmp_path / "graded"), GradingOptions(limits, jobs=2))
    by_name = {r.submission: r for r in results}
    graded = by_name[right.name]
    assert (graded.status, graded.total, graded.possible) == ("graded", TOTAL_POINTS, TOTAL_POINTS), graded.questions
    assert graded.sandbox.get("cpu_share", "").startswith("one grading's share"), graded.sandbox
    # Its own verdict: its children's CPU is charged to its own steps, which reach their limits.
    own = by_name[spinner.name]
    assert own.status == "timeout" and "CPU-s" in own.reason and "no progress" not in own.reason, own.reason
    assert leftover_processes() == []
