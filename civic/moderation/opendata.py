"""Moderation's open dataset (issue 20): the transparency report's monthly
figures, exactly the rows of /transparency.csv. Counts only: never who
reported, what was reported, nor who was blocked."""

from __future__ import annotations

import sqlalchemy as sa

from civic.core.datasets import Dataset, Field, register_dataset
from civic.core.time import utcnow
from civic.extensions import db
from civic.moderation.models import Appeal, Decision, Report
from civic.moderation.transparency import CSV_COLUMNS, MONTHS, csv_rows, month_starts, transparency_figures

COUNT = {"required": True, "minimum": 0}
# (en, fr) of each column; the per-code columns are described from their prefix.
KNOWN = {
    "month": ("Calendar month (YYYY-MM, UTC)", "Mois civil (AAAA-MM, UTC)"),
    "reports_total": ("Reports received", "Signalements reçus"),
    "decisions_total": ("Decisions taken", "Décisions prises"),
    "decided_cases": ("Cases decided", "Dossiers tranchés"),
    "median_hours_report_to_decision": ("Median hours from first report to decision",
                                        "Médiane des heures entre le premier signalement et la décision"),
    "p90_hours_report_to_decision": ("Hours within which 9 decisions out of 10 were taken",
                                     "Heures dans lesquelles 9 décisions sur 10 ont été prises"),
    "auto_hidden": ("Items hidden automatically after reports", "Contenus masqués automatiquement après "
                                                                  "signalements"),
    "restored_on_review": ("Of which restored after review", "Dont rétablis après examen"),
    "appeals_total": ("Appeals", "Recours"),
    "users_blocked": ("People blocked", "Personnes bloquées"),
}
PREFIXES = {"reports_": ("Reports for the reason", "Signalements pour le motif"),
            "decisions_": ("Decisions of the type", "Décisions du type"),
            "appeals_": ("Appeals in the state", "Recours à l'état")}


def _field(name: str) -> Field:
    if name == "month":
        return Field(name, "string", *KNOWN[name], {"required": True, "pattern": "^[0-9]{4}-[0-9]{2}$"})
    if name.startswith(("median_", "p90_")):
        return Field(name, "number", *KNOWN[name], {"minimum": 0})
    if name in KNOWN:
        return Field(name, "integer", *KNOWN[name], COUNT)
    for prefix, (en, fr) in PREFIXES.items():
        if name.startswith(prefix):
            code = name[len(prefix):]
            return Field(name, "integer", f"{en} {code}", f"{fr} {code}", COUNT)
    raise ValueError(name)


def rows():
    for row in csv_rows(transparency_figures()):
        yield tuple(None if v == "" else v for v in row)


def _updated_at():
    # The window slides at each new month: its first instant changes the file too.
    moments = [db.session.scalar(sa.select(sa.func.max(m.created_at))) for m in (Report, Decision, Appeal)]
    return max([t for t in moments if t is not None] + [month_starts(utcnow())[-1]])


def register() -> None:
    register_dataset(Dataset(
        name="moderation-transparency", kind="moderation",
        title_en="Moderation transparency figures", title_fr="Chiffres de transparence de la modération",
        description_en=f"Reports, decisions, time to decide, automatic hiding, appeals and blocks, month by "
                       f"month over the last {MONTHS} months.",
        description_fr=f"Signalements, décisions, délais de décision, masquages automatiques, recours et "
                       f"blocages, mois par mois sur les {MONTHS} derniers mois.",
        method_en="Computed from the moderation records each time the file is downloaded, by calendar month in "
                  "UTC, as on the transparency page. Times run from a case's first report to its first "
                  "decision. A month with no case has empty times. People blocked are counted once a month, "
                  "however many blocks. The oldest month leaves the file as a new one begins.",
        method_fr="Calculés à partir des registres de la modération à chaque téléchargement, par mois civil en "
                  "UTC, comme sur la page de transparence. Les délais vont du premier signalement d'un dossier "
                  "à sa première décision. Un mois sans dossier a des délais vides. Les personnes bloquées sont "
                  "comptées une fois par mois, quel que soit le nombre de blocages. Le mois le plus ancien "
                  "quitte le fichier quand un nouveau commence.",
        fields=tuple(_field(n) for n in CSV_COLUMNS), rows=rows, updated_at=_updated_at,
        shown_at=("moderation.transparency",),
        changelog=(("2026-12-03", "Première publication. / First publication."),)))
