"""Job runs: one row per execution of a check, unique by check and tick (the claim)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from health_responder.db import UTCDateTime
from health_responder.models_base import created_at, moment, text


class RunOutcome(enum.StrEnum):
    """How a run ended; ``running`` past its lease becomes ``abandoned``."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ABANDONED = "abandoned"


class JobRun(SQLModel, table=True):
    """One execution of a check; unique by check and scheduled tick, so two schedulers cannot both run it."""

    __tablename__ = "job_run"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60)
    #: The tick on the fixed grid this run serves (or the moment an on-demand run was asked for).
    scheduled_for: datetime = Field(sa_type=UTCDateTime)
    #: "schedule", "manual" or "cli".
    trigger: str = Field(default="schedule", max_length=20)
    dry_run: bool = Field(default=False)
    started_at: datetime = created_at()
    finished_at: datetime | None = moment()
    #: The run is presumed dead when still running after this moment.
    lease_until: datetime | None = moment()
    outcome: str = Field(default=RunOutcome.RUNNING, max_length=20, index=True)
    counts: dict | None = Field(default=None, sa_type=sa.JSON)
    error: str | None = text()
    #: "host:pid" of the process that ran it.
    runner: str | None = Field(default=None, max_length=200)
    requested_by_id: int | None = Field(default=None, foreign_key="user.id")

    __table_args__ = (sa.UniqueConstraint("name", "scheduled_for", name="uq_job_run_name_tick"),)
