"""Rules of processes and proposals, through the services."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from civic.core import audit, content, phases
from civic.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from civic.core.models import AuditEntry
from civic.core.time import utcnow
from civic.extensions import db
from civic.processes import services
from civic.processes.models import Amendment, AmendmentState, Proposal, ProposalState, Support
from tests.helpers import count_rows
from tests.processes import factories


def _owed(proposal):
    return next((o for o in content.hook("proposal", "owed_answers")() if o["id"] == proposal.id), None)


def _support(user, proposal, notify=False):
    return factories.support(proposal, user, notify=notify)


# --- submitting and editing --------------------------------------------------------

def test_proposal_cannot_be_submitted_when_the_phase_does_not_allow_it(make_process, factory):
    process = make_process(caps=("support", "comment"))
    with pytest.raises(InvalidTransition):
        services.submit_proposal(factory.user(), process, services.ProposalData(
            title="Des bancs au jardin", body="Installer dix bancs à l'ombre dans le jardin public."))


def test_unconfirmed_account_cannot_submit(make_process, factory):
    process = make_process()
    with pytest.raises(PermissionDenied):
        services.submit_proposal(factory.user(confirmed=False), process, services.ProposalData(
            title="Des bancs au jardin", body="Installer dix bancs à l'ombre dans le jardin public."))


def test_submission_is_validated_with_messages_per_field(make_process, factory):
    process = make_process(categories=["Mobilité"])
    with pytest.raises(ValidationError) as err:
        services.submit_proposal(factory.user(), process, services.ProposalData(
            title="", body="trop court", category="Inconnue"))
    assert set(err.value.fields) == {"title", "body", "category"}


def test_proposal_text_is_sanitized(make_process, make_proposal):
    p = make_proposal(make_process(), body="Du **gras** et <script>alert(1)</script> un script bien retiré ici.")
    assert "<strong>gras</strong>" in p.body_html
    assert "<script>" not in p.body_html


def test_author_can_edit_until_the_first_support_then_only_clarify(make_process, make_proposal, factory):
    author = factory.user()
    p = make_proposal(make_process(), author=author)
    services.edit_proposal(author, p, services.ProposalData(
        title="Une piste cyclable rue de Metz et rue d'Alsace", body="Une piste séparée sur les deux rues, "
                                                                    "de la place Esquirol au pont."))
    db.session.commit()
    assert p.title.endswith("rue d'Alsace")
    assert [v.source for v in services.versions(p)] == ["original", "edit"]
    _support(factory.user(), p)
    with pytest.raises(InvalidTransition):
        services.edit_proposal(author, p, services.ProposalData(title="Tout autre chose ici", body="x" * 40))
    db.session.rollback()
    services.add_clarification(author, p, "Je pense surtout au tronçon devant le lycée.")
    db.session.commit()
    assert [c.body_html for c in services.clarifications(p)] == ["<p>Je pense surtout au tronçon devant le lycée.</p>"]
    assert [e.action for e in services.proposal_history(p)][-1] == "proposal.clarified"


def test_only_the_author_edits_clarifies_or_withdraws(make_process, make_proposal, factory):
    p = make_proposal(make_process())
    other = factory.user()
    for call in (lambda: services.edit_proposal(other, p, services.ProposalData(title="Un autre titre", body="y" * 40)),
                 lambda: services.add_clarification(other, p, "Non"),
                 lambda: services.withdraw_proposal(other, p, "Parce que")):
        with pytest.raises(PermissionDenied):
            call()


def test_withdrawing_needs_a_reason_and_ends_supports(make_process, make_proposal, factory):
    author = factory.user()
    p = make_proposal(make_process(), author=author)
    with pytest.raises(ValidationError):
        services.withdraw_proposal(author, p, "  ")
    services.withdraw_proposal(author, p, "Une proposition plus complète existe déjà.")
    db.session.commit()
    assert p.state == ProposalState.WITHDRAWN and p.withdrawn_reason.startswith("Une proposition")
    with pytest.raises(InvalidTransition):
        services.support_proposal(factory.user(), p)


# --- supports ------------------------------------------------------------------------

def test_second_support_by_the_same_person_is_refused(make_process, make_proposal, factory):
    p = make_proposal(make_process())
    u = factory.user()
    _support(u, p)
    with pytest.raises(ValidationError):
        services.support_proposal(u, p)
    db.session.rollback()
    db.session.refresh(p)
    assert p.support_count == 1


def test_database_refuses_two_support_rows_for_one_person(make_process, make_proposal, factory):
    p = make_proposal(make_process())
    u = factory.user()
    db.session.add(Support(proposal_id=p.id, process_id=p.process_id, user_id=u.id))
    db.session.commit()
    db.session.add(Support(proposal_id=p.id, process_id=p.process_id, user_id=u.id))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_support_limit_per_person_per_process(make_process, make_proposal, factory):
    process = make_process(support_limit=2)
    props = [make_proposal(process, title=f"Proposition numéro {i}") for i in range(3)]
    u = factory.user()
    _support(u, props[0])
    _support(u, props[1])
    assert services.support_usage(u, process) == (2, 2)
    with pytest.raises(ValidationError) as err:
        services.support_proposal(u, props[2])
    assert "2" in err.value.message
    db.session.rollback()
    # Withdrawing one frees a support.
    services.withdraw_support(u, props[0])
    db.session.commit()
    _support(u, props[2])
    assert services.support_usage(u, process) == (2, 2)


def test_only_verified_residents_of_the_district_support_when_required(make_process, make_proposal, factory):
    here, elsewhere = factory.district(), factory.district()
    process = make_process(district=here, requires_verification=True)
    author = factory.user(verified_in=here)
    p = make_proposal(process, author=author, district_id=here.id)
    for outsider in (factory.user(), factory.user(verified_in=elsewhere)):
        with pytest.raises(PermissionDenied):
            services.support_proposal(outsider, p)
    _support(factory.user(verified_in=here), p)
    assert p.support_count == 1


def test_support_is_withdrawn_only_while_the_phase_allows_it(make_process, make_proposal, factory, admin, end_phase):
    process = make_process()
    p = make_proposal(process)
    u = factory.user()
    _support(u, p)
    services.withdraw_support(u, p)
    db.session.commit()
    assert p.support_count == 0
    _support(u, p)
    end_phase(process, admin)
    with pytest.raises(InvalidTransition):
        services.withdraw_support(u, p)
    with pytest.raises(InvalidTransition):
        services.support_proposal(factory.user(), p)


def test_support_after_the_phase_end_date_is_refused(make_process, make_proposal, factory):
    process = make_process()
    p = make_proposal(process)
    current = phases.current_phase("process", process.id)
    current.ends_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(InvalidTransition):
        services.support_proposal(factory.user(), p)


# --- threshold and the officials' queue ---------------------------------------------------

def test_reaching_a_count_threshold_queues_the_proposal_with_a_due_date(make_process, make_proposal, factory, mails):
    author = factory.user(email="author@example.org")
    process = make_process(threshold_type="count", threshold_value=2, answer_delay_days=30)
    p = make_proposal(process, author=author)
    _support(factory.user(), p)
    assert p.queued_at is None and _owed(p) is None
    _support(factory.user(), p)
    assert p.queued_at is not None
    assert p.answer_due_at - p.queued_at == timedelta(days=30)
    [mail] = mails("author@example.org")
    assert "reached its threshold" in mail.subject
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "proposal.threshold_reached"))
    owed = _owed(p)
    assert owed["due_at"] == p.answer_due_at and owed["answered_at"] is None


def test_percentage_threshold_counts_verified_residents_of_the_district(make_process, make_proposal, factory):
    here, elsewhere = factory.district(), factory.district()
    residents = [factory.user(verified_in=here) for _ in range(6)]
    factory.user(verified_in=elsewhere)
    factory.user()
    # 30 % of the 6 verified residents of the district: ceil(1.8) = 2 supports.
    process = make_process(district=here, threshold_type="percent", threshold_value=3000)
    assert services.threshold_needed(process) == 2
    p = make_proposal(process, author=residents[0], district_id=here.id)
    _support(residents[1], p)
    assert p.queued_at is None
    _support(residents[2], p)
    assert p.queued_at is not None


def test_without_threshold_every_proposal_is_owed_an_answer_from_publication(make_process, make_proposal):
    p = make_proposal(make_process(answer_delay_days=45))
    assert p.queued_at == p.created_at
    assert p.answer_due_at == p.created_at + timedelta(days=45)


def test_lowering_the_threshold_queues_proposals_already_over_it(make_process, make_proposal, factory, admin):
    process = make_process(threshold_type="count", threshold_value=5)
    p = make_proposal(process)
    _support(factory.user(), p)
    data = services.ProcessData(title=process.title, summary=process.summary, threshold_type="count",
                                threshold_value=1)
    services.update_process(admin, process, data)
    db.session.commit()
    assert p.queued_at is not None


# --- answers and states ------------------------------------------------------------------------

def test_residents_and_officials_of_other_districts_cannot_answer(make_process, make_proposal, factory):
    here, elsewhere = factory.district(), factory.district()
    p = make_proposal(make_process(district=here), district_id=here.id)
    for user in (factory.user(), factory.user(roles=[("official", elsewhere)])):
        with pytest.raises(PermissionDenied):
            services.answer_proposal(user, p, "accepted", "Nous retenons cette proposition pour 2027.")
    services.answer_proposal(factory.user(roles=[("official", here)]), p, "accepted",
                             "Nous retenons cette proposition pour 2027.")
    db.session.commit()
    assert p.state == ProposalState.ACCEPTED and p.answered_at is not None


def test_accepting_or_rejecting_requires_a_reasoned_answer(make_process, make_proposal, factory):
    official = factory.user(roles=["official"])
    p = make_proposal(make_process())
    with pytest.raises(ValidationError) as err:
        services.answer_proposal(official, p, "rejected", "Non.")
    assert "answer" in err.value.fields
    with pytest.raises(ValidationError):
        services.answer_proposal(official, p, "implemented", "Une réponse assez longue pour passer.")
    assert p.state == ProposalState.PUBLISHED


def test_state_machine_guards_transitions(make_process, make_proposal, factory):
    official = factory.user(roles=["official"])
    p = make_proposal(make_process())
    services.mark_evaluating(official, p)
    services.answer_proposal(official, p, "rejected", "Le coût dépasse le budget disponible cette année.")
    db.session.commit()
    assert p.state == ProposalState.REJECTED
    with pytest.raises(InvalidTransition):
        services.answer_proposal(official, p, "accepted", "Finalement nous acceptons, après réflexion.")
    with pytest.raises(InvalidTransition):
        services.add_implementation_update(official, p, "in_progress", 10, "Début des travaux.")
    with pytest.raises(InvalidTransition):
        services.withdraw_proposal(p.author, p, "Trop tard")


def test_database_refuses_an_accepted_proposal_without_answer(make_process, make_proposal):
    p = make_proposal(make_process())
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.update(Proposal).where(Proposal.id == p.id).values(state=ProposalState.ACCEPTED))
        db.session.commit()
    db.session.rollback()


def test_answer_is_mailed_to_supporters_who_opted_in_and_followers(make_process, make_proposal, factory, mails):
    from civic.core import follows

    p = make_proposal(make_process())
    wants = factory.user(email="wants@example.org")
    quiet = factory.user(email="quiet@example.org")
    follower = factory.user(email="follower@example.org")
    _support(wants, p, notify=True)
    _support(quiet, p, notify=False)
    follows.follow(follower, "proposal", p.id)
    services.answer_proposal(factory.user(roles=["official"]), p, "accepted",
                             "La Ville retient la proposition : travaux à l'automne.")
    db.session.commit()
    received = {m.to for m in mails() if "answered" in m.subject}
    # The author follows what they proposed (auto-follow on creation); "quiet" declined news.
    assert received == {"wants@example.org", "follower@example.org", p.author.email}
    [mail] = [m for m in mails("wants@example.org") if "answered" in m.subject]
    assert "travaux à l'automne" in mail.body and "List-Unsubscribe" in mail.headers


def test_answer_mail_job_twice_sends_nothing_twice(make_process, make_proposal, factory, mails):
    from civic.processes.jobs import mail_answer

    p = make_proposal(make_process())
    _support(factory.user(email="wants@example.org"), p, notify=True)
    services.answer_proposal(factory.user(roles=["official"]), p, "accepted", "Retenue, avec un calendrier précis.")
    db.session.commit()
    answered = lambda: [m for m in mails("wants@example.org") if "answered" in m.subject]  # noqa: E731
    assert len(answered()) == 1  # the job ran after the commit
    assert mail_answer(p.id) == 0  # a retry finds every mail already queued
    db.session.commit()
    assert len(answered()) == 1


def test_done_update_marks_an_accepted_proposal_implemented(make_process, make_proposal, factory):
    official = factory.user(roles=["official"])
    p = make_proposal(make_process())
    with pytest.raises(InvalidTransition):
        services.add_implementation_update(official, p, "planned", 0, "Pas encore acceptée.")
    services.answer_proposal(official, p, "accepted", "Retenue, les travaux commencent au printemps.")
    services.add_implementation_update(official, p, "in_progress", 40, "Les travaux ont commencé.")
    assert p.state == ProposalState.ACCEPTED
    with pytest.raises(ValidationError):
        services.add_implementation_update(official, p, "in_progress", 140, "Trop.")
    services.add_implementation_update(official, p, "done", 90, "Terminé.")
    db.session.commit()
    assert p.state == ProposalState.IMPLEMENTED
    assert [u.progress for u in services.implementation_updates(p)] == [40, 100]


def test_history_lists_public_events_with_dates_but_not_supports(make_process, make_proposal, factory):
    official = factory.user(roles=["official"])
    p = make_proposal(make_process())
    _support(factory.user(), p)
    services.answer_proposal(official, p, "accepted", "Retenue, avec un budget de 40 000 euros.")
    db.session.commit()
    assert [e.action for e in services.proposal_history(p)] == ["proposal.published", "proposal.accepted"]
    assert "proposal.supported" in [e.action for e in audit.entries_for("proposal", p.id)]


# --- amendments -----------------------------------------------------------------------------

def test_amendment_accepted_changes_the_text_and_keeps_history(make_process, make_proposal, factory, mails):
    author = factory.user(email="author@example.org")
    p = make_proposal(make_process(), author=author)
    _support(factory.user(), p)
    other = factory.user(email="amender@example.org")
    with pytest.raises(PermissionDenied):
        services.propose_amendment(author, p, "x", "y", "z")
    a = services.propose_amendment(other, p, p.title, p.body + " Avec des arceaux à chaque carrefour.",
                                   "Il manque le stationnement.")
    db.session.commit()
    assert any("amendment" in m.subject for m in mails("author@example.org"))
    with pytest.raises(PermissionDenied):
        services.decide_amendment(other, a, accept=True)
    services.decide_amendment(author, a, accept=True)
    db.session.commit()
    assert "arceaux" in p.body_html
    assert [v.source for v in services.versions(p)] == ["original", "amendment"]
    assert a.state == AmendmentState.ACCEPTED
    assert any("answered" in m.subject for m in mails("amender@example.org"))
    with pytest.raises(InvalidTransition):
        services.decide_amendment(author, a, accept=False, reason="Changé d'avis")


def test_rejecting_an_amendment_needs_a_reason_and_it_stays_visible(make_process, make_proposal, factory):
    author = factory.user()
    p = make_proposal(make_process(), author=author)
    a = services.propose_amendment(factory.user(), p, "Un titre modifié ici", "Un texte modifié assez long.",
                                   "Plus clair.")
    db.session.commit()
    with pytest.raises(ValidationError):
        services.decide_amendment(author, a, accept=False, reason="")
    services.decide_amendment(author, a, accept=False, reason="Cela change le sens de la proposition.")
    db.session.commit()
    assert [x.id for x in services.amendments(None, p)] == [a.id]
    assert a.state == AmendmentState.REJECTED and p.title != "Un titre modifié ici"
    assert count_rows(Amendment) == 1


# --- ordering and search --------------------------------------------------------------------

def test_random_order_is_stable_for_a_seed_and_covers_every_proposal_once(make_process, make_proposal):
    process = make_process()
    ids = {make_proposal(process, title=f"Proposition numéro {i}").id for i in range(12)}
    pages = [services.list_proposals(None, process.id, order="random", seed=123456789, page=n, limit=5)[0]
             for n in (1, 2, 3)]
    seen = [p.id for page in pages for p in page]
    assert sorted(seen) == sorted(ids)
    again = [p.id for p in services.list_proposals(None, process.id, order="random", seed=123456789, limit=12)[0]]
    assert again == seen
    others = {tuple(p.id for p in services.list_proposals(None, process.id, order="random", seed=s, limit=12)[0])
              for s in (1, 987654321, 2 ** 61 + 17)}
    assert len(others | {tuple(seen)}) > 1


def test_orderings_and_filters(make_process, make_proposal, factory):
    process = make_process(categories=["Mobilité", "Nature"])
    d = factory.district()
    a = make_proposal(process, title="Proposition mobilité A", category="Mobilité")
    b = make_proposal(process, title="Proposition nature B", category="Nature", district_id=d.id)
    _support(factory.user(), b)
    b.comment_count = 3
    db.session.commit()
    ids = lambda **kw: [p.id for p in services.list_proposals(None, process.id, **kw)[0]]  # noqa: E731
    assert ids(order="newest") == [b.id, a.id]
    assert ids(order="supports") == [b.id, a.id]
    assert ids(order="comments") == [b.id, a.id]
    assert ids(filters=services.ProposalFilters(category="Mobilité")) == [a.id]
    assert ids(filters=services.ProposalFilters(district_id=d.id)) == [b.id]
    assert ids(filters=services.ProposalFilters(state="accepted")) == []


def test_similar_proposals_match_significant_words_without_accents(make_process, make_proposal):
    process = make_process()
    bike = make_proposal(process, title="Piste cyclable sécurisée boulevard Carnot",
                         body="Séparer les vélos des voitures sur le boulevard Carnot.")
    make_proposal(process, title="Des toilettes publiques au jardin",
                  body="Installer des toilettes accessibles au jardin des Plantes.")
    found = services.similar_proposals(None, process, "Une piste pour les velos, boulevard carnot securise")
    assert [p.id for p in found] == [bike.id]
    assert services.similar_proposals(None, process, "les et des") == []


def test_hidden_proposals_leave_lists_and_pages(make_process, make_proposal, factory):
    process = make_process()
    p = make_proposal(process)
    content.hook("proposal", "set_hidden")(p, True)
    db.session.commit()
    assert services.list_proposals(None, process.id)[0] == []
    with pytest.raises(NotFound):
        services.get_proposal(p.id, factory.user())
    assert services.get_proposal(p.id, factory.user(roles=["moderator"])).id == p.id


# --- processes, phases, linked modules ---------------------------------------------------------

def test_draft_process_is_visible_only_to_managers(admin, factory):
    process = services.create_process(admin, services.ProcessData(title="Brouillon", summary="Pas encore public"))
    db.session.commit()
    with pytest.raises(NotFound):
        services.get_process(process.id, factory.user())
    assert services.get_process(process.id, factory.user(roles=["official"])).id == process.id
    with pytest.raises(ValidationError):
        services.publish_process(admin, process)  # no phases yet


def test_only_admins_create_processes_and_officials_of_the_district_edit_them(factory, admin):
    here = factory.district()
    data = services.ProcessData(title="Place du marché", summary="Réaménager la place", district_id=here.id)
    with pytest.raises(PermissionDenied):
        services.create_process(factory.user(roles=["official"]), data)
    process = services.create_process(admin, data)
    with pytest.raises(PermissionDenied):
        services.update_process(factory.user(roles=[("official", factory.district())]), process, data)
    services.update_process(factory.user(roles=[("official", here)]), process, data)


def test_phase_change_moves_the_process_to_the_archive(make_process, admin, end_phase):
    process = make_process()
    assert [p.id for p in services.list_processes(None, open_only=True)[0]] == [process.id]
    end_phase(process, admin)
    assert services.list_processes(None, open_only=True)[0] == []
    assert [p.id for p in services.list_processes(None, archive=True)[0]] == [process.id]
    moved = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "phase.changed",
                                                          AuditEntry.reason == "fin"))
    assert moved.actor_id == admin.id


def test_linked_budget_and_consultation_are_shown_when_their_kinds_exist(make_process, fake_kinds, monkeypatch):
    from tests.processes.fakes import FakeLinkedItem

    budget = FakeLinkedItem(title="Budget participatif 2027")
    consultation = FakeLinkedItem(title="Questionnaire vélo")
    db.session.add_all([budget, consultation])
    db.session.commit()
    process = make_process(budget_id=budget.id, consultation_id=consultation.id)
    assert [(i["kind"], i["title"]) for i in services.linked_items(process)] == [
        ("budget", "Budget participatif 2027"), ("consultation", "Questionnaire vélo")]
    monkeypatch.delitem(content._KINDS, "consultation")
    assert [i["kind"] for i in services.linked_items(process)] == ["budget"]


def test_linking_an_unknown_item_is_refused(make_process, fake_kinds, admin):
    process = make_process()
    with pytest.raises(ValidationError) as err:
        services.update_process(admin, process, services.ProcessData(
            title=process.title, summary=process.summary, budget_id=999))
    assert "budget_id" in err.value.fields


def test_accepted_proposal_becomes_a_budget_project_through_the_budget_hook(make_process, make_proposal, factory,
                                                                          fake_kinds):
    from tests.processes.fakes import FakeLinkedItem

    budget = FakeLinkedItem(title="Budget participatif 2027")
    db.session.add(budget)
    db.session.commit()
    official = factory.user(roles=["official"])
    p = make_proposal(make_process(budget_id=budget.id))
    assert not services.can_make_budget_project(p)
    services.answer_proposal(official, p, "accepted", "Retenue : elle rejoint le budget participatif.")
    assert services.can_make_budget_project(p)
    project = services.make_budget_project(official, p)
    db.session.commit()
    assert fake_kinds == [(official.id, budget.id, p.title, "proposal", p.id)]
    assert p.budget_project_id == project.id
    assert services.budget_project_link(p)["title"] == p.title
    with pytest.raises(InvalidTransition):
        services.make_budget_project(official, p)


def test_without_the_budget_hook_the_action_is_not_offered(make_process, make_proposal, factory, monkeypatch):
    monkeypatch.delitem(content._KINDS, "budget", raising=False)
    official = factory.user(roles=["official"])
    p = make_proposal(make_process(budget_id=None))
    services.answer_proposal(official, p, "accepted", "Retenue pour la programmation 2027.")
    assert not services.can_make_budget_project(p)
    with pytest.raises(InvalidTransition):
        services.make_budget_project(official, p)


def test_recount_repairs_support_counters(make_process, make_proposal, factory):
    p = make_proposal(make_process())
    _support(factory.user(), p)
    db.session.execute(sa.update(Proposal).where(Proposal.id == p.id).values(support_count=7))
    db.session.commit()
    from civic.processes.jobs import recount_supports

    assert recount_supports() == 1
    db.session.commit()
    db.session.refresh(p)
    assert p.support_count == 1


def test_picture_is_made_at_upload_and_needs_its_alt_text(admin):
    import io

    from PIL import Image

    from civic.core import pictures

    raw = io.BytesIO()
    # Noise does not compress: the worst case for the web variant's 200 KB.
    Image.merge("RGB", [Image.effect_noise((3000, 2000), 90) for _ in range(3)]).save(raw, "JPEG", quality=90)
    staged = pictures.make(admin, raw.getvalue())
    process = services.create_process(admin, services.ProcessData(
        title="Avec image", summary="Une image lourde",
        picture=pictures.PictureInput(pending=staged, alt="La place vue du ciel")))
    pic = pictures.for_owner("process", process.id)
    assert pic.alt == "La place vue du ciel" and len(pic.web_data) <= 200 * 1024
    assert Image.open(io.BytesIO(pic.web_data)).format == "WEBP"
    with pytest.raises(ValidationError) as err:
        services.create_process(admin, services.ProcessData(
            title="Sans texte", summary="Image sans alternative",
            picture=pictures.PictureInput(pending=pictures.make(admin, raw.getvalue()))))
    assert "image_alt" in err.value.fields
    with pytest.raises(ValidationError):
        pictures.make(admin, b"hello")


def test_amendment_and_proposal_moves_keep_their_audit_entries(make_process, make_proposal, factory):
    author = factory.user()
    p = make_proposal(make_process(), author=author)
    a = services.propose_amendment(factory.user(), p, "Un titre modifié ici", "Un texte modifié assez long.",
                                   "Plus clair.")
    services.decide_amendment(author, a, accept=False, reason="Cela change le sens de la proposition.")
    db.session.commit()
    # Decided once: a second decision is refused as such, whatever the reason sent.
    with pytest.raises(InvalidTransition) as err:
        services.decide_amendment(author, a, accept=False, reason="")
    assert err.value.message == "This amendment has already been decided."
    assert a.decided_at is not None
    services.withdraw_proposal(author, p, "Une proposition plus complète existe déjà.")
    db.session.commit()
    entries = {e.action: e for e in audit.entries_for("proposal", p.id)}
    rejected = entries["proposal.amendment_rejected"]
    assert rejected.reason == "Cela change le sens de la proposition." and rejected.data == {"amendment_id": a.id}
    withdrawn = entries["proposal.withdrawn"]
    assert withdrawn.reason == "Une proposition plus complète existe déjà." and withdrawn.actor_id == author.id
    assert [e.action for e in services.proposal_history(p)][-1] == "proposal.withdrawn"
