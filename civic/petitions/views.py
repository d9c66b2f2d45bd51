"""Petition pages: thin views over civic.petitions.services."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from civic.core.errors import Gone, InvalidTransition, NotFound, PermissionDenied, ValidationError
from civic.core.export import chunked, csv_response, iso, page_arg
from civic.core.forms import form_status, run_service
from civic.core.permissions import require
from civic.core.replica import use_primary
from civic.core.security import client_ip
from civic.core.time import utcnow
from civic.extensions import db
from civic.petitions import forms, permissions, queries, search, services
from civic.petitions import settings as psettings
from civic.petitions.labels import DECISIONS, HISTORY_LABELS, TOPICS, reason_label, state_labels
from civic.petitions.models import InvalidationRun, Petition, PetitionState
from civic.petitions.services import legal
from civic.petitions.settings import TALLY_SECONDS

bp = Blueprint("petitions", __name__, url_prefix="/petitions")
S = PetitionState
CSV_CHUNK = 1000  # petitions read per query by the CSV export


# --- helpers ---------------------------------------------------------------------------

def _load(petition_id: int) -> Petition:
    petition = db.session.get(Petition, petition_id)
    if petition is None:
        raise NotFound()
    if not permissions.can_view_petition(current_user, petition):
        if petition.state == S.REMOVED:
            raise Gone(_("This petition was removed by the moderators. Reason: %(reason)s %(explanation)s",
                         reason=reason_label(petition.reason_code) or _("not given"),
                         explanation=petition.reason_text or ""))
        raise NotFound()
    return petition


def _cacheable(resp: Response, last_modified=None) -> Response:
    """Public pages: shared caches may keep them for one tally interval (the
    count cannot change faster) and serve them stale while revalidating.
    Logged-in visitors and pages showing a flash message are never shared."""
    if current_user.is_authenticated or session.get("_flashes"):
        resp.headers["Cache-Control"] = "private, no-store"
        return resp
    resp.headers["Cache-Control"] = f"public, max-age={TALLY_SECONDS}, stale-while-revalidate={TALLY_SECONDS * 6}"
    if last_modified is not None:
        resp.last_modified = last_modified
        resp.make_conditional(request)
    return resp


def _no_store(body, status=200) -> Response:
    from flask import make_response

    resp = make_response(body, status)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _tool_form(petition, form, template: str, service, fields, done, next_url=None):
    """A form of the petition's tools (update, response, debate, paper,
    removal): run ``service(current_user, petition, **fields(form))``, then
    flash ``done()`` and go to ``next_url(form)`` (the petition by default);
    otherwise show the form again with the reasons and its status."""
    if form.validate_on_submit():
        ok, _r = run_service(form, service, current_user, petition, **fields(form))
        if ok:
            flash(done(), "success")
            return redirect(next_url(form) if next_url else url_for("petitions.detail", petition_id=petition.id))
    return _no_store(render_template(template, petition=petition, form=form), form_status(form))


# The helpers the other page modules of petitions share (legal_views).
load_petition, no_store = _load, _no_store


def _filters() -> dict:
    args = request.args
    sort = args.get("sort", "newest")
    return {"state": args.get("state") or None, "district_id": queries.district_by_code_or_id(args.get("district")),
            "topic": args.get("topic") if args.get("topic") in TOPICS else None,
            "q": (args.get("q") or "").strip()[:100] or None, "sort": sort if sort in queries.SORTS else "newest"}


# --- public pages ------------------------------------------------------------------------

@bp.get("/")
def index():
    from civic.accounts.services import all_districts

    filters = _filters()
    page = page_arg()
    rows, has_next = queries.list_page(page, **filters)
    args = {k: v for k, v in request.args.items() if v and k != "page"}
    resp = Response(render_template("petitions/list.html", petitions=rows, page=page, has_next=has_next,
                                    args=args, filters=filters, districts=all_districts(),
                                    topics=TOPICS, states=state_labels()))
    return _cacheable(resp)


@bp.get("/petitions.csv")
def export_csv():
    """The list as CSV (same filters), without any personal data: every
    matching petition, streamed in id order, ``CSV_CHUNK`` at a time."""
    filters = _filters()
    header = ["id", "title", "state", "topic", "district", "signature_count", "paper_count", "opened_at",
              "closes_at", "closed_at", "response_threshold", "response_threshold_at", "response_due_at",
              "debate_threshold", "debate_threshold_at", "url"]

    def rows():
        for p in chunked(db.session, queries.list_stmt(**filters), CSV_CHUNK):
            yield [p.id, p.title, p.state.value, p.topic, p.district.code if p.district else "",
                   p.signature_count, p.paper_count, iso(p.opened_at), iso(p.closes_at), iso(p.closed_at),
                   p.response_threshold or "", iso(p.response_threshold_at), iso(p.response_due_at),
                   p.debate_threshold or "", iso(p.debate_threshold_at),
                   url_for("petitions.detail", petition_id=p.id, _external=True)]

    return _cacheable(csv_response("petitions.csv", header, rows()))


@bp.get("/<int:petition_id>")
def detail(petition_id):
    petition = _load(petition_id)
    values = psettings.load()
    ctx = {
        "petition": petition, "values": values, "by_district": queries.district_counts(petition.id),
        "history": queries.history(petition.id), "response": petition.answer("response"),
        "debate": petition.answer("debate"), "updates": [n for n in petition.news if n.kind.value == "update"],
        "is_creator": permissions.is_creator(current_user, petition),
        "now": utcnow(), "labels": state_labels(), "topics": TOPICS,
        "reason": reason_label(petition.reason_code), "decisions": DECISIONS, "history_labels": HISTORY_LABELS,
    }
    if petition.legal_kind is not None:
        ctx.update(legal_steps=legal.steps(petition), law_text=legal.LAW_TEXT, law_reference=legal.LAW_REFERENCE,
                   legal_kinds=legal.kind_labels())
    if ctx["is_creator"] and petition.state in (S.SPONSORS, S.MODERATION):
        ctx["sponsor_url"] = services.sponsor_url(petition)
        ctx["sponsors"] = services.sponsor_count(petition)
    resp = Response(render_template("petitions/detail.html", **ctx))
    return _cacheable(resp, petition.updated_at)


def _law() -> dict:
    """The law's text and the authority, shown where a legal request is chosen or signed."""
    name, kind = legal.authority()
    return {"law_text": legal.LAW_TEXT, "law_reference": legal.LAW_REFERENCE, "legal_authority": name,
            "legal_share": _("one tenth") if legal.divisor(kind) == 10 else _("one twentieth")}


# --- creating -------------------------------------------------------------------------------

def _fields(form) -> dict:
    return {"title": form.title.data, "background": form.background.data, "details": form.details.data or "",
            "topic": form.topic.data, "district_id": form.district_id.data,
            "decision_maker": form.decision_maker.data, "legal_kind": form.legal_kind.data or None}


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require(permissions.can_create_petition(current_user))
    form = forms.PetitionForm()
    if request.method == "POST" and form.validate_on_submit():
        if request.form.get("action") == "create":
            ok, petition = run_service(form, services.create_petition, current_user, **_fields(form))
            if ok:
                flash(_("Your draft is saved. Read it again, then send it to your sponsors."), "success")
                return redirect(url_for("petitions.detail", petition_id=petition.id))
        elif request.form.get("action") != "edit":
            ok, data = run_service(form, services.validate_petition, current_user, **_fields(form))
            if ok:
                similar = search.similar_open(f"{data['title']} {data['background']}")
                return _no_store(render_template("petitions/preview.html", form=form, data=data, similar=similar,
                                                 topics=TOPICS))
    return _no_store(render_template("petitions/form.html", form=form, petition=None, **_law()), form_status(form))


@bp.route("/<int:petition_id>/edit", methods=["GET", "POST"])
@login_required
def edit(petition_id):
    petition = _load(petition_id)
    require(permissions.can_edit_petition(current_user, petition) and petition.state == S.DRAFT)
    form = forms.PetitionForm(obj=petition if request.method == "GET" else None)
    if request.method == "GET":
        form.legal_kind.data = petition.legal_kind.value if petition.legal_kind else ""
    if form.validate_on_submit():
        ok, _p = run_service(form, services.update_draft, current_user, petition, **_fields(form))
        if ok:
            flash(_("Your draft is saved."), "success")
            return redirect(url_for("petitions.detail", petition_id=petition.id))
    return _no_store(render_template("petitions/form.html", form=form, petition=petition, **_law()), form_status(form))


@bp.post("/<int:petition_id>/submit")
@login_required
def submit(petition_id):
    petition = _load(petition_id)
    services.submit_petition(current_user, petition)
    db.session.commit()
    flash(_("Your petition now needs sponsors: share the link below with people who support it."), "success")
    return redirect(url_for("petitions.detail", petition_id=petition.id))


# --- signing -----------------------------------------------------------------------------------

def _sign_page(petition, sponsor_token=None):
    # The answer after the commit reads nothing from the database: the commit
    # expires ``petition``, and reloading it when the database has just gone
    # turned a recorded signature into a 503 "nothing was recorded".
    petition_id = petition.id
    values = psettings.load()
    if petition.legal_kind is not None:
        # Checked before any form: a request to the council is signed by a
        # verified elector (403 explains how), once per authority and quarter.
        try:
            elector = legal.require_elector(current_user)
        except PermissionDenied as err:
            return _no_store(render_template("petitions/legal_refused.html", petition=petition,
                                             message=err.message), 403)
        other = legal.signed_this_quarter(elector, petition.authority)
        if other is not None and other.id != petition_id:
            raise InvalidTransition(legal.quarter_refusal(other))
    one_click = permissions.can_sign_in_one_click(current_user)
    form = forms.OneClickForm() if one_click else forms.SignForm()
    if request.method == "POST" and form.validate_on_submit():
        if one_click:
            ok, _sig = run_service(form, services.sign_as_user, current_user, petition.id, notify=form.notify.data,
                            ip=client_ip(), sponsor_token=sponsor_token)
            if ok:
                flash(_("Thank you: your signature is recorded. The count is updated within a few seconds."),
                      "success")
                return redirect(url_for("petitions.detail", petition_id=petition_id))
        else:
            from civic import select_locale

            ok, _r = run_service(form, services.sign_petition, current_user, petition.id, name=form.name.data,
                          email=form.email.data, postcode=form.postcode.data, attest=form.attest.data,
                          notify=form.notify.data, ip=client_ip(), locale=select_locale(),
                          sponsor_token=sponsor_token)
            if ok:
                return _no_store(render_template("petitions/check_mail.html", petition=SimpleNamespace(id=petition_id),
                                                 email=form.email.data.strip().lower()))
    from civic.accounts.verification import requirement_refusal

    requirement = requirement_refusal(current_user, "petition", petition_id, "sign")
    return _no_store(render_template("petitions/sign.html", petition=petition, form=form, one_click=one_click,
                                     requirement=requirement,
                                     sponsor_token=sponsor_token, paused=values["signing_paused"],
                                     topics=TOPICS, law_text=legal.LAW_TEXT, law_reference=legal.LAW_REFERENCE),
                     form_status(form))


@bp.route("/<int:petition_id>/sign", methods=["GET", "POST"])
def sign(petition_id):
    petition = _load(petition_id)
    if petition.state != S.OPEN:
        raise InvalidTransition(_("This petition does not take signatures."))
    return _sign_page(petition)


@bp.route("/<int:petition_id>/sponsor/<token>", methods=["GET", "POST"])
@use_primary  # a token link reads what was just written: never a lagging replica
def sponsor(petition_id, token):
    petition = db.session.get(Petition, petition_id)
    if petition is None or token != petition.sponsor_token or petition.state in (S.DRAFT, S.HIDDEN, S.REMOVED):
        raise NotFound()
    if petition.state == S.OPEN:
        return redirect(url_for("petitions.sign", petition_id=petition.id))
    if petition.state not in (S.SPONSORS, S.MODERATION):
        return redirect(url_for("petitions.detail", petition_id=petition.id))
    return _sign_page(petition, sponsor_token=token)


@bp.route("/signature/<token>/confirm", methods=["GET", "POST"])
@use_primary  # a token link reads what was just written: never a lagging replica
def confirm(token):
    # GET only shows a button: link scanners in mail filters must not confirm.
    form = forms.ButtonForm()
    if request.method == "POST" and form.validate_on_submit():
        # The petition's id is read before the commit (see _sign_page).
        ok, petition_id = run_service(form, lambda: services.confirm_signature(token).petition_id)
        if not ok:  # a dead link or a signature that can no longer be confirmed: a bad request either way
            return _no_store(render_template("petitions/confirm.html", token=token, form=form,
                                             error=form.form_errors[-1]), 400)
        flash(_("Thank you: your signature is confirmed. The count is updated within a few seconds."), "success")
        return redirect(url_for("petitions.detail", petition_id=petition_id))
    try:
        sig = services.signature_from_token(token)
    except ValidationError as err:
        return _no_store(render_template("petitions/confirm.html", token=token, form=form, error=err.message), 400)
    return _no_store(render_template("petitions/confirm.html", token=token, form=form, petition=sig.petition,
                                     signature=sig))


@bp.route("/signature/<token>/withdraw", methods=["GET", "POST"])
@use_primary  # a token link reads what was just written: never a lagging replica
def withdraw(token):
    form = forms.ButtonForm()
    try:
        sig = services.signature_from_token(token)
    except ValidationError as err:
        return _no_store(render_template("petitions/withdraw.html", token=token, form=form, error=err.message), 400)
    if request.method == "POST" and form.validate_on_submit():
        ok, _sig = run_service(form, services.withdraw_signature, current_user, token=token)
        if not ok:
            return _no_store(render_template("petitions/withdraw.html", token=token, form=form,
                                             error=form.form_errors[-1], petition=sig.petition), 409)
        flash(_("Your signature is withdrawn. The count is updated within a few seconds."), "success")
        return redirect(url_for("petitions.detail", petition_id=sig.petition_id))
    return _no_store(render_template("petitions/withdraw.html", token=token, form=form, petition=sig.petition,
                                     signature=sig))


@bp.get("/mine")
@login_required
def mine():
    import sqlalchemy as sa

    sigs = services.my_signatures(current_user)
    created = db.session.scalars(sa.select(Petition).where(Petition.creator_id == current_user.id)
                                 .order_by(Petition.created_at.desc()).limit(100)).all()
    return _no_store(render_template("petitions/mine.html", signatures=sigs, created=created,
                                     form=forms.ButtonForm(), labels=state_labels()))


@bp.post("/mine/<int:signature_id>/withdraw")
@login_required
def withdraw_mine(signature_id):
    form = forms.ButtonForm()
    ok, sig = run_service(form, services.withdraw_signature, current_user, signature_id=signature_id)
    if ok:
        flash(_("Your signature on “%(title)s” is withdrawn.", title=sig.petition.title), "success")
    else:
        flash(form.form_errors[-1], "error")
    return redirect(url_for("petitions.mine"))


# --- creator, officials, mediators --------------------------------------------------------------

@bp.route("/<int:petition_id>/update", methods=["GET", "POST"])
@login_required
def post_update(petition_id):
    petition = _load(petition_id)
    require(permissions.can_post_update(current_user, petition))
    return _tool_form(petition, forms.UpdateForm(), "petitions/update.html", services.post_update,
                      lambda f: {"title": f.title.data, "body": f.body.data},
                      lambda: _("Your update is published and will be mailed to the signers who asked for news."))


@bp.route("/<int:petition_id>/respond", methods=["GET", "POST"])
@login_required
def respond(petition_id):
    petition = _load(petition_id)
    require(permissions.can_respond_to_petition(current_user, petition))
    return _tool_form(petition, forms.ResponseForm(), "petitions/respond.html", services.publish_response,
                      lambda f: {"summary": f.summary.data, "body": f.body.data, "decision": f.decision.data},
                      lambda: _("The response is published. Signers who asked for news will receive it."))


@bp.route("/<int:petition_id>/debate", methods=["GET", "POST"])
@login_required
def debate(petition_id):
    petition = _load(petition_id)
    require(permissions.can_respond_to_petition(current_user, petition))
    return _tool_form(petition, forms.DebateForm(), "petitions/debate.html", services.publish_debate,
                      lambda f: {"debate_date": f.debate_date.data, "summary": f.summary.data,
                                 "url": f.url.data or "", "body": f.body.data or ""},
                      lambda: _("The debate outcome is published."))


@bp.route("/<int:petition_id>/paper", methods=["GET", "POST"])
@login_required
def paper(petition_id):
    petition = _load(petition_id)
    require(permissions.can_record_paper_signatures(current_user, petition))
    legal_request = petition.legal_kind is not None
    form = forms.LegalPaperForm() if legal_request else forms.PaperForm()
    if request.method == "GET" and request.args.get("batch"):
        form.batch.data = request.args["batch"]  # the next sheet of the same batch
    if legal_request:
        # Each entry is checked on the electoral roll in force and against the quarter rule.
        resp = _tool_form(petition, form, "petitions/paper.html", legal.record_paper_legal,
                          lambda f: {"family_name": f.family_name.data, "given_names": f.given_names.data,
                                     "birthdate": f.birthdate.data, "postcode": f.postcode.data,
                                     "signed_on": f.signed_on.data, "batch": f.batch.data},
                          lambda: _("Paper signature recorded: the signer is on the electoral roll. You can enter "
                                    "the next one."),
                          lambda f: url_for("petitions.paper", petition_id=petition.id, batch=f.batch.data))
        legal.audit_paper_refusal(current_user, petition)
        return resp
    return _tool_form(petition, form, "petitions/paper.html", services.record_paper_signature,
                      lambda f: {"name": f.name.data, "postcode": f.postcode.data, "signed_on": f.signed_on.data,
                                 "batch": f.batch.data},
                      lambda: _("Paper signature recorded. You can enter the next one."),
                      lambda f: url_for("petitions.paper", petition_id=petition.id, batch=f.batch.data))


# --- moderation ------------------------------------------------------------------------------------

@bp.get("/moderation")
@login_required
def moderation():
    require(permissions.can_moderate_petitions(current_user))
    queue = services.moderation_queue(current_user)
    values = psettings.load()
    dues = {p.id: p.moderation_at + timedelta(days=values["moderation_target_days"]) for p in queue if p.moderation_at}
    return _no_store(render_template("petitions/moderation.html", queue=queue, now=utcnow(), dues=dues,
                                     target_days=values["moderation_target_days"], form=forms.ButtonForm()))


@bp.route("/moderation/<int:petition_id>", methods=["GET", "POST"])
@login_required
def moderate(petition_id):
    require(permissions.can_moderate_petitions(current_user))
    petition = _load(petition_id)
    form = forms.ModerationForm()
    if request.method == "POST" and request.form.get("action") in ("take", "release"):
        take = request.form["action"] == "take"
        button = forms.ButtonForm()
        ok, _r = run_service(button, services.take_for_moderation if take else services.release_moderation,
                             current_user, petition)
        if not ok:
            flash(button.form_errors[-1], "error")
        elif not take:
            flash(_("The petition is free for another moderator."), "success")
        return redirect(url_for("petitions.moderation" if request.form["action"] == "release" else
                                "petitions.moderate", petition_id=petition.id))
    if request.method == "POST" and form.validate_on_submit():
        ok, _r = run_service(form, _decide, petition, form)
        if ok:
            flash(_("Decision recorded; the creator and sponsors are informed by email."), "success")
            return redirect(url_for("petitions.moderation"))
    locked_by_me = petition.locked_by_id == current_user.id and petition.locked_until and petition.locked_until > utcnow()
    holder = None
    if petition.locked_by_id and not locked_by_me and petition.locked_until and petition.locked_until > utcnow():
        from civic.accounts.models import User

        holder = db.session.get(User, petition.locked_by_id)
    return _no_store(render_template("petitions/moderate.html", petition=petition, form=form,
                                     locked_by_me=locked_by_me, holder=holder, topics=TOPICS,
                                     similar=search.similar_open(f"{petition.title} {petition.background}",
                                                                          exclude_id=petition.id),
                                     button=forms.ButtonForm(),
                                     roll_imported=petition.legal_kind is None or legal.roll_imported()),
                     form_status(form))


def _decide(petition, form) -> None:
    decision = form.decision.data
    try:
        if decision == "approve":
            services.approve_petition(current_user, petition)
        elif decision == "reject":
            services.reject_petition(current_user, petition, form.reject_code.data or "", form.explanation.data or "")
        else:
            services.hide_petition(current_user, petition, form.hide_code.data or "", form.explanation.data or "")
    except ValidationError as err:
        # The services name the reason "code": show it next to the select in use.
        if "code" in err.fields:
            err.fields[f"{decision}_code"] = err.fields.pop("code")
        raise


@bp.route("/<int:petition_id>/remove", methods=["GET", "POST"])
@login_required
def remove(petition_id):
    require(permissions.can_moderate_petitions(current_user))
    petition = _load(petition_id)
    return _tool_form(petition, forms.RemoveForm(), "petitions/remove.html", services.remove_petition,
                      lambda f: {"code": f.code.data or "", "explanation": f.explanation.data or ""},
                      lambda: _("The petition is removed; its page now says why."))


@bp.post("/<int:petition_id>/restore")
@login_required
def restore(petition_id):
    require(permissions.can_moderate_petitions(current_user))
    petition = _load(petition_id)
    services.restore_petition(current_user, petition)
    db.session.commit()
    flash(_("The petition is restored."), "success")
    return redirect(url_for("petitions.detail", petition_id=petition.id))


@bp.route("/moderation/invalidate", methods=["GET", "POST"])
@login_required
def invalidate():
    require(permissions.can_invalidate_signatures(current_user))
    form = forms.InvalidationForm()
    preview = None
    if request.method == "GET" and request.args.get("petition_id", type=int):
        form.petition_id.data = request.args.get("petition_id", type=int)
        for key in ("ip", "domain"):
            if request.args.get(key):
                getattr(form, key).data = request.args[key]
    if request.method == "POST" and form.validate_on_submit():
        run = request.form.get("action") == "run"
        ok, result = run_service(form, _invalidation, form, run)
        if ok and run:
            flash(_("Invalidation started for %(n)d signatures; counts are corrected by the next tally.",
                    n=result.previewed), "success")
            return redirect(url_for("petitions.invalidate"))
        preview = result
    import sqlalchemy as sa

    runs = db.session.scalars(sa.select(InvalidationRun).order_by(InvalidationRun.id.desc()).limit(20)).all()
    return _no_store(render_template("petitions/invalidate.html", form=form, preview=preview, runs=runs),
                     form_status(form))


def _invalidation(form, run: bool):
    """Start the run (``run``) or preview what the form's criteria match."""
    crit = services.parse_criteria(form.petition_id.data, form.ip.data, form.cidr.data, form.domain.data,
                                   form.email_pattern.data, form.since.data, form.until.data)
    if run:
        return services.start_invalidation(current_user, crit, form.reason.data or "")
    return services.preview_invalidation(current_user, crit)


@bp.get("/moderation/traffic")
@login_required
def traffic():
    reports = services.traffic_reports(current_user)
    # Exempt networks (the town hall's computers...) are listed but marked, so
    # that nobody invalidates signatures an administrator vouched for by mistake.
    values = psettings.load()
    exempt = {r.id for r in reports if r.key_type == "ip" and psettings.ip_exempt(values, r.key)}
    return _no_store(render_template("petitions/traffic.html", reports=reports, exempt=exempt))
