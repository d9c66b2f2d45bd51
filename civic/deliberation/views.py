"""Debate pages and the comment actions (thin views over the services)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext, pgettext
from flask_login import current_user, login_required
from markupsafe import Markup

from civic.core import content
from civic.core.errors import NotFound
from civic.core.export import page_arg
from civic.core.forms import RowEditor, attach_rows, form_status, run_service
from civic.core.inputs import as_id
from civic.core.permissions import require
from civic.core.views import safe_next
from civic.deliberation import permissions, queries, ranking, services
from civic.deliberation.forms import CloseCommentsForm, CloseDebateForm, CommentForm, DebateForm
from civic.deliberation.models import MAX_DEPTH, Comment, Debate
from civic.extensions import db

bp = Blueprint("deliberation", __name__)

ORDER_ARG = "comments_order"
PAGE_ARG = "comments_page"


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _debate_or_404(debate_id: int) -> Debate:
    debate = db.session.get(Debate, debate_id)
    if debate is None or not permissions.can_view_debate(current_user, debate):
        raise NotFound()
    return debate


def _comment_or_404(comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.hidden_at is not None:
        raise NotFound()
    content.load(comment.kind, comment.object_id, current_user)
    return comment


def _item_url(kind_name: str, obj, comment_id: int | None = None) -> str:
    url = content.get_kind(kind_name).url(obj)
    return f"{url}#comment-{comment_id}" if comment_id else f"{url}#comments"


# --- debates -----------------------------------------------------------------------------

@bp.get("/debates/")
def index():
    state = request.args.get("state") or ""
    raw_district = request.args.get("district") or ""
    district_id = as_id(raw_district)
    page = page_arg()
    debates, has_next = queries.list_debates(state or None, district_id, page)
    counts = queries.alignment_counts("debate", [d.id for d in debates])
    from civic.accounts.services import all_districts

    return render_template("deliberation/index.html", debates=debates, counts=counts, page=page,
                           has_next=has_next, state=state, district=raw_district, districts=all_districts())


@bp.route("/debates/new", methods=["GET", "POST"])
@login_required
def new_debate():
    require(permissions.can_open_debate(current_user))
    form = DebateForm()
    # The sources: rows of a title and a link (civic.core.forms.RowEditor).
    if request.method == "POST":
        sources = RowEditor.from_form("sources", ("title", "url"), request.form, max_rows=services.SOURCES_MAX,
                                      too_many=_("List at most %(n)d sources.", n=services.SOURCES_MAX))
    else:
        sources = RowEditor("sources", ("title", "url"), max_rows=services.SOURCES_MAX)
    attach_rows(form, sources)
    # "Add a source" or "Remove": the same form again with every input kept, nothing saved.
    if not sources.changed and form.validate_on_submit():
        # The form's day is a local day: the service stores its end (local midnight after it) in UTC.
        ok, debate = run_service(form, services.open_debate, current_user, form.title.data, form.body.data,
                                 form.district_id.data, form.ends_at.data, sources.values())
        if ok:
            flash(_("The debate is open."), "success")
            return redirect(url_for("deliberation.debate", debate_id=debate.id))
    return render_template("deliberation/new.html", form=form, sources=sources), form_status(form)


@bp.get("/debates/<int:debate_id>")
def debate(debate_id):
    d = _debate_or_404(debate_id)
    return render_template("deliberation/debate.html", debate=d, summary=queries.debate_summary(d))


@bp.route("/debates/<int:debate_id>/close", methods=["GET", "POST"])
@login_required
def close_debate(debate_id):
    d = _debate_or_404(debate_id)
    require(permissions.can_close_debate(current_user, d))
    form = CloseDebateForm()
    if request.method == "GET":
        # What other modules found (a conversation's consensus) starts the draft.
        form.conclusion.data = content.summaries("debate", d) or None
    if form.validate_on_submit():
        ok, _debate = run_service(form, services.close_debate, current_user, d, form.conclusion.data)
        if ok:
            flash(_("The debate is closed and its conclusion published."), "success")
            return redirect(url_for("deliberation.debate", debate_id=d.id))
    return render_template("deliberation/close.html", debate=d, form=form), form_status(form)


# The help page's worked example: reactions are illustrative, figures are computed by the ranking code itself.
_EXAMPLES = (("A", 12, 0, 0, 3), ("B", 3, 1, 2, 1))


@bp.get("/debates/how-sorting-works")
def how_sorting_works():
    from flask_babel import format_decimal

    examples = []
    for name, uf, nf, ua, na in _EXAMPLES:
        counts = ranking.Counts()
        counts.useful.update({"for": uf, "against": ua})
        counts.not_useful.update({"for": nf, "against": na})
        fmt = lambda f: format_decimal(round(float(f), 2))  # noqa: E731
        examples.append({"label": _("Comment %(name)s", name=name), "uf": uf, "nf": nf, "ua": ua, "na": na,
                         "sf": fmt(ranking.smoothed(uf, nf)), "sa": fmt(ranking.smoothed(ua, na)),
                         "score": fmt(ranking.bridging_score(counts))})
    return render_template("deliberation/how_sorting_works.html", examples=examples)


# --- the comments panel, on every page of a kind that accepts comments ----------------------

def _order_links(order: str) -> list[dict]:
    args = request.args.to_dict()
    args.pop(PAGE_ARG, None)
    links = []
    for key, label in (("constructive", _("Most constructive")), ("newest", pgettext("comments", "Newest")), ("oldest", _("Oldest"))):
        args[ORDER_ARG] = key
        links.append({"key": key, "label": label, "current": key == order,
                      "url": f"{request.path}?{urlencode(args)}#comments"})
    return links


def _page_url(page: int) -> str:
    args = request.args.to_dict()
    args[PAGE_ARG] = str(page)
    return f"{request.path}?{urlencode(args)}#comments"


def _refusal_message(allowed) -> str | None:
    return None if allowed else allowed.message


def comments_panel(kind_name: str, obj, user):
    """Panel (order 50): the thread list and the comment form for any kind
    whose hooks include ``comments``."""
    spec = services.comments_spec(kind_name)
    if spec is None:
        return None
    order = request.args.get(ORDER_ARG) or "constructive"
    page = page_arg(PAGE_ARG)
    threads = queries.thread_page(kind_name, obj.id, user, order, page, sided=spec["alignment"])
    settings_row = services.comment_settings(kind_name, obj.id)
    logged_in = getattr(user, "is_authenticated", False)
    return Markup(render_template(
        "deliberation/_comments.html", kind=kind_name, obj=obj, sided=spec["alignment"], threads=threads,
        # No form (and so no CSRF token in the session) for visitors who are
        # not logged in: their page sets no cookie and shared caches may keep it.
        form=CommentForm(sided=spec["alignment"], formdata=None) if logged_in else None,
        closed=services.closed_reason(kind_name, obj, settings_row), settings_row=settings_row,
        # Why this person may not comment nor rate (None when they may): asked once for the whole thread.
        block=_refusal_message(permissions.can_comment(user)) if logged_in else None,
        district_id=services.item_district(kind_name, obj),
        order_links=_order_links(threads.order), page_url=_page_url, max_depth=MAX_DEPTH,
        reaction_summary=reaction_summary,
        # Reporting is the moderation module's: link to its form when it is installed.
        can_report="moderation.report" in current_app.view_functions))


# --- comment actions ---------------------------------------------------------------------------

def _render_comment_form(kind_name, obj, form, parent=None, status=200):
    kind = content.get_kind(kind_name)
    return render_template("deliberation/comment_form.html", form=form, kind=kind_name, obj=obj,
                           item_title=kind.title(obj), item_url=_item_url(kind_name, obj), parent=parent,
                           sided=form.sided), status


@bp.post("/comments/<kind>/<int:object_id>")
@login_required
def post_comment(kind, object_id):
    spec = services.comments_spec(kind)
    if spec is None:
        raise NotFound()
    _kind, obj = content.load(kind, object_id, current_user)
    form = CommentForm(sided=spec["alignment"])
    parent_id = as_id(form.parent_id.data)
    parent = db.session.get(Comment, parent_id) if parent_id else None
    if form.validate_on_submit():
        ok, comment = run_service(form, services.post_comment, current_user, kind, object_id, form.body.data,
                                  form.alignment.data if spec["alignment"] else None, parent_id)
        if ok:
            if comment.hidden_at is not None:  # pre-moderated kinds hide new items until reviewed
                flash(_("Thank you: your comment will appear once a moderator has reviewed it."), "success")
            else:
                flash(_("Your comment is published."), "success")
            return redirect(_item_url(kind, obj, comment.id))
    return _render_comment_form(kind, obj, form, parent, form_status(form))


@bp.get("/comments/<int:comment_id>/reply")
@login_required
def reply(comment_id):
    parent = _comment_or_404(comment_id)
    _kind, obj = content.load(parent.kind, parent.object_id, current_user)
    require(permissions.can_comment(current_user))
    services.require_open(parent.kind, obj)
    spec = services.comments_spec(parent.kind) or {"alignment": False}
    form = CommentForm(sided=spec["alignment"], formdata=None, data={"parent_id": parent.id})
    return _render_comment_form(parent.kind, obj, form, parent)


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_comment(comment_id):
    comment = _comment_or_404(comment_id)
    _kind, obj = content.load(comment.kind, comment.object_id, current_user)
    spec = services.comments_spec(comment.kind) or {"alignment": False}
    require(permissions.can_edit_comment(current_user, comment))
    data = {"body": comment.body_source, "alignment": comment.alignment.value if comment.alignment else None}
    form = CommentForm(sided=spec["alignment"], data=data if request.method == "GET" else None)
    if form.validate_on_submit():
        ok, _comment = run_service(form, services.edit_comment, current_user, comment, form.body.data,
                                   form.alignment.data if spec["alignment"] else None)
        if ok:
            flash(_("Your comment is updated."), "success")
            return redirect(_item_url(comment.kind, obj, comment.id))
    return render_template("deliberation/comment_edit.html", form=form, comment=comment,
                           item_title=content.get_kind(comment.kind).title(obj),
                           item_url=_item_url(comment.kind, obj, comment.id),
                           deadline=permissions.edit_deadline(comment), sided=spec["alignment"]), form_status(form)


@bp.route("/comments/<int:comment_id>/delete", methods=["GET", "POST"])
@login_required
def delete_comment(comment_id):
    comment = _comment_or_404(comment_id)
    _kind, obj = content.load(comment.kind, comment.object_id, current_user)
    require(permissions.can_delete_comment(current_user, comment))
    if request.method == "POST":
        services.delete_comment(current_user, comment)
        db.session.commit()
        flash(_("Your comment is deleted. Its place in the conversation stays, without the text."), "success")
        return redirect(_item_url(comment.kind, obj, comment.id))
    return render_template("deliberation/comment_delete.html", comment=comment,
                           item_title=content.get_kind(comment.kind).title(obj),
                           item_url=_item_url(comment.kind, obj, comment.id))


def reaction_summary(useful: int, not_useful: int) -> str:
    return "{} · {}".format(
        ngettext("%(num)d person found this useful", "%(num)d people found this useful", useful),
        ngettext("%(num)d found it not useful", "%(num)d found it not useful", not_useful))


@bp.post("/comments/<int:comment_id>/react")
@login_required
def react(comment_id):
    comment = _comment_or_404(comment_id)
    services.react(current_user, comment, request.form.get("value"))
    db.session.commit()
    if _wants_json():
        useful, not_useful, mine = queries.reaction_totals(comment.id, current_user)
        return jsonify({"useful": useful, "not_useful": not_useful, "mine": mine,
                        "summary": reaction_summary(useful, not_useful)})
    flash(_("Thank you: your opinion on this comment is counted."), "success")
    _kind, obj = content.load(comment.kind, comment.object_id, current_user)
    target = safe_next(request.form.get("next"), _item_url(comment.kind, obj))
    return redirect(f"{target.split('#')[0]}#comment-{comment.id}")


@bp.post("/comments/<int:comment_id>/official-answer")
@login_required
def official_answer(comment_id):
    comment = _comment_or_404(comment_id)
    marked = request.form.get("action") != "unmark"
    services.mark_official_answer(current_user, comment, marked)
    db.session.commit()
    flash(_("Marked as the official answer.") if marked else _("No longer marked as the official answer."), "success")
    _kind, obj = content.load(comment.kind, comment.object_id, current_user)
    return redirect(_item_url(comment.kind, obj, comment.id))


@bp.post("/comments/<kind>/<int:object_id>/close")
@login_required
def close_comments(kind, object_id):
    form = CloseCommentsForm()
    if request.form.get("action") == "reopen":
        services.reopen_comments(current_user, kind, object_id)
        flash(_("Comments are open again."), "success")
    else:
        services.close_comments(current_user, kind, object_id, form.reason.data)
        flash(_("Comments are closed."), "success")
    db.session.commit()
    _kind, obj = content.load(kind, object_id, current_user)
    return redirect(_item_url(kind, obj))
