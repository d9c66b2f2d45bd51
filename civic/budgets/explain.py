"""Plain-language reasons from the rules engine's machine-readable explanations.

civic.budgets.rules records, per project, a ``reason`` code and the numbers
behind it; this module turns each record into one translated sentence for the
results page. Unknown codes (a newer engine) fall back to a neutral sentence
rather than failing the page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask_babel import format_currency, ngettext
from flask_babel import gettext as _


def money(value, currency: str) -> str:
    return format_currency(value or 0, currency, format="#,##0 ¤", currency_digits=False)


def _names(ids, name_of: Callable[[str], str], limit: int = 3) -> str:
    ids = list(ids or [])
    shown = [f"« {name_of(i)} »" for i in ids[:limit]]
    if len(ids) > limit:
        shown.append(ngettext("%(num)d other project", "%(num)d other projects", len(ids) - limit))
    return ", ".join(shown)


def explain(record: Mapping, currency: str, name_of: Callable[[str], str]) -> str:
    """One sentence saying why the project was or was not selected."""
    reason = record.get("reason")
    cost = money(record.get("cost"), currency)
    if reason == "selected":
        if "round" in record:  # Equal Shares
            return _("Selected in round %(round)d: its %(n)d supporters could pay %(cost)s together, "
                     "each paying at most %(share)s.", round=record["round"], n=record.get("supporters", 0),
                     cost=cost, share=money(record.get("share"), currency))
        return _("Selected: %(left)s were left when its turn came, and it costs %(cost)s "
                 "(%(after)s left afterwards).", left=money(record.get("budget_left"), currency), cost=cost,
                 after=money(record.get("budget_left_after"), currency))
    if reason == "selected_free":
        return _("Selected: it costs nothing.")
    if reason == "selected_in_completion":
        return _("Selected when the money left was spent: %(left)s were left and it costs %(cost)s.",
                 left=money(record.get("budget_left"), currency), cost=cost)
    if reason == "did_not_fit":
        return _("Not selected: %(left)s were left when its turn came, and the project costs %(cost)s.",
                 left=money(record.get("budget_left"), currency), cost=cost)
    if reason == "not_reached":
        return _("Not selected: the selection stopped at « %(name)s », the first project that did not fit.",
                 name=name_of(record.get("stopped_at")))
    if reason == "no_votes":
        return _("Not selected: nobody voted for it.")
    if reason == "insufficient_support":
        return _("Not selected: even all the money of its supporters (%(money)s) does not cover its cost of %(cost)s.",
                 money=money(record.get("supporters_money"), currency), cost=cost)
    if reason == "supporters_budget_exhausted":
        by = record.get("by") or []
        if by:
            return _("Not selected: its supporters' share was used by %(projects)s; they had %(left)s left, "
                     "and it costs %(cost)s.", projects=_names(by, name_of),
                     left=money(record.get("supporters_money_left"), currency), cost=cost)
        return _("Not selected: its supporters had %(left)s left, and it costs %(cost)s.",
                 left=money(record.get("supporters_money_left"), currency), cost=cost)
    if record.get("selected"):
        return _("Selected.")
    return _("Not selected.")
