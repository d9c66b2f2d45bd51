"""Budget jobs: take ids, reload rows, idempotent."""

from __future__ import annotations

from civic.core.jobs import job_lock
from civic.extensions import db

from .models import BudgetEdition
from .services.results import compute_results


def compute_results_job(edition_id: int) -> None:
    """Compute an edition's results after voting closed.

    Runs under a lock so two workers never compute the same edition at once;
    recomputing gives the same rows (upserts), and published results are left
    alone, so a retry is harmless.
    """
    with job_lock(f"budget-results:{edition_id}", ttl=1800) as got:
        if not got:
            return
        edition = db.session.get(BudgetEdition, edition_id)
        if edition is None:
            return
        compute_results(edition)
        db.session.commit()
