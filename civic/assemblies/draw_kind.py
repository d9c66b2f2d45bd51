"""What the draw adds to the assemblies module's declaration (called by
``kind.declare``): its blueprint, the mediators' counter section, the
retention setting and its periodic erasure, the panel on an assembly's
page, the privacy notice, export and erasure of volunteers' data. Idempotent."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from civic.accounts import privacy
from civic.core import content
from civic.core.jobs import register_periodic
from civic.core.settings import SettingSpec, get_setting, register_setting
from civic.extensions import db

from . import (
    draw_demo,  # noqa: F401  (registers the demo loader at import time)
    draw_jobs,
    draw_services,
    draw_views,
    permissions,
)
from .labels_draw import STATE_LABELS
from .models import Assembly, Selection, SelectionState, Volunteer


def _counter_section(user) -> dict | None:
    """Assemblies whose invited people a mediator may register (by phone, at the counter)."""
    rows = db.session.scalars(sa.select(Selection).where(Selection.state == SelectionState.OPEN)
                              .order_by(Selection.id)).all()
    items = [{"title": s.assembly.title, "url": url_for("assemblies_draw.reply", assembly_id=s.assembly_id),
              "detail": _("register an invited person's interest")}
             for s in rows if permissions.can_record_interest(user, s)]
    return {"title": _("Citizens' assemblies: invited people"), "items": items}


def _panel(kind_name, obj, user):
    """On an assembly's page: the selection report and reply form, and the admins' way in."""
    if kind_name != "assembly":
        return None
    sel = draw_services.selection_of(obj)
    manage = permissions.can_manage_selection(user, obj)
    if sel is None and not manage:
        return None
    return render_template("assemblies/_draw_panel.html", a=obj, sel=sel, manage=manage, states=STATE_LABELS,
                           can_reply=sel is not None and (permissions.can_register_interest(user, sel)
                                                          or permissions.can_record_interest(user, sel)))


def _privacy_notice():
    return {"title": _("Citizens' assemblies drawn by lot"), "rows": [
        (_("Invitations: the name and address of the households drawn from the address list"),
         _("To send the letters. The rest of the list is not kept. Reply codes are kept only as keyed hashes."),
         _("Until the retention delay after the selection closes.")),
        (_("Volunteers: name, contact and the answers to the draw's form (sensitive ones only with consent)"),
         _("To draw a panel that resembles the population. Only anonymised figures and a file of "
           "pseudonymous profiles are published, never a name with answers."),
         _("For the people not drawn, deleted %(days)s days after the selection closes; kept for the members "
           "while the assembly sits.", days=_retention_days())),
    ]}


def _retention_days():
    return get_setting(draw_jobs.RETENTION_SETTING)


def export_volunteering(user) -> list[dict]:
    """The person's data export: the assemblies they volunteered for, with their answers."""
    rows = db.session.execute(sa.select(Assembly.title, Volunteer).join(Selection, Selection.id == Volunteer.selection_id)
                              .join(Assembly, Assembly.id == Selection.assembly_id)
                              .where(Volunteer.user_id == user.id).order_by(Volunteer.id)).all()
    return [{"assembly": title, "first_name": v.first_name, "last_name": v.last_name, "email": v.email,
             "phone": v.phone, "answers": v.features, "status": v.status.value,
             "registered_at": v.created_at.isoformat()} for title, v in rows]


def erase_volunteering(user) -> None:
    """Account deletion: the volunteer rows lose their link to the account (the
    pool's counts and a drawn panel must stay right; the retention job erases the rest)."""
    db.session.execute(sa.update(Volunteer).where(Volunteer.user_id == user.id).values(user_id=None))


def declare_draw(app) -> None:
    if "assemblies_draw" not in app.blueprints:
        app.register_blueprint(draw_views.bp)
    content.register_counter_section(_counter_section)
    content.register_panel(_panel, order=20)
    register_setting(SettingSpec(
        draw_jobs.RETENTION_SETTING, 30, int, lambda: _l("Citizens' assemblies: days the pool's data is kept "
                                                          "after the selection closes"),
        lambda: _l("Then the contact and feature data of the volunteers not drawn is deleted (audited)."),
        minimum=0, maximum=365))
    register_periodic("assemblies.erase_closed_pools", draw_jobs.erase_closed_pools, 3600)
    register_periodic("assemblies.resume_draws", draw_jobs.resume_draws, 300)
    privacy.register_privacy_notice(_privacy_notice)
    privacy.register_exporter("assemblies_volunteering", export_volunteering)
    privacy.register_eraser(erase_volunteering)
