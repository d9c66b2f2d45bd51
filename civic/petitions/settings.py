"""Settings administrators change at run time (admin settings page)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from civic.core.models import Setting
from civic.core.settings import SettingSpec, coerce, register_setting
from civic.extensions import db

# The tally runs this often; pages and the count endpoint are cacheable for as long.
TALLY_SECONDS = 5

BIG_PROVIDERS = ("gmail.com,outlook.com,hotmail.com,hotmail.fr,live.fr,yahoo.com,yahoo.fr,orange.fr,wanadoo.fr,"
                 "free.fr,sfr.fr,laposte.net,icloud.com,proton.me,protonmail.com,bbox.fr,neuf.fr")


def _networks(raw: str, *, strict: bool) -> list:
    """The networks of a comma- (or line-) separated list. ``strict``: a part
    that is not a network raises ValueError with the message for the
    settings page; otherwise it is skipped (a value written without the
    page, by the CLI or a script, must not break signing)."""
    out = []
    for part in (p.strip() for p in raw.replace("\n", ",").split(",")):
        if not part:
            continue
        try:
            out.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            if strict:
                raise ValueError(_("“%(value)s” is not an IP address or a network like 203.0.113.0/24.",
                                   value=part)) from None
    return out


def _networks_setting(raw: str) -> str:
    """Validate and normalise the exempt networks for the settings page."""
    return ", ".join(str(net) for net in _networks(raw, strict=True))


def _authority_type(raw: str) -> str:
    value = (raw or "").strip().lower()
    if value not in ("commune", "other"):
        raise ValueError(_("Enter commune or other."))
    return value


def _frozen():
    # The rules a petition was published under are the ones its signers joined.
    return _l("Applies to petitions opened from now on: petitions already open keep the value they were "
              "published with.")


SPECS = [
    SettingSpec("petitions.sponsors_needed", 5, int, lambda: _l("Petitions: sponsors needed before moderation"),
                minimum=1, maximum=20),
    SettingSpec("petitions.max_before_moderation", 20, int,
                lambda: _l("Petitions: most sponsor signatures accepted before moderation"), minimum=1, maximum=100),
    SettingSpec("petitions.response_threshold", 10000, int,
                lambda: _l("Petitions: signatures for an official response"), minimum=1, help=_frozen),
    SettingSpec("petitions.debate_threshold", 100000, int,
                lambda: _l("Petitions: signatures for a public debate"), minimum=1, help=_frozen),
    SettingSpec("petitions.open_days", 183, int, lambda: _l("Petitions: days open for signing"),
                minimum=1, maximum=730, help=_frozen),
    SettingSpec("petitions.response_days", 60, int,
                lambda: _l("Petitions: days to publish the official response once the threshold is crossed"),
                minimum=1, maximum=365),
    SettingSpec("petitions.moderation_target_days", 7, int, lambda: _l("Petitions: target days for moderation"),
                minimum=1, maximum=60),
    SettingSpec("petitions.retention_days", 183, int,
                lambda: _l("Petitions: days after closing before signers' personal data is anonymised"),
                minimum=1, maximum=3650),
    SettingSpec("petitions.signing_paused", False, bool, lambda: _l("Petitions: pause signing on the whole site"),
                help=lambda: _l("For example during an election period. Open petitions' deadlines are extended "
                                "by the paused days.")),
    SettingSpec("petitions.ip_limit", 20, int,
                lambda: _l("Petitions: signatures per hour from one IP address on one petition"), minimum=1),
    SettingSpec("petitions.domain_limit", 200, int,
                lambda: _l("Petitions: signatures per hour from one email domain on one petition"), minimum=1),
    SettingSpec("petitions.exempt_domains", BIG_PROVIDERS, str,
                lambda: _l("Petitions: large email providers exempt from the domain limit (comma-separated)")),
    SettingSpec("petitions.exempt_networks", "", str,
                lambda: _l("Petitions: networks exempt from the IP limit (comma-separated)"),
                help=lambda: _l("Public computers where many residents sign from one address: the town hall, "
                                "libraries, a mediator's laptop. For example 203.0.113.7, 198.51.100.0/24."),
                validate=_networks_setting),
    SettingSpec("petitions.report_volume", 50, int,
                lambda: _l("Petitions: hourly volume from one IP or domain that is reported to moderators"),
                minimum=1),
    SettingSpec("petitions.legal_authority", "", str,
                lambda: _l("Legal petitions (L1112-16): the authority addressed"),
                help=lambda: _l("For example « le conseil municipal de Toulouse ». Empty: the municipal council "
                                "of the site's city.")),
    SettingSpec("petitions.legal_authority_type", "commune", str,
                lambda: _l("Legal petitions (L1112-16): kind of authority (commune, or other)"),
                help=lambda: _l("commune: one tenth of the registered electors must sign; other (EPCI, "
                                "département, région): one twentieth."), validate=_authority_type),
    SettingSpec("petitions.update_hours", 72, int,
                lambda: _l("Petitions: hours between two updates a creator may send to signers"),
                minimum=1, maximum=720),
]

DEFAULTS = {s.key: s for s in SPECS}


def register() -> None:
    for spec in SPECS:
        register_setting(spec)


def load() -> dict:
    """All petition settings in one query (the signing path reads several)."""
    values = {key[len("petitions."):]: spec.default for key, spec in DEFAULTS.items()}
    rows = db.session.execute(sa.select(Setting.key, Setting.value).where(Setting.key.like("petitions.%"))).all()
    for key, raw in rows:
        spec = DEFAULTS.get(key)
        if spec is None:
            continue
        try:
            values[key[len("petitions."):]] = coerce(spec, raw)
        except ValueError:
            pass
    return values


def subqueries(*names: str) -> list:
    """Scalar subqueries reading settings ``names`` (without the ``petitions.``
    prefix), to fold them into another statement on a hot path."""
    return [sa.select(Setting.value).where(Setting.key == f"petitions.{n}").scalar_subquery().label(f"setting_{n}")
            for n in names]


def from_row(row, *names: str) -> dict:
    """Parse the values read by :func:`subqueries` (defaults when unset or invalid)."""
    values = {}
    for n in names:
        spec = DEFAULTS[f"petitions.{n}"]
        raw = getattr(row, f"setting_{n}")
        try:
            values[n] = spec.default if raw is None else coerce(spec, raw)
        except ValueError:
            values[n] = spec.default
    return values


def exempt_domains(values: dict) -> set[str]:
    return {d.strip().lower() for d in (values.get("exempt_domains") or "").split(",") if d.strip()}


def ip_exempt(values: dict, ip: str) -> bool:
    """Whether ``ip`` is in one of the networks exempt from the per-IP limit."""
    networks = _parse_networks(values.get("exempt_networks") or "")
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in net for net in networks if net.version == address.version)


@lru_cache(maxsize=16)
def _parse_networks(raw: str) -> tuple:
    # Parsed once per distinct value: the signing path asks at every signature.
    return tuple(_networks(raw, strict=False))
