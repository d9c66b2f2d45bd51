"""Consultation jobs: they take ids, reload rows and are idempotent."""

from __future__ import annotations

from civic.core.jobs import job_lock
from civic.extensions import db


def compute_results(consultation_id: int) -> None:
    """Compute and persist the results of a closed consultation (once)."""
    from . import services

    with job_lock(f"consultation-results:{consultation_id}", ttl=600) as got:
        if not got:
            return
        services.compute_results(consultation_id)
        # Commit inside the lock: the next holder must see the marker.
        db.session.commit()


def notify_participants(consultation_id: int, what: str) -> None:
    from . import services

    services.notify_participants(consultation_id, what)


def notify_contributors(consultation_id: int) -> None:
    from . import services

    services.notify_contributors(consultation_id)


def close_due() -> None:
    """Periodic: close consultations whose closing date has passed."""
    from . import services

    services.close_due_consultations()
