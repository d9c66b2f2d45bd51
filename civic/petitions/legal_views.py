"""Pages of the requests to the council (CGCT L1112-16): the mayor's office's
steps, the council's session calendar, the paper signature sheet and the
signers' list for verification. Thin views over
:mod:`civic.petitions.services.legal`."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.core import pdf
from civic.core.errors import NotFound
from civic.core.export import csv_response
from civic.core.forms import form_status, run_service, select_choices
from civic.core.permissions import require
from civic.extensions import db
from civic.petitions import forms, permissions
from civic.petitions.models import CouncilSession
from civic.petitions.services import legal
from civic.petitions.views import bp, load_petition, no_store

SHEET_ROWS = 15  # one page of the sheet holds about fifteen signatures


def _legal(petition_id: int):
    petition = load_petition(petition_id)
    if petition.legal_kind is None:
        raise NotFound()
    return petition


@bp.route("/<int:petition_id>/legal", methods=["GET", "POST"])
@login_required
def legal_steps(petition_id):
    """The mayor's office records the law's steps: receipt, council informed, decision."""
    petition = _legal(petition_id)
    require(permissions.can_handle_legal_request(current_user, petition))
    ack, informed, decision = (forms.AcknowledgeForm(prefix="ack"), forms.InformedForm(prefix="inf"),
                               forms.DecisionForm(prefix="dec"))
    informed.session_id.choices = select_choices(
        [("", "—")] + [(str(s.id), f"{s.held_on.isoformat()} — {s.title}") for s in legal.sessions(petition.authority)])
    step = request.form.get("step")
    status = 200
    if request.method == "POST":
        if step == "ack" and ack.validate_on_submit():
            ok, _r = run_service(ack, legal.acknowledge, current_user, petition, received_on=ack.received_on.data)
        elif step == "informed" and informed.validate_on_submit():
            ok, _r = run_service(informed, legal.record_informed, current_user, petition,
                                 session_id=informed.session_id.data)
        elif step == "decision" and decision.validate_on_submit():
            ok, _r = run_service(decision, legal.record_decision, current_user, petition,
                                 decided_on=decision.decided_on.data, number=decision.number.data or "",
                                 text=decision.text.data or "", url=decision.url.data or "")
        else:
            ok = False
        if ok:
            flash(_("Step recorded: it is shown on the request's page and on the accountability page."), "success")
            return redirect(url_for("petitions.detail", petition_id=petition.id))
        submitted = {"ack": ack, "informed": informed, "decision": decision}.get(step)
        status = form_status(submitted) if submitted is not None else 422
        status = 422 if status == 200 else status
    return no_store(render_template("petitions/legal_steps.html", petition=petition, ack=ack, informed=informed,
                                     decision=decision, steps=legal.steps(petition),
                                     due=legal.due_session(petition)), status)


@bp.get("/<int:petition_id>/paper-sheet.pdf")
def paper_sheet(petition_id):
    """The printable signature sheet of a legal request (public: anyone may collect signatures)."""
    petition = _legal(petition_id)
    kinds = legal.kind_labels()
    text = [_("Request to the council (art. L1112-16 CGCT), kind %(kind)s", kind=kinds[petition.legal_kind.value]),
            _("Addressed to: %(authority)s", authority=petition.authority),
            petition.background]
    if petition.details:
        text.append(petition.details)
    text += [legal.LAW_TEXT, legal.LAW_REFERENCE + ".",
             _("Only electors registered on the electoral lists may sign. Each quarter, an elector may sign only one "
               "request to the same authority. Write your birth name and all your given names as on the electoral "
               "list: they are checked against the list in force.")]
    body = pdf.sheet_pdf(petition.title, text,
                         [pdf.Column(_("Name"), 2), pdf.Column(_("Given names"), 2),
                          pdf.Column(_("Birth date"), 1.4), pdf.Column(_("Address"), 3),
                          pdf.Column(_("Signature"), 1.6)],
                         rows=SHEET_ROWS * 2, row_height=12.0)
    resp = Response(body, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'inline; filename="demande-{petition.id}-feuille.pdf"'
    return resp


@bp.get("/<int:petition_id>/signers.csv")
@login_required
def signers_csv(petition_id):
    """The signers of a legal request, for the mayor's office only (audited)."""
    petition = _legal(petition_id)
    rows = legal.signers_rows(current_user, petition)
    db.session.commit()  # the audit entry of the download
    resp = csv_response(f"signataires-{petition.id}.csv", ["name", "signed_at", "method"], rows)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.route("/council-sessions", methods=["GET", "POST"])
@login_required
def council_sessions():
    """The calendar of the council's sessions (administrators)."""
    require(permissions.can_manage_council_sessions(current_user))
    form = forms.CouncilSessionForm()
    if form.validate_on_submit():
        ok, _s = run_service(form, legal.save_session, current_user, None, held_on=form.held_on.data,
                             title=form.title.data, authority_name=form.authority.data or "")
        if ok:
            flash(_("Session added to the calendar."), "success")
            return redirect(url_for("petitions.council_sessions"))
    return no_store(render_template("petitions/council_sessions.html", form=form, sessions=legal.sessions(),
                                     edited=None), form_status(form))


@bp.route("/council-sessions/<int:session_id>", methods=["GET", "POST"])
@login_required
def council_session_edit(session_id):
    require(permissions.can_manage_council_sessions(current_user))
    session = db.session.get(CouncilSession, session_id)
    if session is None:
        raise NotFound()
    form = forms.CouncilSessionForm(obj=session if request.method == "GET" else None)
    if form.validate_on_submit():
        ok, _s = run_service(form, legal.save_session, current_user, session, held_on=form.held_on.data,
                             title=form.title.data, authority_name=form.authority.data or "")
        if ok:
            flash(_("Session saved."), "success")
            return redirect(url_for("petitions.council_sessions"))
    return no_store(render_template("petitions/council_sessions.html", form=form, sessions=legal.sessions(),
                                     edited=session), form_status(form))
