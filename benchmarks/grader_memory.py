"""The grading process's memory, honest against hostile: what the README's budget for it rests on.

Grades, in this process, a batch of one correct submission, then a batch of every hostile-bytes
case of the attack suite, and prints how much the process's resident memory grew at its peak
(Linux's VmHWM, reset before each batch) and the CPU-seconds each took.

    .venv/bin/python benchmarks/grader_memory.py
"""

import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mnist_kit import budget, pipeline, sandbox  # noqa: E402
from mnist_kit.files import GradedFolder  # noqa: E402
from mnist_kit.options import GradingOptions  # noqa: E402
from sample_submissions import attacks, notebooks  # noqa: E402
from sample_submissions.notebooks import Case  # noqa: E402
from sample_submissions.uploads import hostile_uploads  # noqa: E402


def measure(cases, uploads, folder):
    notebooks.write_cases(cases, folder / "in")
    for name, content in uploads.items():
        (folder / "in" / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / "in" / name).write_bytes(content)
    before, cpu = budget.reset_own_peak_memory(), resource.getrusage(resource.RUSAGE_SELF)
    options = GradingOptions(sandbox.Limits(timeout=300), jobs=2, identical_once=False)
    pipeline.grade_class([folder / "in"], GradedFolder(folder / "out"), options)
    after = resource.getrusage(resource.RUSAGE_SELF)
    return (budget.own_peak_memory() - before) / 2**30, after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:
        honest = measure([Case("correct")], {}, Path(scratch) / "honest")
        hostile = measure(attacks.hostile_byte_cases(), hostile_uploads(), Path(scratch) / "hostile")
    print(f"grading process, honest batch (1 correct): peak growth {honest[0]:.2f} GiB, {honest[1]:.1f} CPU-s")
    print(
        f"grading process, hostile batch ({len(attacks.HOSTILE_BYTES)} files, {len(hostile_uploads())} uploads): "
        f"peak growth {hostile[0]:.2f} GiB, {hostile[1]:.1f} CPU-s"
    )
