"""Importing the electoral roll from the electoral software's CSV export.

Exports differ between vendors, so an import has three steps: the upload
(kept in a temporary server-side file named by a signed token, so it
survives the column-mapping step without going through the browser again),
the mapping of its columns with a preview of the first rows normalised and
of the refused rows with their reasons, then the import itself, which
streams the file into :func:`civic.accounts.roll.replace_roll` and deletes
it. Only the keyed identity hashes and the polling stations are kept.
"""

from __future__ import annotations

import codecs
import csv
import os
import re
import secrets
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer

from civic.accounts import electors
from civic.accounts.permissions import can_manage_accounts
from civic.core.errors import NotFound, ValidationError
from civic.core.permissions import require
from civic.core.sanitize import clean_text

# The columns an import maps, in the order of the form.
FIELDS = ("birth_name", "usage_name", "given_names", "birth_date", "birth_place", "polling_station")
FIELD_LABELS = {"birth_name": _l("Birth name"), "usage_name": _l("Usage name"), "given_names": _l("Given names"),
                "birth_date": _l("Date of birth"), "birth_place": _l("Place of birth"),
                "polling_station": _l("Polling station")}
REQUIRED = ("birth_name", "given_names", "birth_date")

# Header words that name each column in the exports seen (French first).
_GUESSES = (
    ("usage_name", ("nom d usage", "nom usage", "nom marital", "usage name", "married name")),
    ("birth_place", ("lieu de naissance", "lieu naissance", "commune de naissance", "commune naissance",
                     "birth place", "place of birth", "birthplace")),
    ("birth_date", ("date de naissance", "date naissance", "ne le", "nee le", "birth date", "date of birth",
                    "birthdate", "dob", "naissance")),
    ("birth_name", ("nom de naissance", "nom naissance", "nom patronymique", "nom de famille", "birth name",
                    "family name", "last name", "surname", "nom")),
    ("given_names", ("prenoms", "prenom", "given names", "given name", "first names", "first name")),
    ("polling_station", ("bureau de vote", "bureau", "bv", "polling station", "station")),
)

MAX_BYTES = 64 * 1024 * 1024
TOKEN_SALT = "civic-roll-upload"
TOKEN_MAX_AGE = 24 * 3600
MAX_REFUSED_SHOWN = 50


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def _upload_dir() -> str:
    path = current_app.config.get("ROLL_UPLOAD_DIR") or os.path.join(tempfile.gettempdir(), "civic-roll-uploads")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def _sweep(path: str) -> None:
    # An upload abandoned at the mapping step holds names: gone after a day.
    limit = time.time() - TOKEN_MAX_AGE
    for name in os.listdir(path):
        full = os.path.join(path, name)
        try:
            if os.path.getmtime(full) < limit:
                os.remove(full)
        except OSError:
            pass


@dataclass
class Upload:
    token: str
    path: str
    filename: str
    encoding: str
    separator: str
    header: list[str] = field(default_factory=list)


def detect_encoding(path: str) -> str:
    """UTF-8 when the whole file decodes as UTF-8 (read in chunks), else
    Windows-1252, the encoding of older electoral software."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def detect_separator(first_line: str) -> str:
    return ";" if first_line.count(";") >= first_line.count(",") else ","


def store_upload(actor, stream, filename: str) -> str:
    """Keep an uploaded export for the mapping step; returns its signed token."""
    require(can_manage_accounts(actor))
    directory = _upload_dir()
    _sweep(directory)
    file_id = secrets.token_hex(16)
    path = os.path.join(directory, f"{file_id}.csv")
    size = 0
    with open(path, "wb") as out:
        while chunk := stream.read(1 << 20):
            size += len(chunk)
            if size > MAX_BYTES:
                out.close()
                os.remove(path)
                raise ValidationError(fields={"file": _("The file is larger than %(n)d MB.", n=MAX_BYTES >> 20)})
            out.write(chunk)
    if size == 0:
        os.remove(path)
        raise ValidationError(fields={"file": _("The file is empty.")})
    name = clean_text(filename)[:200] or "liste-electorale.csv"
    upload = _describe(path, "", name)
    if len(upload.header) < 2:
        os.remove(path)
        raise ValidationError(fields={"file": _("This does not look like a CSV file with columns separated by ; or ,.")})
    return _serializer().dumps({"f": file_id, "n": name})


def _describe(path: str, token: str, filename: str) -> Upload:
    encoding = detect_encoding(path)
    with open(path, encoding=encoding, newline="") as f:
        first = f.readline()
    sep = detect_separator(first)
    header = next(csv.reader([first], delimiter=sep), [])
    return Upload(token=token, path=path, filename=filename, encoding=encoding, separator=sep,
                  header=[h.strip() for h in header])


def load_upload(actor, token: str) -> Upload:
    """The upload a token names (NotFound when the token is forged, expired,
    or the file was already imported)."""
    require(can_manage_accounts(actor))
    try:
        data = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except BadSignature:
        raise NotFound() from None
    file_id = str(data.get("f", ""))
    if not re.fullmatch(r"[0-9a-f]{32}", file_id):
        raise NotFound()
    path = os.path.join(_upload_dir(), f"{file_id}.csv")
    if not os.path.exists(path):
        raise NotFound()
    return _describe(path, token, data.get("n") or "liste-electorale.csv")


def discard_upload(upload: Upload) -> None:
    try:
        os.remove(upload.path)
    except OSError:
        pass


def _header_words(h: str) -> str:
    return " ".join(electors.name_words(h)).lower()


def guess_mapping(header: list[str]) -> dict[str, int | None]:
    """For each field, the index of the column its header most likely names."""
    words = [_header_words(h) for h in header]
    mapping: dict[str, int | None] = dict.fromkeys(FIELDS)
    taken: set[int] = set()
    for fname, names in _GUESSES:
        for wanted in names:
            for i, w in enumerate(words):
                if i in taken:
                    continue
                if w == wanted or (len(wanted) > 3 and wanted in w and not (wanted == "nom" and "usage" in w)):
                    mapping[fname] = i
                    taken.add(i)
                    break
            if mapping[fname] is not None:
                break
    return mapping


def check_mapping(mapping: dict[str, int | None], header: list[str]) -> None:
    errors = {}
    for fname in REQUIRED:
        if mapping.get(fname) is None:
            errors[fname] = _("Choose the column of this field.")
    used = [v for v in mapping.values() if v is not None]
    for fname, v in mapping.items():
        if v is not None and not 0 <= v < len(header):
            errors[fname] = _("Choose a column from the list.")
        elif v is not None and used.count(v) > 1:
            errors[fname] = _("This column is chosen for another field too.")
    if errors:
        raise ValidationError(fields=errors)


_DATE = (re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$"), re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"),
         re.compile(r"^(\d{4})(\d{2})(\d{2})$"))


def parse_date(value: str) -> date | None:
    """A birth date as the exports write it (31/12/1980, 1980-12-31, 19801231)."""
    value = (value or "").strip()
    for i, rx in enumerate(_DATE):
        m = rx.match(value)
        if m:
            parts = [int(x) for x in m.groups()]
            d, mo, y = parts if i == 0 else (parts[2], parts[1], parts[0])
            try:
                return date(y, mo, d)
            except ValueError:
                return None
    return None


@dataclass
class Row:
    line: int
    identity: str | None = None  # the normalised identity (for the preview only)
    identity_hash: str | None = None
    station: str | None = None
    reason: str | None = None


def rows(upload: Upload, mapping: dict[str, int | None]) -> Iterator[Row]:
    """Every data row of the upload, normalised or refused with its reason
    (streamed: the file is never held in memory)."""
    def cell(values, fname):
        i = mapping.get(fname)
        return values[i].strip() if i is not None and i < len(values) else ""

    with open(upload.path, encoding=upload.encoding, newline="") as f:
        reader = csv.reader(f, delimiter=upload.separator)
        next(reader, None)
        for line, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            family, given, born_raw = cell(values, "birth_name"), cell(values, "given_names"), cell(values, "birth_date")
            if not electors.name_words(family):
                yield Row(line, reason=_("birth name missing"))
                continue
            if not electors.name_words(given):
                yield Row(line, reason=_("given names missing"))
                continue
            born = parse_date(born_raw)
            if born is None:
                yield Row(line, reason=_("date of birth “%(value)s” is not a date", value=born_raw[:20])
                          if born_raw else _("date of birth missing"))
                continue
            if born > date.today():
                yield Row(line, reason=_("date of birth in the future"))
                continue
            norm = electors.normalise_identity(family, given, born)
            yield Row(line, identity=norm, identity_hash=electors.keyed_hash("identity", norm),
                      station=cell(values, "polling_station")[:40] or None)


@dataclass
class Preview:
    first: list[Row]
    refused: list[Row]
    accepted_count: int = 0
    refused_count: int = 0


def preview(upload: Upload, mapping: dict[str, int | None], first: int = 10) -> Preview:
    """The first rows normalised, the refused rows (the first ones) and the counts."""
    check_mapping(mapping, upload.header)
    out = Preview(first=[], refused=[])
    for row in rows(upload, mapping):
        if row.reason:
            out.refused_count += 1
            if len(out.refused) < MAX_REFUSED_SHOWN:
                out.refused.append(row)
        else:
            out.accepted_count += 1
            if len(out.first) < first:
                out.first.append(row)
    return out


def import_upload(actor, upload: Upload, mapping: dict[str, int | None]):
    """Put the upload in force as the electoral roll, then delete the file."""
    from civic.accounts import roll

    require(can_manage_accounts(actor))
    check_mapping(mapping, upload.header)
    refused = sum(1 for r in rows(upload, mapping) if r.reason)
    entries = ((r.identity_hash, r.station) for r in rows(upload, mapping) if not r.reason)
    result = roll.replace_roll(actor, entries, filename=upload.filename, refused_count=refused)
    if result.elector_count == 0:
        raise ValidationError(fields={"birth_name": _("No row of the file could be read with these columns.")})
    discard_upload(upload)
    return result
