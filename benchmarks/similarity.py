"""Benchmark: the similarity review of a generated class, against fingerprinting alone.

    .venv/bin/python benchmarks/similarity.py            # 10,000 submissions, 3 runs
    .venv/bin/python benchmarks/similarity.py --students 2000 --runs 5

Each generated student writes every graded function in one of the styles of the suite's right
and wrong cases, plus lines of their own drawn from a large vocabulary (so the index holds many
rare fingerprints, as a real class's does), and one student in a hundred copies another's code
with renamed variables. Prints the median wall time of the whole review (fingerprinting in
``--jobs`` processes, the index, scoring), its ratio to fingerprinting alone in one process, the
peak memory of the process (VmHWM, the process's own high-water mark) and how many copies were
flagged. Nothing here asserts a time; the README quotes the printed figures.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mnist_kit import similarity  # noqa: E402
from sample_submissions import similar  # noqa: E402

ATTRIBUTES = [
    "shape", "size", "ndim", "dtype", "T", "flat", "real", "imag", "itemsize", "nbytes", "strides", "base",
    "sum", "mean", "std", "var", "min", "max", "argmin", "argmax", "cumsum", "ravel", "copy", "round",
]  # fmt: skip
CALLS = ["np.asarray", "np.array", "np.ravel", "np.squeeze", "np.atleast_1d", "np.atleast_2d", "np.copy", "np.nan_to_num"]


def _own_line(rng, indent="    "):
    """A line of the student's own: attribute names are kept by the normalisation, so most such lines are rare."""
    attributes = ".".join(f"{rng.choice(ATTRIBUTES)}_{rng.randrange(40)}" for _ in range(2))
    return f"{indent}{rng.choice('abcdefgh')}_{rng.randrange(99)} = {rng.choice(CALLS)}(X).{attributes}\n"


def generated_class(students, seed=0):
    """``({student: {function: source}}, copied pairs)``."""
    rng = random.Random(seed)
    _, styles = similar._styles()
    sources, copied = {}, set()
    for number in range(students):
        name = f"student_{number:05d}"
        if number and number % 100 == 0:
            original = f"student_{rng.randrange(number):05d}"
            sources[name] = {f: similar._renamed(s, {"model": "m", "order": "o", "clf": "est"}) for f, s in sources[original].items()}
            copied.add(tuple(sorted((name, original))))
            continue
        functions = {}
        for function, pool in styles.items():
            lines = rng.choice(pool).splitlines(keepends=True)
            body = [_own_line(rng) for _ in range(rng.randrange(1, 4))]
            functions[function] = "".join(lines[:1] + body + lines[1:])
        sources[name] = functions
    return sources, copied


def _peak_memory_mib():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    sources, copied = generated_class(args.students)
    known = similar.well_known()
    baseline, whole = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        for item in sorted(sources.items()):
            similarity._fingerprint_submission(item)
        baseline.append(time.perf_counter() - started)
        started = time.perf_counter()
        review = similarity.compare(sources, known, jobs=args.jobs)
        whole.append(time.perf_counter() - started)
    flagged = {tuple(sorted((p.a, p.b))) for p in review.pairs}
    print(f"{len(sources)} submissions, {len(copied)} copies, {review.candidate_pairs} candidate pairs of {review.all_pairs}")
    print(
        f"review (--jobs {args.jobs}): median {statistics.median(whole):.1f} s of {args.runs} runs; fingerprinting alone in one "
        f"process {statistics.median(baseline):.1f} s (ratio {statistics.median(whole) / statistics.median(baseline):.2f})"
    )
    print(f"peak memory of this process (VmHWM): {_peak_memory_mib():.0f} MiB")
    print(f"copies flagged: {len(copied & flagged)} of {len(copied)}; other pairs flagged: {len(flagged - copied)}")


if __name__ == "__main__":
    main()
