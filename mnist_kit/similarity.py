"""Similar code, for review: which submissions share unusual code in their graded functions.

Each graded function is reduced to its tokens, normalised so that disguise does not matter
(its own variables become ``V``, numbers ``#``, strings ``"``; comments, docstrings, blank lines
and layout are dropped; keywords, operators and the names of the libraries it calls are kept),
and fingerprinted by winnowing (Schleimer, Wilkerson and Aiken, 2003): the smallest hash of every
window of ``WINDOW`` consecutive ``K``-token sequences. Hashes are BLAKE2b, the same in every
process and on every machine. Code that is no evidence is removed before any pair is compared:
the fingerprints of the student notebook's stubs and examples, of the reference solution (the
tutorial's well-known code), and every fingerprint more than ``COMMON_SHARE`` of the class shares.
Candidate pairs come from an inverted index of the remaining fingerprints, never from all pairs.

A pair's score is the share of the smaller submission's uncommon fingerprints that the other
has too; a pair is flagged when that share and the count of shared fingerprints are both high,
and the report says where it stands among all the class's pairs. Nothing here says anyone
copied: it shows code to a person, who judges.
"""

import ast
import bisect
import csv
import hashlib
import html
import io
import json
import keyword
import re
import symtable
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .files import GradedFolder, write_atomically
from .notebook_source import definition_statements
from .questions import QUESTIONS
from .results import Result

K = 5  # tokens a fingerprinted sequence holds
WINDOW = 4  # sequences a winnowing window holds: any shared run of K + WINDOW - 1 tokens is caught
COMMON_SHARE = 0.01  # a fingerprint more of the class shares than this is common code
COMMON_AT_LEAST = 5  # ... and never one that five or fewer share: a ring of copies stays evidence
FLAG_SCORE = 0.5  # share of the smaller submission's uncommon fingerprints the other has too
FLAG_SHARED = 8  # and at least this many shared fingerprints: a coincidence of one line is not flagged


@dataclass(frozen=True)
class Fingerprint:
    """One selected hash of a function: where it came from, for highlighting."""

    hash: int
    function: str
    first_line: int
    last_line: int


@dataclass
class Submission:
    """A submission's graded functions: their source, and their fingerprints."""

    name: str
    sources: dict
    fingerprints: list = field(default_factory=list)


@dataclass(frozen=True)
class Pair:
    """Two submissions that share unusual code, as the report shows them."""

    a: str
    b: str
    score: float
    shared: int
    above: float  # share of all the class's pairs that score lower
    functions: tuple


def _written_by_students() -> tuple[str, ...]:
    """The names of the functions students write, every question's."""
    return tuple(name for question in QUESTIONS.values() for name in question.functions)


def graded_functions(notebook: dict[str, Any]) -> dict[str, str]:
    """``{function name: source}`` of the graded functions a notebook defines (the last definition wins)."""
    found, names = {}, _written_by_students()
    for _, source in definition_statements(notebook)[0]:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in names:
                found[node.name] = ast.get_source_segment(source, node) or source
    return found


_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
    |(?P<string>[rRbBuUfF]{0,2}(?:\'\'\'[\s\S]*?\'\'\'|\"\"\"[\s\S]*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))
    |(?P<number>0[xXoObB][\da-fA-F_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?[jJ]?)
    |(?P<name>[^\W\d]\w*)
    |(?P<op>\*\*=?|//=?|>>=?|<<=?|->|:=|[-+*/%@&|^=<>!]=|[-+*/%@&|^~<>=.,:;()\[\]{}])
    |(?P<space>\s+|\\\n|.)
    """,
    re.VERBOSE,
)
_ALONE_AFTER = re.compile(r"[ \t]*(?:\#[^\n]*)?(?:\n|$)")


def _own_names(source: str) -> set[str] | None:
    """Parameters and local names of every function in ``source`` (scikit-learn's and numpy's names are not)."""
    try:
        tables = [symtable.symtable(source, "<function>", "exec")]
    except (SyntaxError, ValueError):
        return None
    own: set[str] = set()
    while tables:
        table = tables.pop()
        if table.get_type() != "module":
            own.update(symbol.get_name() for symbol in table.get_symbols() if symbol.is_local() or symbol.is_parameter())
        else:
            own.update(symbol.get_name() for symbol in table.get_symbols() if symbol.is_namespace())
        tables.extend(table.get_children())
    return own


def normalised_tokens(source: str) -> list[tuple[str, int]]:
    """``[(token, line)]`` of a function, disguise removed (see the module's docstring)."""
    own = _own_names(source)
    if own is None:
        return []
    tokens, line, after_dot, line_started = [], 1, False, True
    for match in _TOKEN.finditer(source):
        kind, text = match.lastgroup, match.group()
        first_on_line = line_started
        start_line = line
        line += text.count("\n")
        if kind in ("space", "comment"):
            line_started = line_started or "\n" in text
            continue
        line_started = False
        if kind == "string":
            if first_on_line and _ALONE_AFTER.match(source, match.end()):
                continue  # a docstring, or another string that is a statement of its own
            text = '"'
        elif kind == "number":
            text = "#"
        elif kind == "name" and not after_dot and text in own and not keyword.iskeyword(text):
            text = "V"
        tokens.append((text, start_line))
        after_dot = text == "."
    return tokens


def _stable_code(token: str, _codes: dict[str, int] = {}) -> int:  # noqa: B006 - a cache shared by every call, on purpose
    code = _codes.get(token)
    if code is None:
        code = _codes[token] = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "big")
    return code


_MODULUS = (1 << 61) - 1


def fingerprint(function: str, source: str) -> list[Fingerprint]:
    """The winnowed fingerprints of one function's source."""
    tokens = normalised_tokens(source)
    codes = [_stable_code(text) for text, _ in tokens]
    hashes = []
    for i in range(len(codes) - K + 1):
        value = 0
        for code in codes[i : i + K]:
            value = (value * 1_000_003 + code) % _MODULUS
        hashes.append(value)
    chosen = set()
    for start in range(max(1, len(hashes) - WINDOW + 1)):
        window = hashes[start : start + WINDOW]
        if window:
            chosen.add(start + len(window) - 1 - window[::-1].index(min(window)))
    return [Fingerprint(hashes[p], function, tokens[p][1], tokens[p + K - 1][1]) for p in sorted(chosen)]


def _fingerprint_submission(item: tuple[str, dict[str, str]]) -> Submission:
    name, sources = item
    return Submission(name, sources, [f for function in sorted(sources) for f in fingerprint(function, sources[function])])


def release_notebooks(root: Path | None = None) -> list[dict[str, Any]]:
    """The student notebook (stubs and examples) and the reference notebook of the kit at ``root``."""
    root = Path(root) if root else Path(__file__).resolve().parent.parent
    paths = [root / "assignment" / "mnist.ipynb", root / "autograder" / "mnist.ipynb"]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"{', '.join(missing)} not found; run mnist-kit build in the kit's folder first")
    return [json.loads(p.read_text(encoding="utf-8")) for p in paths]


def well_known_fingerprints(notebooks: Iterable[dict[str, Any]]) -> set[int]:
    """Hashes of the code every student starts from or may find: the stubs, the examples, the reference."""
    known: set[int] = set()
    for notebook in notebooks:
        for function, source in graded_functions(notebook).items():
            known.update(f.hash for f in fingerprint(function, source))
        for cell in notebook.get("cells", []):
            text = "".join(cell.get("source", "")) if cell.get("cell_type") == "code" else ""
            known.update(f.hash for f in fingerprint("", text))
    return known


@dataclass
class Review:
    """The result of :func:`compare`: the flagged pairs, and what was removed as common code."""

    pairs: list
    submissions: dict
    removed_known: int
    removed_common: dict  # hash: how many submissions share it
    candidate_pairs: int
    all_pairs: int


def compare(sources: Mapping[str, dict[str, str]], well_known: Collection[int] = frozenset(), jobs: int = 1) -> Review:
    """Rank the pairs of submissions that share unusual code in their graded functions.

    Parameters
    ----------
    sources : dict of str to dict of str to str
        ``{submission: {graded function: its source}}``.
    well_known : set of int
        Fingerprints of code that is no evidence (:func:`well_known_fingerprints`).
    jobs : int
        Processes to fingerprint with.

    Returns
    -------
    Review

    Examples
    --------
    >>> copied = "def score(clf, X, y):\\n    guesses = clf.predict(X)\\n    hits = np.sum(guesses == y)\\n    return hits / len(y)\\n"
    >>> review = compare({"ann": {"score": copied}, "bob": {"score": copied.replace("hits", "ok")}, "cy": {}})
    >>> [(p.a, p.b, p.score) for p in review.pairs]
    [('ann', 'bob', 1.0)]
    """
    items = sorted(sources.items())
    if jobs > 1 and len(items) > 200:
        with ProcessPoolExecutor(jobs) as pool:
            submissions = list(pool.map(_fingerprint_submission, items, chunksize=max(1, len(items) // (jobs * 8))))
    else:
        submissions = [_fingerprint_submission(item) for item in items]
    owners = defaultdict(set)
    for index, submission in enumerate(submissions):
        for f in submission.fingerprints:
            owners[f.hash].add(index)
    limit = max(COMMON_AT_LEAST, int(COMMON_SHARE * len(submissions)))
    removed_known = sum(1 for value in owners if value in well_known)
    common = {value: len(who) for value, who in owners.items() if len(who) > limit and value not in well_known}
    evidence = {value: sorted(who) for value, who in owners.items() if 1 < len(who) <= limit and value not in well_known}
    sizes = [len({f.hash for f in s.fingerprints if f.hash not in well_known and f.hash not in common}) for s in submissions]
    shared: Counter[int] = Counter()
    n = len(submissions)  # a pair (a, b) is the key a * n + b: a fraction of a tuple's memory
    for who in evidence.values():
        for i, a in enumerate(who):
            shared.update(a * n + b for b in who[i + 1 :])
    scored = []
    for key, count in shared.items():
        a, b = divmod(key, n)
        smaller = min(sizes[a], sizes[b])
        scored.append((count / smaller if smaller else 0.0, count, a, b))
    all_pairs = len(submissions) * (len(submissions) - 1) // 2
    lower = sorted(score for score, *_ in scored)
    pairs = []
    for score, count, a, b in sorted(scored, key=lambda s: (-s[0], -s[1], submissions[s[2]].name, submissions[s[3]].name)):
        if score < FLAG_SCORE or count < FLAG_SHARED:
            continue
        below = all_pairs - len(lower) + bisect.bisect_left(lower, score)
        common_functions = _shared_functions(submissions[a], submissions[b], evidence)
        pairs.append(Pair(submissions[a].name, submissions[b].name, round(score, 4), count, below / all_pairs, common_functions))
    by_name = {s.name: s for s in submissions}
    return Review(pairs, by_name, removed_known, common, len(scored), all_pairs)


def _shared_functions(a: Submission, b: Submission, evidence: Collection[int]) -> tuple[str, ...]:
    theirs = {f.hash for f in b.fingerprints}
    return tuple(sorted({f.function for f in a.fingerprints if f.hash in theirs and f.hash in evidence}))


# The graded folder's side: read the graded submissions, write the CSV and the pages.


def sources_of_graded(graded: GradedFolder, read_notebook: Callable[[Path], str]) -> tuple[dict[str, dict[str, str]], list[str]]:
    """``({submission: {function: source}}, [one line per submission whose file could not be read])``."""
    if not graded.results.is_dir():
        raise FileNotFoundError(f"{graded.root} has no results/ folder; run mnist-kit grade --out {graded.root} first")
    sources, problems = {}, []
    for path in sorted(graded.results.glob("*.json")):
        try:
            result = Result.from_json(json.loads(path.read_text(encoding="utf-8")))
            if result.submission is None or result.file is None:
                raise ValueError("its result names no submission or file")
            sources[result.submission] = graded_functions(json.loads(read_notebook(Path(result.file))))
        except Exception as error:  # noqa: BLE001 - one unreadable submission is named and skipped, never the whole review
            problems.append(f"{path.stem}: not compared ({type(error).__name__}: {str(error)[:120]})")
    return sources, problems


def write_review(graded: GradedFolder, review: Review, problems: Sequence[str] = ()) -> Path:
    """Write ``similarity.csv``, ``similarity.html`` and one page per flagged pair into ``graded``; return the CSV's path."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["submission_a", "submission_b", "score", "shared_fingerprints", "above_share_of_pairs", "functions"])
    for pair in review.pairs:
        writer.writerow([pair.a, pair.b, f"{pair.score:.4f}", pair.shared, f"{pair.above:.6f}", " ".join(pair.functions)])
    write_atomically(graded.similarity, out.getvalue())
    graded.similarity_pairs.mkdir(exist_ok=True)
    for stale in graded.similarity_pairs.glob("*.html"):
        stale.unlink()
    for number, pair in enumerate(review.pairs, start=1):
        write_atomically(graded.similarity_pairs / f"{number:04d}.html", _pair_page(pair, review))
    write_atomically(graded.similarity_page, _index_page(review, problems))
    return graded.similarity


_STYLE = "body{font-family:sans-serif;margin:2em}pre{margin:0}td{vertical-align:top;padding:0 1em}.shared{background:#ffe08a}"


def _index_page(review: Review, problems: Sequence[str]) -> str:
    rows = "".join(
        f"<tr><td><a href='similarity/{n:04d}.html'>{html.escape(p.a)} and {html.escape(p.b)}</a></td><td>{p.score:.2f}</td>"
        f"<td>{p.shared}</td><td>higher than {100 * p.above:.3f} % of the class's pairs</td>"
        f"<td>{html.escape(', '.join(p.functions))}</td></tr>"
        for n, p in enumerate(review.pairs, start=1)
    )
    unread = "".join(f"<li>{html.escape(line)}</li>" for line in problems)
    return (
        f"<!doctype html><meta charset='utf-8'><title>Similar code, for review</title><style>{_STYLE}</style>"
        "<h1>Similar code, for review</h1><p>Pairs of submissions whose graded functions share unusual code. "
        "Similar code is not proof of anything: read both, and judge.</p>"
        f"<p>{len(review.submissions)} submissions, {review.all_pairs} pairs; {review.candidate_pairs} pairs share any uncommon code; "
        f"{len(review.pairs)} flagged (at least {FLAG_SHARED} shared fingerprints, {FLAG_SCORE:.0%} of the smaller one's).</p>"
        "<table><tr><th>pair</th><th>score</th><th>shared</th><th>against the class</th><th>functions</th></tr>"
        f"{rows}</table><h2>Removed as common code</h2><ul>"
        f"<li>{review.removed_known} fingerprints of the stubs, the notebook's examples and the reference solution</li>"
        f"<li>{len(review.removed_common)} fingerprints more than {COMMON_SHARE:.0%} of the class share; "
        f"the most shared, with a line each comes from:</li></ul>{_common_examples(review)}"
        f"{'<h2>Not compared</h2><ul>' + unread + '</ul>' if unread else ''}"
    )


def _common_examples(review: Review, shown: int = 20) -> str:
    """The most shared of the removed fingerprints, each with the line of code it came from (first submission, by name)."""
    wanted = sorted(review.removed_common, key=lambda value: (-review.removed_common[value], value))[:shown]
    lines = {}
    for name in sorted(review.submissions):
        submission = review.submissions[name]
        for f in submission.fingerprints:
            if f.hash in review.removed_common and f.hash not in lines:
                source = submission.sources.get(f.function, "").splitlines()
                lines[f.hash] = (f.function, " / ".join(s.strip() for s in source[f.first_line - 1 : f.last_line]))
    rows = "".join(
        f"<tr><td>{review.removed_common[value]}</td><td>{html.escape(lines[value][0])}</td><td><code>{html.escape(lines[value][1])}</code></td></tr>"
        for value in wanted
        if value in lines
    )
    return f"<table><tr><th>submissions</th><th>function</th><th>code</th></tr>{rows}</table>"


def _pair_page(pair: Pair, review: Review) -> str:
    a, b = review.submissions[pair.a], review.submissions[pair.b]
    columns = []
    for mine, theirs in ((a, b), (b, a)):
        shared = {f.hash for f in theirs.fingerprints}
        lines: defaultdict[str, set[int]] = defaultdict(set)
        for f in mine.fingerprints:
            if f.hash in shared and f.hash not in review.removed_common:
                lines[f.function].update(range(f.first_line, f.last_line + 1))
        blocks = []
        for function in pair.functions:
            source = mine.sources.get(function, "")
            rendered = "".join(
                f"<pre{' class=shared' if number in lines[function] else ''}>{html.escape(text) or ' '}</pre>"
                for number, text in enumerate(source.splitlines(), start=1)
            )
            blocks.append(f"<h3>{html.escape(function)}</h3>{rendered}")
        columns.append(f"<td><h2>{html.escape(mine.name)}</h2>{''.join(blocks)}</td>")
    return (
        f"<!doctype html><meta charset='utf-8'><title>Similar code: {html.escape(pair.a)} and {html.escape(pair.b)}</title>"
        f"<style>{_STYLE}</style><p><a href='../similarity.html'>All pairs</a> · similar code, for review · score {pair.score:.2f}, "
        f"{pair.shared} shared fingerprints, higher than {100 * pair.above:.3f} % of the class's pairs. Highlighted: lines of shared, "
        f"uncommon code.</p><table><tr>{''.join(columns)}</tr></table>"
    )
