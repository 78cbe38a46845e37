"""``course.toml``: the assignment's due date, per-student extensions, the late policy, and the course's files.

Every field is documented in :data:`FIELDS` (and in docs/course.md, which is checked against it).
A time without an offset is in the course's ``timezone``. Example::

    [assignment]
    name = "MNIST"                      # the assignment's name in the LMS
    due = 2026-12-04T23:59:00           # in the course's time zone
    timezone = "America/Chicago"

    [late]
    grace_minutes = 15
    penalty_percent = 10                # per started day (or hour) late
    per = "day"
    max_penalty_percent = 50
    zero_after_days = 7

    [files]
    roster = "roster.csv"
    times = "times.csv"

    [extensions]                        # a student (id, login, SIS id or email): a new due time, or extra days
    alee = 2026-12-06T23:59:00
    17 = 2
"""

import csv
import datetime as dt
import tomllib
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import CourseError
from .late import SETTINGS as LATE_SETTINGS, LatePolicy

FIELDS = {
    "assignment.name": "the assignment's name; the Canvas export writes its column under it (default: the roster's column of that name)",
    "assignment.canvas_column": 'the exact Canvas column, e.g. "MNIST (81234)"; needed only if the roster has several of that name',
    "assignment.due": 'the due date and time (TOML datetime, or text such as "2026-12-04 23:59"); without it nothing is late',
    "assignment.timezone": 'the IANA time zone of every time given without an offset (default UTC), e.g. "Europe/Berlin"',
    **LATE_SETTINGS,
    "files.roster": "the roster CSV (Canvas gradebook export or plain), relative to course.toml; --roster overrides it",
    "files.times": "a CSV of submission times, columns file, submitted_at (for downloads that carry no time)",
    "files.mapping": "a CSV of columns file, student: submissions whose names say nothing of their student",
    "files.extensions": "a CSV of columns student, due (a time) or student, days (extra days), beside the [extensions] table",
    "extensions.<student>": "a new due time, or a number of extra days, for one student (id, login, SIS id or email)",
}


@dataclass(frozen=True)
class Course:
    """What ``course.toml`` says, with its files' paths resolved and its times made aware."""

    path: Path | None
    name: str = ""
    canvas_column: str = ""
    due: dt.datetime | None = None
    timezone: zoneinfo.ZoneInfo = field(default_factory=lambda: zoneinfo.ZoneInfo("UTC"))
    late: LatePolicy = field(default_factory=LatePolicy)
    roster: Path | None = None
    times: Path | None = None
    mapping: Path | None = None
    extensions: dict[str, dt.datetime | float] = field(default_factory=dict)

    def due_for(self, extension: dt.datetime | float | None) -> dt.datetime | None:
        """The due time of a student with ``extension`` (a new due time, or extra days)."""
        if extension is None or self.due is None:
            return extension if isinstance(extension, dt.datetime) else self.due
        return extension if isinstance(extension, dt.datetime) else self.due + dt.timedelta(days=extension)

    def aware(self, value: dt.datetime) -> dt.datetime:
        """``value`` with the course's time zone when it has none."""
        return value if value.tzinfo else value.replace(tzinfo=self.timezone)


def read_course(path: Path) -> Course:
    """Read ``course.toml``; every problem is one line naming the file and the field.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "course.toml"
    >>> _ = path.write_text('[assignment]\\ndue = 2026-12-04T23:59:00\\ntimezone = "Europe/Berlin"\\n[late]\\npenalty_percent = 10\\n')
    >>> course = read_course(path)
    >>> course.due.isoformat(), course.late.penalty_percent
    ('2026-12-04T23:59:00+01:00', 10.0)
    """
    path = Path(path)
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(f"{path}: no such course file; see docs/course.md for one to start from") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CourseError(f"{path}: not valid TOML ({error}); see docs/course.md") from None
    unknown = [f"{section}.{key}" for section, keys in table.items() if section != "extensions" for key in _keys(keys)]
    unknown = [name for name in unknown if name not in FIELDS] + [
        s for s in table if s not in ("assignment", "late", "files", "extensions")
    ]
    if unknown:
        raise CourseError(f"{path}: unknown field {unknown[0]}; the fields are {', '.join(FIELDS)}")
    assignment, late, files = table.get("assignment", {}), table.get("late", {}), table.get("files", {})
    zone = _zone(path, assignment.get("timezone", "UTC"))
    due = assignment.get("due")
    extensions = {str(k): _extension(path, f"extensions.{k}", v, zone) for k, v in table.get("extensions", {}).items()}
    extension_file = _file(path, "files.extensions", files.get("extensions"))
    if extension_file:
        for number, row in read_csv(extension_file, ("student",), ("due", "days")):
            where = f"{extension_file}, row {number}"
            value = row["due"] if row.get("due") else _number(row.get("days"), where)
            extensions[row["student"]] = _extension(extension_file, f"row {number}", value, zone)
    return Course(
        path=path,
        name=_text(path, "assignment.name", assignment.get("name", "")),
        canvas_column=_text(path, "assignment.canvas_column", assignment.get("canvas_column", "")),
        due=None if due is None else parse_time(due, zone, f"{path}: assignment.due"),
        timezone=zone,
        late=LatePolicy.from_table(late, path),
        extensions=extensions,
        **{name: _file(path, f"files.{name}", files.get(name)) for name in ("roster", "times", "mapping")},
    )


def _keys(keys: object) -> dict:
    return keys if isinstance(keys, dict) else {}


def _zone(path: Path, name: object) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(str(name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise CourseError(f'{path}: assignment.timezone {name!r} is not a time zone; use an IANA name such as "America/Chicago"') from None


def _text(path: Path, name: str, value: object) -> str:
    if not isinstance(value, str):
        raise CourseError(f"{path}: {name} must be text in quotes, got {value!r}")
    return value


def _number(value: Any, where: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise CourseError(f"{where}: expected a number, got {value!r}") from None


def _file(path: Path, name: str, value: object) -> Path | None:
    if value is None:
        return None
    found = path.parent / _text(path, name, value)
    if not found.is_file():
        raise CourseError(f"{path}: {name} names {found}, which does not exist; fix the path (relative to {path.name})")
    return found


def _extension(path: Path, name: str, value: object, zone: zoneinfo.ZoneInfo) -> dt.datetime | float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < 0:
            raise CourseError(f"{path}: {name} gives {value} days; an extension adds days (at least 0)")
        return float(value)
    return parse_time(value, zone, f"{path}: {name}")


def parse_time(value: object, zone: dt.tzinfo, where: str) -> dt.datetime:
    """A time as TOML, YAML or a CSV cell gives it, made aware (``zone`` when it has no offset).

    Examples
    --------
    >>> parse_time("2026-12-04 23:59", zoneinfo.ZoneInfo("UTC"), "x").isoformat()
    '2026-12-04T23:59:00+00:00'
    """
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime.combine(value, dt.time(23, 59, 59))
    else:
        text = str(value).strip().replace(" UTC", "+00:00")
        text = text[:-1] + "+00:00" if text.endswith("Z") else text
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            raise CourseError(
                f"{where}: {value!r} is not a time; write it as 2026-12-04T23:59:00 (optionally with an offset, +01:00)"
            ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def read_csv(path: Path, required: tuple[str, ...], one_of: tuple[str, ...] = ()) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of an instructor's CSV as (row number, {column: value}); one line naming the file if a column is missing."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CourseError(f"{path}: not UTF-8 text; save it as CSV (UTF-8)") from None
    reader = csv.DictReader(text.splitlines())
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    missing = [c for c in required if c not in columns]
    if missing or (one_of and not set(one_of) & set(columns)):
        wanted = ", ".join(required) + (f" and one of {', '.join(one_of)}" if one_of else "")
        raise CourseError(f"{path}: needs the columns {wanted}; its header is {', '.join(columns) or 'empty'}")
    for number, row in enumerate(reader, start=2):
        cleaned = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
        if any(cleaned.values()):
            yield number, cleaned
