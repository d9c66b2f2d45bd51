"""Conversation pages (thin views over the services): the overview with the
opinion groups, voting one statement at a time (no JavaScript needed), the
officials' start and close actions, the open-data exports and the method page."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from civic.conversations import permissions, queries, results, services
from civic.conversations.forms import ImportForm, StartForm, StateForm, StatementForm, VoteForm
from civic.conversations.models import Conversation, Statement, VoteValue
from civic.core import content
from civic.core.errors import NotFound
from civic.core.export import csv_response
from civic.core.forms import form_status, run_service
from civic.core.inputs import as_id
from civic.core.permissions import require
from civic.extensions import db

bp = Blueprint("conversations", __name__)

VOTE_CHOICES = {"agree": VoteValue.AGREE, "disagree": VoteValue.DISAGREE, "pass": VoteValue.PASS}


def _conversation_or_404(conversation_id: int) -> Conversation:
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None or not permissions.can_view_conversation(current_user, conversation):
        raise NotFound()
    return conversation


def _host(conversation: Conversation) -> tuple[str, str]:
    kind = content.get_kind(conversation.host_kind)
    host = db.session.get(kind.model, conversation.host_id)
    return kind.title(host), kind.url(host)


def _user_id():
    return current_user.id if current_user.is_authenticated else None


def _refusal(allowed) -> str | None:
    return None if allowed is True else (getattr(allowed, "message", None) or _("You cannot take part now."))


def _overview(conversation: Conversation, statement_form=None, status: int = 200):
    host_title, host_url = _host(conversation)
    user_id = _user_id()
    voted, total = queries.progress(conversation.id, user_id)
    logged_in = current_user.is_authenticated
    return render_template(
        "conversations/conversation.html", conversation=conversation, host_title=host_title, host_url=host_url,
        voted=voted, total=total, view=results.view_of(conversation, user_id),
        # No form (and so no CSRF token) for visitors who are not logged in.
        statement_form=statement_form or (StatementForm(formdata=None) if logged_in else None),
        state_form=StateForm(formdata=None) if logged_in else None,
        refusal=_refusal(permissions.can_vote(current_user, conversation)) if logged_in else None,
        my_votes=queries.my_votes(conversation.id, user_id) if user_id else [],
        vote_names={1: _("Agree"), -1: _("Disagree"), 0: _("Pass")}), status


@bp.get("/conversations/<int:conversation_id>")
def conversation(conversation_id):
    return _overview(_conversation_or_404(conversation_id))


@bp.route("/conversations/<int:conversation_id>/vote", methods=["GET", "POST"])
@login_required
def vote(conversation_id):
    """One statement at a time: three buttons, then the next one."""
    c = _conversation_or_404(conversation_id)
    form = VoteForm()
    error = None
    if request.method == "POST" and form.validate_on_submit():
        statement_id = as_id(form.statement_id.data or "")
        statement = db.session.get(Statement, statement_id) if statement_id is not None else None
        choice = VOTE_CHOICES.get(request.form.get("value", ""))
        if statement is None or statement.conversation_id != c.id or choice is None:
            error = _("Choose agree, disagree or pass.")
        else:
            ok, _row = run_service(form, services.vote, current_user, statement, int(choice))
            if ok:
                return redirect(url_for("conversations.vote", conversation_id=c.id))
            error = " ".join(form.form_errors) or _("Choose agree, disagree or pass.")
    elif request.method == "POST":
        error = _("The form has expired: please vote again.")
    statement = None
    if request.args.get("statement"):
        asked = as_id(request.args["statement"])
        statement = db.session.get(Statement, asked) if asked is not None else None
        if statement is None or statement.conversation_id != c.id or statement.hidden_at is not None:
            raise NotFound()
    else:
        statement = queries.next_statement(c.id, current_user.id)
    voted, total = queries.progress(c.id, current_user.id)
    current = None
    if statement is not None:
        current = next((v for s, v in queries.my_votes(c.id, current_user.id) if s.id == statement.id), None)
    host_title, host_url = _host(c)
    return render_template(
        "conversations/vote.html", conversation=c, statement=statement, form=VoteForm(formdata=None),
        statement_form=StatementForm(formdata=None), voted=voted, total=total, error=error, current=current,
        host_title=host_title, host_url=host_url, can_report="moderation.report" in current_app.view_functions,
        refusal=_refusal(permissions.can_vote(current_user, c))), \
        (getattr(form, "error_status", None) or 422) if error else 200


@bp.post("/conversations/<int:conversation_id>/statements")
@login_required
def add_statement(conversation_id):
    c = _conversation_or_404(conversation_id)
    form = StatementForm()
    if form.validate_on_submit():
        ok, statement = run_service(form, services.submit_statement, current_user, c, form.text.data)
        if ok:
            if statement.hidden_at is not None:
                flash(_("Thank you: your statement will be shown once a moderator has read it."), "success")
            else:
                flash(_("Thank you: your statement is added for others to vote on."), "success")
            return redirect(url_for("conversations.conversation", conversation_id=c.id) + "#statement-form")
    return _overview(c, statement_form=form, status=form_status(form))


@bp.route("/conversations/new/<kind>/<int:host_id>", methods=["GET", "POST"])
@login_required
def start(kind, host_id):
    if not permissions.hosts_conversations(kind):
        raise NotFound()
    host_kind, host = content.load(kind, host_id, current_user)
    require(permissions.can_start_conversation(current_user, kind, host))
    existing = services.conversation_of(kind, host_id)
    if existing is not None:
        return redirect(url_for("conversations.conversation", conversation_id=existing.id))
    form = StartForm()
    if form.validate_on_submit():
        ok, conversation = run_service(form, services.start_conversation, current_user, kind, host_id,
                                       form.question.data, form.seeds.data)
        if ok:
            flash(_("The conversation is open: residents can vote and add statements."), "success")
            return redirect(url_for("conversations.conversation", conversation_id=conversation.id))
    return render_template("conversations/start.html", form=form, host_title=host_kind.title(host),
                           host_url=host_kind.url(host)), form_status(form)


@bp.post("/conversations/<int:conversation_id>/state")
@login_required
def set_state(conversation_id):
    c = _conversation_or_404(conversation_id)
    require(permissions.can_close_conversation(current_user, c))
    form = StateForm()
    if form.validate_on_submit():
        reopen = request.form.get("action") == "reopen"
        ok, _none = run_service(form, services.set_conversation_open, current_user, c, reopen)
        if ok:
            flash(_("The conversation is open again.") if reopen else
                  _("The conversation is closed; its results stay published."), "success")
            return redirect(url_for("conversations.conversation", conversation_id=c.id))
    return _overview(c, status=form_status(form))


@bp.route("/conversations/<int:conversation_id>/import", methods=["GET", "POST"])
@login_required
def import_polis(conversation_id):
    c = _conversation_or_404(conversation_id)
    require(permissions.can_import_polis(current_user, c))
    form = ImportForm()
    if form.validate_on_submit():
        ok, counts = run_service(form, services.import_polis, current_user, c, form.comments.data.read(),
                                 form.votes.data.read())
        if ok:
            flash(_("Imported %(statements)d statements and %(votes)d votes. The groups are being computed.",
                    statements=counts[0], votes=counts[1]), "success")
            return redirect(url_for("conversations.conversation", conversation_id=c.id))
    return render_template("conversations/import.html", conversation=c, form=form), form_status(form)


# --- open data, method -----------------------------------------------------------------

def _day(moment: datetime) -> tuple[int, str]:
    # Only the day of a vote is published: exact times could tell who voted.
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=UTC)
    return int(day.timestamp() * 1000), day.strftime("%a %b %d %Y")


@bp.get("/conversations/<int:conversation_id>/votes.csv")
def votes_csv(conversation_id):
    """The vote matrix without identities, in Polis' votes.csv format: anyone
    can recompute the groups with ``flask civic deliberation opinion-groups``."""
    c = _conversation_or_404(conversation_id)

    def rows():
        numbers: dict = {}
        for statement_id, user_id, participant, value, voted_at in queries.final_votes(c.id):
            key = ("u", user_id) if user_id is not None else ("p", participant)
            stamp, day = _day(voted_at)
            yield stamp, day, statement_id, numbers.setdefault(key, len(numbers)), value

    return csv_response(f"conversation-{c.id}-votes.csv", ["timestamp", "datetime", "comment-id", "voter-id", "vote"],
                        rows())


@bp.get("/conversations/<int:conversation_id>/statements.csv")
def statements_csv(conversation_id):
    """The statements in Polis' comments.csv format (authors left out)."""
    c = _conversation_or_404(conversation_id)

    def rows():
        for s in queries.statements(c.id):
            stamp, day = _day(s.created_at)
            yield stamp, day, s.id, "", "", "", 1 if s.seeded else 0, s.text

    return csv_response(f"conversation-{c.id}-statements.csv",
                        ["timestamp", "datetime", "comment-id", "author-id", "agrees", "disagrees", "moderated",
                         "comment-body"], rows())


@bp.get("/conversations/how-groups-work")
def how_groups_work():
    return render_template("conversations/how_groups_work.html")


def conversation_panel(kind_name: str, obj, user):
    """Panel (order 40) on items that host conversations: the link to take part,
    or, for the officials who may, the link to start one."""
    if not permissions.hosts_conversations(kind_name):
        return None
    conversation = services.conversation_of(kind_name, obj.id)
    if conversation is None:
        if not permissions.can_start_conversation(user, kind_name, obj):
            return None
        return Markup(render_template("conversations/_panel.html", conversation=None, kind=kind_name, obj=obj))
    voted, total = queries.progress(conversation.id, user.id if getattr(user, "is_authenticated", False) else None)
    return Markup(render_template("conversations/_panel.html", conversation=conversation, kind=kind_name, obj=obj,
                                  voted=voted, total=total))

