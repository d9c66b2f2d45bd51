"""Moderation demo: a realistic history of reports, decisions, appeals and a
block over the past months, on whatever content the other modules' demo
loaders created (comments, petitions, debates...). Rows carry explicit past
dates, so the transparency page shows a believable year."""

from __future__ import annotations

import random
from datetime import timedelta

import click
import sqlalchemy as sa

from civic.core import content
from civic.core.time import utcnow
from civic.demo import register_demo
from civic.extensions import db
from civic.moderation import models as m

REPORTERS = [
    ("claire.fabre@demo.civic.localhost", "Claire Fabre", "T01"),
    ("mathieu.roux@demo.civic.localhost", "Mathieu Roux", "T08"),
    ("ines.haddad@demo.civic.localhost", "Inès Haddad", "T17"),
    ("bernard.costes@demo.civic.localhost", "Bernard Costes", "T13"),
    ("julie.nguyen@demo.civic.localhost", "Julie Nguyen", "T10"),
    ("antoine.garcia@demo.civic.localhost", "Antoine Garcia", "T06"),
]
SECOND_MODERATOR = ("moderateur.mirail@demo.civic.localhost", "Thomas Moreau (modérateur Mirail)", "T17")
BLOCKED = ("marc.ribes@demo.civic.localhost", "Marc Ribes", "T05")

REPORT_DETAILS = {
    "spam": ["Publicité pour une entreprise de rénovation", "Lien vers un site de vente sans rapport",
             "Le même message copié sur plusieurs pétitions"],
    "harassment": ["Insulte envers une élue de quartier", "Attaque personnelle contre un autre participant",
                   "Propos méprisants envers les habitants du Mirail"],
    "misinformation": ["Le coût annoncé du projet est faux (voir le budget voté)",
                       "Affirme que la ligne de tram est supprimée, ce qui est faux"],
    "personal_data": ["Donne le nom et l'adresse d'un voisin", "Publie le numéro de téléphone d'un commerçant"],
    "off_topic": ["Rien à voir avec la piste cyclable", "Parle d'un litige de voisinage, pas du projet"],
    "other": ["Message écrit en majuscules sur plusieurs lignes, illisible"],
}

STATEMENTS = {
    "keep": [
        "Après vérification, ce message reste dans le cadre du débat : il exprime un désaccord vif mais sans "
        "attaque personnelle ni information fausse. Les signalements sont classés sans suite.",
        "Le message critique un projet, ce qui est le but de la concertation. Il ne vise personne et ne contient "
        "pas de donnée personnelle : il reste visible.",
    ],
    "spam": "Ce message fait la promotion d'une entreprise sans lien avec le sujet (publicité), ce que la charte "
            "de participation interdit. Il est masqué.",
    "harassment": "Le message vise nommément une personne avec des termes injurieux. La charte interdit les "
                  "attaques personnelles : le message est masqué. Vous pouvez reformuler votre point de vue sans "
                  "viser personne.",
    "misinformation": "Le message présente comme un fait un montant contredit par le budget voté et publié. Il est "
                      "masqué ; vous pouvez le republier en citant vos sources.",
    "personal_data": "Le message contenait l'adresse d'un particulier. Elle a été retirée ; le reste du message "
                     "est inchangé.",
    "off_topic": "Ce message ne porte pas sur le sujet débattu mais sur un litige de voisinage. Il est masqué ; "
                 "la mairie de quartier peut vous aider pour ce litige.",
}

# (days ago of the first report, extra reporters, reason, decision, hours to decide)
HISTORY = [
    (170, 1, "off_topic", "keep", 30), (160, 3, "spam", "hide", 5), (150, 1, "misinformation", "keep", 52),
    (138, 2, "harassment", "hide", 3), (125, 3, "harassment", "keep", 20), (112, 1, "spam", "hide", 8),
    (98, 4, "spam", "hide", 2), (85, 1, "off_topic", "keep", 70), (71, 2, "misinformation", "hide", 26),
    (60, 3, "personal_data", "hide", 1), (46, 1, "other", "keep", 12), (33, 2, "harassment", "hide", 6),
    (21, 3, "off_topic", "keep", 9), (12, 1, "spam", "hide", 4),
]


def _user(email, name, district, districts, role=None):
    from werkzeug.security import generate_password_hash

    from civic.accounts.cli import DEMO_PASSWORD
    from civic.accounts.models import Role, User, UserRole, Verification, VerificationMethod
    from civic.accounts.services import find_user_by_email

    user = find_user_by_email(email)
    if user is not None:
        return user, False
    d = districts.get(district)
    user = User(email=email, display_name=name, password_hash=generate_password_hash(DEMO_PASSWORD), locale="fr",
                email_confirmed_at=utcnow(), district_id=d.id if d else None)
    db.session.add(user)
    db.session.flush()
    if role:
        db.session.add(UserRole(user_id=user.id, role=Role(role), district_id=d.id if d else None))
    elif d:
        db.session.add(Verification(user_id=user.id, district_id=d.id, method=VerificationMethod.IN_PERSON))
    db.session.flush()
    return user, True


def _demo_table(name: str) -> bool:
    """Test-only kinds (tables ``test_*``) are not demo content."""
    return not name.startswith("test_")


@register_demo(order=80)
def load_moderation_demo(ctx):
    rng = random.Random(80)
    districts = ctx.get("districts", {})
    users = ctx.get("users", {})
    accounts = ctx.setdefault("accounts", [])
    reporters = []
    for email, name, district in REPORTERS:
        u, new = _user(email, name, district, districts)
        reporters.append(u)
        if new:
            accounts.append((email, name, "verified resident"))
    mod_b, new = _user(*SECOND_MODERATOR, districts, role="moderator")
    if new:
        accounts.append((SECOND_MODERATOR[0], SECOND_MODERATOR[1], "moderator (T17)"))
    mod_a = users.get("moderation@demo.civic.localhost") or mod_b
    admin = users.get("admin@demo.civic.localhost") or mod_b
    blocked, new = _user(*BLOCKED, districts)
    if new:
        accounts.append((BLOCKED[0], BLOCKED[1], "resident, blocked for a week in the past"))

    now = utcnow()
    # A past week-long block, ended: it appears in the figures and the person's history.
    block_at = now - timedelta(days=95)
    db.session.add(m.Decision(kind="user", object_id=blocked.id, type=m.DecisionType.BLOCK,
                              reason_code=m.ReportReason.HARASSMENT, moderator_id=mod_a.id, subject_user_id=blocked.id,
                              statement="Insultes répétées envers d'autres participants malgré deux messages masqués. "
                                        "Compte bloqué une semaine.",
                              created_at=block_at, block_until=block_at + timedelta(days=7),
                              lifted_at=block_at + timedelta(days=7)))

    items = []
    for kind in content.kinds():
        if kind.hooks.get("set_hidden") is None or not _demo_table(kind.model.__tablename__):
            continue
        pk = sa.inspect(kind.model).primary_key[0]
        for obj in db.session.scalars(sa.select(kind.model).order_by(pk).limit(60)).all():
            if kind.author_id(obj) and kind.can_view(None, obj):
                items.append((kind, obj))
    if not items:
        click.echo("moderation demo: no content to report yet (no other module's items); history of reports skipped")
        return
    rng.shuffle(items)
    # Comments first: most moderation is about comments, and the other modules'
    # showcase items (petitions, projects) should mostly stay visible.
    items.sort(key=lambda pair: pair[0].name != "comment")

    def reporters_for(obj_author, n):
        pool = [u for u in reporters if u.id != obj_author]
        return rng.sample(pool, min(n, len(pool)))

    hidden_items = []
    appealed = 0
    history = HISTORY[:max(0, len(items) - 3)]
    for (kind, obj), (days, n_reports, reason, dtype, hours) in zip(items, history, strict=False):
        author_id = kind.author_id(obj)
        first = now - timedelta(days=days, hours=rng.randint(0, 10))
        decided = first + timedelta(hours=hours, minutes=rng.randint(0, 59))
        case = m.ModerationCase(kind=kind.name, object_id=obj.id, source=m.CaseSource.REPORTS,
                                status=m.CaseStatus.DECIDED, district_id=kind.district_id(obj), author_id=author_id,
                                created_at=first, first_reported_at=first, report_count=0, decided_at=decided)
        db.session.add(case)
        db.session.flush()
        when = first
        people = reporters_for(author_id, n_reports)
        for i, person in enumerate(people):
            # Most people pick the same reason; some choose "other" and say it in their words.
            picked = reason if i == 0 or rng.random() < .7 else "other"
            db.session.add(m.Report(kind=kind.name, object_id=obj.id, case_id=case.id, reporter_id=person.id,
                                    reason=m.ReportReason(picked), details=rng.choice(REPORT_DETAILS[picked]),
                                    created_at=when))
            if i == 2:
                case.hidden_at = when  # the third distinct report hid it
            when += timedelta(minutes=rng.randint(20, 240))
        case.report_count = len(people)
        moderator = mod_a if rng.random() < .7 else admin
        decision = m.Decision(case_id=case.id, kind=kind.name, object_id=obj.id, district_id=case.district_id,
                              type=m.DecisionType.KEEP if dtype == "keep" else m.DecisionType.HIDE,
                              reason_code=None if dtype == "keep" else m.ReportReason(reason),
                              statement=rng.choice(STATEMENTS["keep"]) if dtype == "keep" else STATEMENTS[reason],
                              moderator_id=moderator.id, subject_user_id=author_id, created_at=decided)
        db.session.add(decision)
        db.session.flush()
        if decision.type == m.DecisionType.HIDE:
            hold = m.Hold(kind=kind.name, object_id=obj.id, cause=m.HoldCause.DECISION, ref_id=decision.id,
                          created_at=decided)
            db.session.add(hold)
            if appealed < 2 and days > 40:
                appealed += 1
                other = admin if moderator.id != admin.id else mod_a
                overturned = appealed == 1
                appeal_at = decided + timedelta(days=1, hours=3)
                db.session.add(m.Appeal(
                    decision_id=decision.id, appellant_id=author_id, created_at=appeal_at,
                    text="Je ne visais personne : je citais un article de La Dépêche sur le sujet. Je demande que "
                         "mon message soit rétabli." if overturned else
                         "Je ne comprends pas pourquoi mon message est masqué, il parlait bien du quartier.",
                    status=m.AppealStatus.OVERTURNED if overturned else m.AppealStatus.UPHELD,
                    decided_by_id=other.id, decided_at=appeal_at + timedelta(days=2),
                    statement="Après relecture, le message cite une source publique et ne vise personne. La décision "
                              "est annulée et le message est de nouveau visible." if overturned else
                              "Le message contient toujours un lien publicitaire sans rapport avec le quartier ; la "
                              "décision est confirmée."))
                if overturned:
                    decision.reversed_at = appeal_at + timedelta(days=2)
                    hold.released_at = decision.reversed_at
                    continue
            hidden_items.append((kind, obj))

    # Live queue: a few items reported in the last days, one of them hidden pending review.
    live = items[len(history):len(history) + 3]
    for i, (kind, obj) in enumerate(live):
        author_id = kind.author_id(obj)
        n = 3 if i == 0 else 1 + i % 2
        first = now - timedelta(hours=30 - i * 9)
        case = m.ModerationCase(kind=kind.name, object_id=obj.id, source=m.CaseSource.REPORTS,
                                status=m.CaseStatus.OPEN, district_id=kind.district_id(obj), author_id=author_id,
                                created_at=first, first_reported_at=first, report_count=0)
        db.session.add(case)
        db.session.flush()
        reason = ["harassment", "spam", "misinformation"][i]
        people = reporters_for(author_id, n)
        for j, person in enumerate(people):
            at = first + timedelta(minutes=45 * j)
            db.session.add(m.Report(kind=kind.name, object_id=obj.id, case_id=case.id, reporter_id=person.id,
                                    reason=m.ReportReason(reason), details=rng.choice(REPORT_DETAILS[reason]),
                                    created_at=at))
            if j == 2:
                case.hidden_at = at
                db.session.add(m.Hold(kind=kind.name, object_id=obj.id, cause=m.HoldCause.REVIEW, ref_id=case.id,
                                      created_at=at))
                hidden_items.append((kind, obj))
        case.report_count = len(people)
    db.session.flush()
    for kind, obj in hidden_items:
        kind.hooks["set_hidden"](obj, True)
    db.session.flush()
    click.echo(f"moderation demo: {len(history)} past cases, {appealed} appeals, {len(live)} items in the queue")
