"""The registry of checks: ``@job(name)``, the schedules, and the fixed grid of ticks.

A job is a plain function ``fn(*, run: JobRun, now: datetime, dry_run: bool) -> dict`` registered
with ``@job(name)`` in its feature's ``jobs.py``; it does its own work in short transactions and
returns its counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from health_responder.errors import NotFound

JobFunction = Callable[..., dict]


@dataclass(frozen=True)
class Job:
    """A registered check."""

    name: str
    fn: JobFunction
    description: str


_REGISTRY: dict[str, Job] = {}


def job(name: str) -> Callable[[JobFunction], JobFunction]:
    """Register ``fn`` as the check called ``name`` (its docstring's first line describes it)."""

    def register(fn: JobFunction) -> JobFunction:
        description = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else name
        _REGISTRY[name] = Job(name=name, fn=fn, description=description)
        return fn

    return register


def jobs() -> dict[str, Job]:
    """Every registered check, by name (importing each feature's jobs module registers its checks).

    The modules are named in ``features.JOBS`` and imported by name: the scheduler never imports a
    feature, the features import the scheduler (``@job``, ``keep_alive``, ``stopping``).
    """
    from health_responder import features

    features.present(features.JOBS)

    return dict(sorted(_REGISTRY.items()))


def get_job(name: str) -> Job:
    """The check called ``name``, or NotFound."""
    found = jobs().get(name)
    if found is None:
        raise NotFound(_l("No check named %(name)s.", name=repr(name)))
    return found


def schedules() -> dict[str, int]:
    """Seconds between ticks of each scheduled check (JOB_SCHEDULES; a check absent there runs on demand only)."""
    known = jobs()
    return {
        name: int(seconds)
        for name, seconds in current_app.config["JOB_SCHEDULES"].items()
        if name in known and seconds and int(seconds) > 0
    }


def tick(now: datetime, interval: int) -> datetime:
    """The tick on the fixed grid that ``now`` falls in: ``floor(now / interval) * interval``."""
    seconds = int(now.timestamp()) // interval * interval
    return datetime.fromtimestamp(seconds, UTC)


def next_tick(now: datetime, interval: int) -> datetime:
    """The first tick after ``now``."""
    return tick(now, interval) + timedelta(seconds=interval)
