"""The draw itself, out of the request: computing the selection probabilities,
drawing the panel with the committed seed, writing the report and seating
the members (``run_draw``), and erasing a closed pool's data after the
retention delay (``erase_pool_data``). The services (``draw_services``) and
the job bodies (``draw_jobs``) both use it; it imports neither.

A maximin over a large pool takes minutes (10,000 volunteers: about 4 minutes
of CPU, bench_assemblies.py), longer than a web request may last, so the
admin's "Run the draw" only starts it (``draw_services.start_draw``) and a
worker runs it (``draw_jobs.draw``).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.core import audit
from civic.core.errors import InvalidTransition, ValidationError
from civic.core.permissions import require
from civic.core.time import utcnow
from civic.core.transitions import transition
from civic.extensions import db

from . import permissions, report, selection
from .models import (
    SELECTION_FLOW,
    Algorithm,
    Invitation,
    Member,
    Selection,
    SelectionState,
    Volunteer,
    VolunteerStatus,
)

LEGACY_RUNS = 1000


def pool(sel: Selection) -> list[Volunteer]:
    """The volunteers of a selection in registration order."""
    return db.session.scalars(sa.select(Volunteer).where(Volunteer.selection_id == sel.id)
                              .order_by(Volunteer.id)).all()


def frozen_pool(sel: Selection) -> selection.Pool:
    """The pool read back from the published anonymised files, as anyone would."""
    quotas = selection.parse_categories(sel.categories_csv)
    homes = (report.HOUSEHOLD_COLUMN,) if report.has_households(sel.respondents_csv) else ()
    return selection.parse_respondents(sel.respondents_csv, quotas, homes)


def infeasible_message(err: selection.Infeasible) -> str:
    """The translated sentence for quotas no panel can meet, with the relaxation that fixes them."""
    if not err.relaxation:
        return _("No panel meets these quotas: there are not enough volunteers to fill it.")
    parts = [_("%(category)s / %(value)s: min %(old_min)d → %(new_min)d, max %(old_max)d → %(new_max)d",
               category=q.category, value=q.value, old_min=q.min, new_min=lo, old_max=q.max, new_max=hi)
             for q, lo, hi in err.relaxation]
    return _("No panel meets these quotas with this pool. The smallest change that makes it possible: "
             "%(changes)s.", changes="; ".join(parts))


def run_draw(actor, sel: Selection) -> list[Volunteer]:
    """Compute the probabilities, draw the panel with the committed seed, reveal
    the seed, write the report and make the selected volunteers members."""
    require(permissions.can_manage_selection(actor, sel.assembly))
    if sel.state != SelectionState.COMMITTED:
        raise InvalidTransition(_("Publish the seed's commitment before the draw."))
    pool_ = frozen_pool(sel)
    size = sel.assembly.size
    try:
        result = selection.select(pool_, size, sel.algorithm.value)
        legacy = result if sel.algorithm == Algorithm.LEGACY else selection.select(
            pool_, size, "legacy", legacy_runs=LEGACY_RUNS)
        if sel.algorithm == Algorithm.LEGACY:
            panel = selection.legacy_panel(pool_, size, sel.seed)
        else:
            panel = selection.draw_panel(result, pool_, sel.seed)
    except selection.Infeasible as err:
        raise ValidationError(infeasible_message(err)) from None
    except selection.SelectionError as err:
        raise ValidationError(str(err)) from None
    figures = report.figures(pool_, result, legacy, panel)
    figures["panel"] = sorted(panel)
    figures["replacements"] = []
    sel.report = figures
    chosen = set(panel)
    by_ref = {v.ref: v for v in pool(sel) if v.ref}
    now = utcnow()
    selected = []
    for ref, v in by_ref.items():
        v.probability = result.probabilities.get(ref)
        if ref in chosen:
            selected.append(make_member(sel, v, now))
        else:
            v.status = VolunteerStatus.NOT_SELECTED
    transition(sel, SELECTION_FLOW, SelectionState.DRAWN, actor, "assemblies.panel_drawn", stamp="drawn_at",
               seed=sel.seed, algorithm=sel.algorithm.value, panel=len(panel))
    db.session.flush()
    return selected


def make_member(sel: Selection, v: Volunteer, now) -> Volunteer:
    member = Member(assembly_id=sel.assembly_id, user_id=v.user_id, first_name=v.first_name or None,
                    show_name=False, joined_at=now)
    db.session.add(member)
    db.session.flush()
    v.member_id, v.status = member.id, VolunteerStatus.SELECTED
    return v


def erase_pool_data(sel: Selection, now, retention_days: int) -> int:
    """Erase the contact and feature data of everyone not sitting (not selected,
    withdrawn) and the invitation addresses, once ``retention_days`` have passed
    since the selection closed; audited. Returns how many people were erased
    (0 when it is not yet time). Called by the periodic job, not by people."""
    if sel.state != SelectionState.CLOSED or sel.data_deleted_at is not None or sel.closed_at is None:
        return 0
    if sel.closed_at + timedelta(days=retention_days) > now:
        return 0
    gone = [v for v in pool(sel) if v.status != VolunteerStatus.SELECTED]
    for v in gone:
        v.features, v.household, v.ref, v.probability = None, None, None, None
        v.first_name = v.last_name = v.email = v.phone = ""
    letters = db.session.execute(sa.update(Invitation).where(Invitation.selection_id == sel.id)
                                 .values(name="", address="")).rowcount
    sel.data_deleted_at = now
    audit.record(None, "assemblies.pool_data_erased", "assembly_selection", sel.id, volunteers=len(gone),
                 invitations=letters, retention_days=retention_days)
    db.session.flush()
    return len(gone)
