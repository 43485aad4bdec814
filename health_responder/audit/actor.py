"""Who acts: a user, or a scheduled run. Stock ledger rows and audit events both record it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """Who changes stock or a record: a user, or a scheduled run (then ``job_run_id`` is set)."""

    user_id: int | None
    label: str
    job_run_id: int | None = None

    @classmethod
    def of(cls, user) -> Actor:
        """The actor for a logged-in user."""
        return cls(user_id=user.id, label=f"user:{user.email}")

    @classmethod
    def job(cls, name: str, run_id: int | None) -> Actor:
        """The actor for a scheduled run."""
        return cls(user_id=None, label=f"job:{name}#{run_id}", job_run_id=run_id)
