"""What an invalidation run matches: criteria parsed from the moderators'
form and the live online signatures they select. Used by the tool's
services and by its job (nothing here enqueues one)."""

from __future__ import annotations

import ipaddress
import re
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from civic.core.errors import ValidationError
from civic.core.sanitize import clean_text
from civic.core.time import end_of_day, start_of_day
from civic.extensions import db
from civic.petitions.models import Petition, Signature, SignatureSource, SignatureState


def parse_criteria(petition_id=None, ip=None, cidr=None, domain=None, email_pattern=None,
                   since: date | None = None, until: date | None = None) -> dict:
    """The invalidation form's fields as stored criteria (ValidationError
    naming the field when one is wrong or none is given)."""
    crit, errors = {}, {}
    if petition_id:
        if db.session.get(Petition, petition_id) is None:
            errors["petition_id"] = _("No petition has this number.")
        crit["petition_id"] = int(petition_id)
    ip, cidr = clean_text(ip), clean_text(cidr)
    if ip:
        try:
            crit["ip"] = str(ipaddress.ip_address(ip))
        except ValueError:
            errors["ip"] = _("Enter an IP address like 203.0.113.7.")
    if cidr:
        try:
            crit["cidr"] = str(ipaddress.ip_network(cidr, strict=False))
        except ValueError:
            errors["cidr"] = _("Enter a network like 203.0.113.0/24.")
    domain = clean_text(domain).lower().lstrip("@")
    if domain:
        crit["domain"] = domain
    pattern = clean_text(email_pattern).lower()
    if pattern:
        if not re.fullmatch(r"[a-z0-9*@.+_\-]+", pattern):
            errors["email_pattern"] = _("Use letters, digits, @ . + - _ and * as a wildcard.")
        crit["email_pattern"] = pattern
    if since:
        crit["since"] = since.isoformat()
    if until:
        crit["until"] = until.isoformat()
    if since and until and until < since:
        errors["until"] = _("The end date is before the start date.")
    if not any(k in crit for k in ("petition_id", "ip", "cidr", "domain", "email_pattern")):
        errors.setdefault("petition_id", _("Give at least a petition, an IP, a network, a domain or an email pattern."))
    if errors:
        raise ValidationError(fields=errors)
    return crit


def _criteria_stmt(crit: dict):
    stmt = sa.select(Signature.id, Signature.ip).where(
        Signature.state.in_([SignatureState.PENDING, SignatureState.VALIDATED]),
        Signature.source == SignatureSource.ONLINE)
    if "petition_id" in crit:
        stmt = stmt.where(Signature.petition_id == crit["petition_id"])
    if "ip" in crit:
        stmt = stmt.where(Signature.ip == crit["ip"])
    if "domain" in crit:
        stmt = stmt.where(Signature.email_domain == crit["domain"])
    if "email_pattern" in crit:
        like = crit["email_pattern"].replace("\\", "").replace("%", "").replace("_", "\\_").replace("*", "%")
        stmt = stmt.where(Signature.email.like(like, escape="\\"))
    # The dates are local days, from the start of the first to the end of the last.
    if "since" in crit:
        stmt = stmt.where(Signature.created_at >= start_of_day(date.fromisoformat(crit["since"])))
    if "until" in crit:
        stmt = stmt.where(Signature.created_at < end_of_day(date.fromisoformat(crit["until"])))
    return stmt


def matching_ids(crit: dict, after_id: int = 0, limit: int | None = None) -> list[int]:
    """Ids of live online signatures matching ``crit``. A CIDR is matched in
    Python (portable across databases), scanning by id ranges."""
    net = ipaddress.ip_network(crit["cidr"]) if "cidr" in crit else None
    stmt = _criteria_stmt(crit).where(Signature.id > after_id).order_by(Signature.id)
    out = []
    for sid, ip in db.session.execute(stmt.execution_options(yield_per=2000)):
        if net is not None:
            try:
                if ip is None or ipaddress.ip_address(ip) not in net:
                    continue
            except ValueError:
                continue
        out.append(sid)
        if limit and len(out) >= limit:
            break
    return out


