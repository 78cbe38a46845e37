"""What Gradescope accepts in ``results.json``, checked field by field.

Taken from Gradescope's own specification, ``docs/specs.md`` in gradescope/autograder_samples
("Output format", "Controlling Test Case Visibility", "Controlling standard output visibility"),
and the formatting fields its autograder documentation adds (``output_format``,
``test_output_format``, ``test_name_format``, a test's ``status`` and ``name_format``).
"""

VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
TOP_LEVEL = {
    "score": (int, float),
    "execution_time": (int, float),
    "output": str,
    "output_format": str,
    "test_output_format": str,
    "test_name_format": str,
    "visibility": str,
    "stdout_visibility": str,
    "extra_data": dict,
    "tests": list,
    "leaderboard": list,
}
TEST = {
    "score": (int, float),
    "max_score": (int, float),
    "status": str,
    "name": str,
    "name_format": str,
    "number": str,
    "output": str,
    "output_format": str,
    "tags": list,
    "visibility": str,
    "extra_data": dict,
}


def problems(results):
    """Every way ``results`` breaks Gradescope's specification ([] when it is valid)."""
    found = _fields(results, TOP_LEVEL, "results.json")
    if "score" not in results and not all("score" in t for t in results.get("tests", []) if isinstance(t, dict)):
        found.append("no top-level score, and a test without one")
    if "score" not in results and not results.get("tests"):
        found.append("neither a score nor tests")
    for index, test in enumerate(results.get("tests", [])):
        if not isinstance(test, dict):
            found.append(f"tests[{index}] is not an object")
            continue
        found += _fields(test, TEST, f"tests[{index}]")
        if test.get("status") not in (None, "passed", "failed"):
            found.append(f"tests[{index}].status is {test['status']!r}")
        if isinstance(test.get("score"), (int, float)) and isinstance(test.get("max_score"), (int, float)):
            if not 0 <= test["score"] <= test["max_score"]:
                found.append(f"tests[{index}] scores {test['score']} of {test['max_score']}")
    return found


def _fields(entry, allowed, where):
    found = [f"{where} has an unknown field {key!r}" for key in entry if key not in allowed]
    found += [
        f"{where}.{key} is a {type(entry[key]).__name__}" for key in entry if key in allowed and not isinstance(entry[key], allowed[key])
    ]
    found += [
        f"{where}.{key} is {entry[key]!r}" for key in ("visibility", "stdout_visibility") if key in entry and entry[key] not in VISIBILITIES
    ]
    formats = ("output_format", "test_output_format", "test_name_format", "name_format")
    found += [f"{where}.{key} is {entry[key]!r}" for key in formats if key in entry and entry[key] not in FORMATS]
    return found
