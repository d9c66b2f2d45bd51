"""Reading the Polis open-data export format (compdemocracy/openData).

``votes.csv`` has the columns ``timestamp,datetime,comment-id,voter-id,vote`` with vote
1 agree, -1 disagree, 0 pass; a later vote of a voter on a comment replaces an earlier
one. ``comments.csv`` has ``timestamp,datetime,comment-id,author-id,agrees,disagrees,
moderated,comment-body`` (moderated -1 = moderated out). Pure: no database.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np

VOTE_COLUMNS = ("timestamp", "comment-id", "voter-id", "vote")


class PolisFormatError(ValueError):
    """The file is not a Polis export; the message says which line and why."""


@dataclass
class Votes:
    """Deduplicated votes with the Polis ids of each index."""

    voter_ids: list  # index -> Polis voter-id (str)
    comment_ids: list  # index -> Polis comment-id (str)
    participants: np.ndarray
    statements: np.ndarray
    values: np.ndarray
    timestamps: np.ndarray


def read_votes(stream, exclude_comments=()) -> Votes:
    """Parse a Polis votes.csv text stream; keep each voter's last vote per comment."""
    if isinstance(stream, bytes):
        stream = io.StringIO(stream.decode("utf-8-sig"))
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        raise PolisFormatError("empty file")
    header = [h.strip().lstrip("\ufeff") for h in header]
    missing = [c for c in VOTE_COLUMNS if c not in header]
    if missing:
        raise PolisFormatError("missing column(s): " + ", ".join(missing))
    col = {name: header.index(name) for name in VOTE_COLUMNS}
    excluded = {str(c) for c in exclude_comments}
    voter_index: dict = {}
    comment_index: dict = {}
    p, s, v, t = [], [], [], []
    for line_no, row in enumerate(reader, start=2):
        if not row:
            continue
        try:
            comment = row[col["comment-id"]].strip()
            voter = row[col["voter-id"]].strip()
            value = int(row[col["vote"]])
            stamp = float(row[col["timestamp"]] or 0)
        except (IndexError, ValueError):
            raise PolisFormatError(f"line {line_no}: expected timestamp, comment-id, voter-id, vote") from None
        if value not in (1, -1, 0) or not comment or not voter:
            raise PolisFormatError(f"line {line_no}: vote must be 1, -1 or 0")
        if comment in excluded:
            continue
        p.append(voter_index.setdefault(voter, len(voter_index)))
        s.append(comment_index.setdefault(comment, len(comment_index)))
        v.append(value)
        t.append(stamp)
    from civic.conversations.groups import dedupe_votes

    participants, statements, values = np.asarray(p, dtype=np.int64), np.asarray(s, dtype=np.int64), np.asarray(v, dtype=np.float64)
    timestamps = np.asarray(t, dtype=np.float64)
    if len(values):
        order = np.lexsort((np.arange(len(values)), timestamps))
        rank = np.empty(len(values), dtype=np.int64)
        rank[order] = np.arange(len(values))
        participants, statements, values = dedupe_votes(participants, statements, values, order=rank)
    return Votes(list(voter_index), list(comment_index), participants, statements, values, timestamps)


def read_comments(stream) -> list:
    """Parse a Polis comments.csv text stream into dicts (id, author, moderated, body)."""
    if isinstance(stream, bytes):
        stream = io.StringIO(stream.decode("utf-8-sig"))
    reader = csv.DictReader(stream)
    needed = {"comment-id", "comment-body"}
    if reader.fieldnames is None or not needed <= {f.strip().lstrip("\ufeff") for f in reader.fieldnames}:
        raise PolisFormatError("missing column(s): comment-id, comment-body")
    out = []
    for row in reader:
        row = {k.strip().lstrip("\ufeff"): (val or "") for k, val in row.items() if k}
        try:
            moderated = int(row.get("moderated") or 0)
        except ValueError:
            moderated = 0
        out.append({"id": row["comment-id"].strip(), "author": row.get("author-id", "").strip(),
                    "moderated": moderated, "body": row["comment-body"]})
    return out
