"""The late policy: every rule of what lateness costs, in one place.

``course.toml``'s ``[late]`` table is read by :meth:`LatePolicy.from_table` (the course file's
reader only hands it the table); the gradebook asks the policy for the share a lateness costs
(:meth:`LatePolicy.penalty_fraction`) and the points that share takes (:meth:`LatePolicy.penalty`),
and the report and the feedback state it with :meth:`LatePolicy.in_words`. A new rule is a field
here, its check in :meth:`LatePolicy.from_table`, its effect in those methods and its line in
:data:`SETTINGS`.
"""

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import CourseError

PERIODS = {"day": dt.timedelta(days=1), "hour": dt.timedelta(hours=1)}
BASES = ("score", "possible")
# Each setting of [late], as docs/course.md and the course file's errors describe it.
SETTINGS = {
    "late.grace_minutes": "minutes after the due time still counted on time (default 0)",
    "late.penalty_percent": "percent taken off per started period late (default 0: lateness shown, nothing taken)",
    "late.per": 'the period: "day" or "hour" (default "day")',
    "late.max_penalty_percent": "the most ever taken off, in percent (default 100)",
    "late.zero_after_days": "work later than this many days scores 0 (default: never)",
    "late.of": 'what the percent is of: "score" (the student\'s raw score, default) or "possible" (the assignment\'s points)',
}
_NUMBERS = ("grace_minutes", "penalty_percent", "max_penalty_percent", "zero_after_days")


@dataclass(frozen=True)
class LatePolicy:
    """How lateness costs points. ``penalty_percent`` per started ``per`` late, at most ``max_penalty_percent``."""

    grace_minutes: float = 0.0
    penalty_percent: float = 0.0
    per: str = "day"
    max_penalty_percent: float = 100.0
    zero_after_days: float | None = None
    of: str = "score"

    @classmethod
    def from_table(cls, table: dict[str, Any], path: Path | str) -> "LatePolicy":
        """The policy ``course.toml``'s ``[late]`` table states (``path`` names the file in errors).

        Raises
        ------
        CourseError
            In one line naming the setting, for a value out of range or of the wrong kind.

        Examples
        --------
        >>> LatePolicy.from_table({"penalty_percent": 10, "per": "hour"}, "course.toml").penalty_percent
        10.0
        """
        numbers = {}
        for name in _NUMBERS:
            if name in table:
                value = table[name]
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise CourseError(f"{path}: late.{name} must be a number of at least 0, got {value!r}")
                numbers[name] = float(value)
        per, of = table.get("per", "day"), table.get("of", "score")
        if per not in PERIODS:
            raise CourseError(f'{path}: late.per must be "day" or "hour", got {per!r}')
        if of not in BASES:
            raise CourseError(f'{path}: late.of must be "score" or "possible", got {of!r}')
        if numbers.get("max_penalty_percent", 100) > 100 or numbers.get("penalty_percent", 0) > 100:
            raise CourseError(f"{path}: a late penalty above 100 percent takes more than the score; use at most 100")
        return cls(per=per, of=of, **numbers)

    @property
    def period(self) -> dt.timedelta:
        """One period of lateness (a day or an hour): what a late flag without a time counts as."""
        return PERIODS[self.per]

    def flagged_late(self) -> tuple[dt.timedelta, float, str]:
        """What an LMS's late flag without a time counts as: one period late (the least it can be), its share, and why."""
        return self.period, self.penalty_fraction(self.period), f"marked late by Canvas, time unknown: counted one {self.per} late"

    def penalty_fraction(self, late_by: dt.timedelta) -> float:
        """The share of the base (score or possible) taken for work ``late_by`` after its due time.

        Examples
        --------
        >>> policy = LatePolicy(grace_minutes=15, penalty_percent=10, max_penalty_percent=25)
        >>> [policy.penalty_fraction(dt.timedelta(hours=h)) for h in (0.2, 1, 30, 200)]
        [0.0, 0.1, 0.2, 0.25]
        """
        if late_by <= dt.timedelta(minutes=self.grace_minutes):
            return 0.0
        if self.zero_after_days is not None and late_by > dt.timedelta(days=self.zero_after_days):
            return 1.0
        periods = math.ceil(late_by / self.period)
        return min(periods * self.penalty_percent, self.max_penalty_percent) / 100

    def penalty(self, fraction: float, score: float, possible: float) -> float:
        """The points ``fraction`` of lateness takes from ``score`` (never more than the score).

        Examples
        --------
        >>> LatePolicy(of="possible").penalty(0.1, 7.0, 10.0), LatePolicy().penalty(0.1, 7.0, 10.0)
        (1.0, 0.7)
        """
        base = score if self.of == "score" else possible
        return round(min(base * fraction, score), 2)

    def in_words(self, due: dt.datetime | None) -> str:
        """The policy for work due at ``due``, as one sentence for the report and the feedback.

        Examples
        --------
        >>> LatePolicy(grace_minutes=15, penalty_percent=10, max_penalty_percent=50).in_words(None)
        'No due date set.'
        """
        if due is None:
            return "No due date set."
        words = f"Due {due.isoformat(' ', 'minutes')}"
        if self.grace_minutes:
            words += f", with {self.grace_minutes:g} minutes' grace"
        if self.penalty_percent:
            words += f"; {self.penalty_percent:g} % of the {self.of} per started {self.per} late, at most {self.max_penalty_percent:g} %"
        if self.zero_after_days is not None:
            words += f"; 0 points after {self.zero_after_days:g} days"
        return words + "."


def late_in_words(seconds: float) -> str:
    """A lateness in words ("" when on time).

    Examples
    --------
    >>> late_in_words(93_600), late_in_words(2_700)
    ('1 day 2 hours', '45 minutes')
    """
    if not seconds:
        return ""
    days, rest = divmod(round(seconds / 60), 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour")] if days or hours else [(minutes, "minute")]
    return " ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n) or "0 minutes"
