"""The accountability register as an open dataset (issue 20): every item
that owes an official answer, from every kind's ``owed_answers`` hook, with
its due date and whether the answer came on time (the public page's rows)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from civic.accounts.models import District
from civic.core.datasets import Dataset, Field, register_dataset
from civic.extensions import db

from . import services


def rows():
    codes = dict(db.session.execute(sa.select(District.id, District.code)).all())
    base = current_app.config["BASE_URL"].rstrip("/")
    for i in services.owed_items():
        url = i["url"]  # the hooks give paths inside requests: the file needs whole addresses
        yield (i["kind"], i["id"], i["title"], codes.get(i.get("district_id")), i["owed_since"], i["due_at"],
               i.get("answered_at"), i["state"].value, i["late_days"],
               base + url if url.startswith("/") else url)


def register() -> None:
    register_dataset(Dataset(
        name="owed-answers", kind="accountability",
        title_en="Register of owed official answers", title_fr="Registre des réponses officielles dues",
        description_en="Every petition, proposal, consultation and other item that owes the city's official "
                       "answer, its due date, and whether the answer was given on time.",
        description_fr="Chaque pétition, proposition, consultation ou autre contenu qui attend la réponse "
                       "officielle de la ville, sa date limite, et si la réponse a été donnée à temps.",
        method_en="Each kind says what it owes: petitions past their response threshold, proposals past their "
                  "support threshold, closed consultations (their follow-up). late_days counts days in the "
                  "city's calendar (an answer at 1 a.m. after a midnight deadline is one day late); for an "
                  "unanswered item it counts up to today. Sorted as on the page: overdue first, then pending by "
                  "due date, then answered, most recent first.",
        method_fr="Chaque type dit ce qu'il doit : pétitions au-delà de leur seuil de réponse, propositions "
                  "au-delà de leur seuil de soutiens, consultations closes (leur suite donnée). late_days compte "
                  "des jours du calendrier de la ville (une réponse à 1 h du matin après une échéance à minuit "
                  "a un jour de retard) ; pour un contenu sans réponse, il compte jusqu'à aujourd'hui. Tri "
                  "comme sur la page : en retard d'abord, puis en attente par échéance, puis répondus, les plus "
                  "récents d'abord.",
        fields=(Field("kind", "string", "Kind of item", "Type de contenu", {"required": True}),
                Field("id", "integer", "Identifier of the item", "Identifiant du contenu", {"required": True}),
                Field("title", "string", "Title", "Titre"),
                Field("district", "string", "District code", "Code du quartier"),
                Field("owed_since", "datetime", "Owes an answer since (UTC)", "Doit une réponse depuis (UTC)",
                      {"required": True}),
                Field("due_at", "datetime", "Answer due (UTC)", "Réponse due (UTC)", {"required": True}),
                Field("answered_at", "datetime", "Answered (UTC)", "Réponse donnée (UTC)"),
                Field("state", "string", "on_time, late, pending or overdue",
                      "on_time (à temps), late (en retard), pending (en attente) ou overdue (échue)",
                      {"required": True, "enum": [s.value for s in services.State]}),
                Field("late_days", "integer", "Days late", "Jours de retard", {"required": True, "minimum": 0}),
                Field("url", "string", "Page of the item", "Page du contenu", {"required": True})),
        # No updated_at: states and days late move with the clock and every kind's answers.
        rows=rows, shown_at=("accountability.index",),
        changelog=(("2026-12-03", "Première publication. / First publication."),)))
