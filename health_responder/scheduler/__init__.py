"""The scheduler: which checks exist (registry), how each runs once per tick (runner), the job runs
(models) and ``flask scheduler`` (cli).

Any number of schedulers may run; the database decides who runs a check (see runner). Features
register their checks with ``@job`` in their own ``jobs.py``; the scheduler never imports a feature.
This module gathers the public names, so ``from health_responder import scheduler`` reads as before.
"""

from health_responder.scheduler.models import JobRun, RunOutcome
from health_responder.scheduler.registry import Job, get_job, job, jobs, next_tick, schedules, tick
from health_responder.scheduler.runner import (
    JobBusy,
    TickTaken,
    build_scheduler,
    keep_alive,
    last_runs,
    run_job,
    run_scheduled,
    stopping,
)

__all__ = [
    "Job",
    "JobBusy",
    "JobRun",
    "RunOutcome",
    "TickTaken",
    "build_scheduler",
    "get_job",
    "job",
    "jobs",
    "keep_alive",
    "last_runs",
    "next_tick",
    "run_job",
    "run_scheduled",
    "schedules",
    "stopping",
    "tick",
]
