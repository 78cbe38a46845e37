"""The README is the front door: every page of ``docs/`` is linked from it, and every link resolves."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\]\(((?!https?:|#)[^)#\s]+)(?:#[^)]*)?\)")


def test_every_page_of_docs_is_linked_from_the_readme():
    linked = {(ROOT / target).resolve() for target in LINK.findall((ROOT / "README.md").read_text())}
    pages = {page.resolve() for page in (ROOT / "docs").glob("*.md")}
    assert pages and pages <= linked, sorted(p.name for p in pages - linked)


def test_every_relative_link_in_the_readme_and_the_docs_resolves():
    broken = [
        f"{page.relative_to(ROOT)} -> {target}"
        for page in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
        for target in LINK.findall(page.read_text())
        if not (page.parent / target).exists()
    ]
    assert not broken, broken


def test_the_readme_fits_on_a_few_screens():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 350


# Subjects before this commit were written before the rule; history is not rewritten.
SUBJECTS_KEPT_SINCE = "54d1465"


def test_every_commit_subject_since_the_rule_is_one_line_of_at_most_72_characters():
    import subprocess

    from tests.conftest import unavailable

    log = subprocess.run(["git", "log", "--format=%h %s", f"{SUBJECTS_KEPT_SINCE}..HEAD"], cwd=ROOT, capture_output=True, text=True)
    if log.returncode != 0:
        unavailable(f"no git history here ({log.stderr.strip()[:80]}); CI's clone has it")
    long = [line for line in log.stdout.splitlines() if len(line.split(" ", 1)[1]) > 72]
    assert not long, f"commit subjects over 72 characters (details go in the body): {long}"


def test_the_readme_states_the_time_limits_the_grade_applies():
    from mnist_kit.limits import Limits

    text = " ".join((ROOT / "README.md").read_text().split())
    limits = Limits()
    assert f"`--cpu-multiple` (default {limits.cpu_multiple:g}) times the reference's CPU time" in text
    assert f"at least {limits.min_step_cpu:g} and at most {limits.max_step_cpu:g} CPU-s, {limits.max_cpu:g} for a notebook" in text
    assert f"`--idle-timeout S` (default {limits.idle_timeout:g})" in text and f"`--timeout S` (default {limits.timeout:g})" in text
