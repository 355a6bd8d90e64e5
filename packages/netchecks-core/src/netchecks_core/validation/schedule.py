"""Cron schedules as a Kubernetes CronJob accepts them.

kube-apiserver parses ``spec.schedule`` with robfig/cron's standard parser:
exactly five fields (minute, hour, day of month, month, day of week), each a
comma-separated list of ``*``, ``?``, a number or a name (``JAN``, ``MON``), a
range ``a-b`` and a step ``/n``; or one of the macros ``@yearly``/``@annually``,
``@monthly``, ``@weekly``, ``@daily``/``@midnight``, ``@hourly`` and
``@every <Go duration>``. It refuses ``TZ=``/``CRON_TZ=`` in the schedule.

croniter parses every field as cron. It also accepts what Kubernetes refuses,
so each item's form is checked first (no ``L``, ``W``, ``#``, ``H``, no seconds
field), with the rules croniter lacks: the day of week ends at 6 (Sunday is 0,
not 7) and a range runs upwards. The form check also names the field and the
bound in its message. Empty list items (``1,,2``) are refused, though
Kubernetes lets them pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["schedule_problem"]


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()

    def value(self, item: str) -> int | None:
        """The number of a value (a digit string or a name of this field)."""
        if item.isdigit():
            return int(item)
        lowered = item.lower()
        if lowered in self.names:
            return self.names.index(lowered) + (1 if self.name == "month" else 0)
        return None


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day of month", 1, 31),
    _Field("month", 1, 12, _MONTHS),
    _Field("day of week", 0, 6, _DAYS),
)
_MACROS = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)
#: One list item: ``*``/``?`` or a value or range, then an optional step.
_ITEM_RE = re.compile(r"^(?:(?P<any>[*?])|(?P<lo>\w+)(?:-(?P<hi>\w+))?)(?:/(?P<step>\d+))?$")
#: Go's time.ParseDuration: a signed sequence of decimal numbers with units.
_GO_DURATION_RE = re.compile(r"^[-+]?(?:0|(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$")


def schedule_problem(schedule: str) -> str | None:
    """Why Kubernetes would refuse ``schedule`` as a CronJob schedule, or None."""
    if "TZ" in schedule:
        return "TZ= and CRON_TZ= are not allowed in a schedule (Kubernetes refuses them)"
    if schedule.startswith("@"):
        return _macro_problem(schedule)
    fields = schedule.split()
    if len(fields) != 5:
        return (
            f"{schedule!r} is not a cron schedule: expected 5 fields (minute hour "
            f"day-of-month month day-of-week) or a macro such as @hourly, found {len(fields)}"
        )
    for position, (spec, text) in enumerate(zip(_FIELDS, fields, strict=True)):
        problem = _form_problem(spec, text) or _croniter_problem(spec, position, text)
        if problem:
            return f"{schedule!r} is not a valid cron schedule: {problem}"
    return None


def _macro_problem(schedule: str) -> str | None:
    if schedule in _MACROS:
        return None
    duration = schedule.removeprefix("@every ")
    if duration != schedule:
        if _GO_DURATION_RE.match(duration):
            return None
        return f"{schedule!r}: @every needs a duration such as 5m, 1h30m or 90s"
    known = ", ".join(sorted(_MACROS))
    return f"{schedule!r} is not a known macro (known: {known}, @every <duration>)"


def _form_problem(spec: _Field, text: str) -> str | None:
    """Kubernetes' item grammar, names and the value rules croniter does not apply."""
    for item in text.split(","):
        match = _ITEM_RE.match(item)
        if match is None:
            return (
                f"the {spec.name} field has {item!r}: expected *, a number, a range "
                "such as 1-5, or a step such as */15"
            )
        if match["any"]:
            continue
        low = spec.value(match["lo"])
        high = spec.value(match["hi"]) if match["hi"] else low
        for word, number in ((match["lo"], low), (match["hi"], high)):
            if word and number is None:
                return f"the {spec.name} field has {word!r}, which is not a number{_names(spec)}"
        assert low is not None and high is not None  # checked just above
        if not spec.low <= low <= spec.high or not spec.low <= high <= spec.high:
            return f"the {spec.name} field {item!r} is out of range ({spec.low}-{spec.high})"
        if low > high:
            return f"the {spec.name} field {item!r} is a range that runs backwards"
        if match["step"] is not None and int(match["step"]) == 0:
            return f"the {spec.name} field {item!r} has a step of 0"
    return None


def _names(spec: _Field) -> str:
    return f" or one of {', '.join(n.upper() for n in spec.names)}" if spec.names else ""


def _croniter_problem(spec: _Field, position: int, text: str) -> str | None:
    """croniter's judgement of one field, the others left as ``*``."""
    from croniter import CroniterError, croniter

    fields = ["*"] * 5
    fields[position] = text.replace("?", "*")
    try:
        croniter.expand(" ".join(fields))
    except (CroniterError, ValueError) as error:
        return f"the {spec.name} field {text!r} is not valid ({error})"
    return None
