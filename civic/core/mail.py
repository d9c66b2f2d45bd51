"""Mail transport: SMTP from ``MAIL_URL`` or ``.eml`` files in ``MAIL_DIR``."""

from __future__ import annotations

import smtplib
from datetime import UTC
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import unquote, urlparse

from flask import current_app

from civic.core.time import utcnow

# Bodies go as 8-bit UTF-8, so links stay whole in the .eml files of the
# demo; a body with a line too long for SMTP (over 998 bytes) goes as
# quoted-printable, as EmailMessage.set_content() would choose.
_UTF8 = Charset("utf-8")
_UTF8.header_encoding = QP
_UTF8.body_encoding = None
_UTF8_QP = Charset("utf-8")
_UTF8_QP.header_encoding = QP
_UTF8_QP.body_encoding = QP
# Headers are not folded at 78 columns: a folded List-Unsubscribe URL is
# legal but some clients then fail to use it (998 is the hard limit).
# Seconds one SMTP exchange may block: below the outbox claim (20 s), so a
# live worker's claim never expires in the middle of a send.
SMTP_TIMEOUT = 10


class _Policy(Compat32):
    """compat32 (fast, see :func:`build`) that refuses CR or LF in a header
    value, as ``email.policy.default`` does: no text that reaches a header
    (a name, a subject) can add a header of its own."""

    def header_store_parse(self, name, value):
        if isinstance(value, str) and ("\r" in value or "\n" in value):
            raise ValueError(f"header {name} may not contain CR or LF")
        return super().header_store_parse(name, value)


_POLICY = _Policy(max_line_length=998)


def build(to: str, subject: str, body: str, *, headers: dict | None = None, message_id: str | None = None) -> Message:
    """A plain-text UTF-8 message.

    Built with the ``compat32`` classes: ``EmailMessage`` parses every header
    through the header registry, which cost four times as much per mail and
    showed up when a surge of signatures is mailed.
    """
    long_lines = any(len(line.encode()) > 990 for line in body.splitlines())
    msg = MIMEText(body, "plain", _UTF8_QP if long_lines else _UTF8, policy=_POLICY)
    msg["From"] = formataddr(parseaddr(current_app.config["MAIL_FROM"]), charset=_UTF8)
    msg["To"] = to
    msg["Subject"] = subject if subject.isascii() else Header(subject, _UTF8)
    msg["Message-ID"] = message_id or make_msgid(domain="civic.localhost")
    msg["Date"] = format_datetime(utcnow().replace(tzinfo=UTC))
    for k, v in (headers or {}).items():
        msg[k] = v
    return msg


class Transport:
    """Send several messages over one connection (``with Transport() as t``)."""

    def __init__(self):
        self.url = current_app.config.get("MAIL_URL")
        self.dir = Path(current_app.config["MAIL_DIR"])
        self.smtp = None

    def __enter__(self):
        if self.url:
            u = urlparse(self.url)
            port = u.port or (465 if u.scheme == "smtps" else 25)
            if u.scheme == "smtps":
                self.smtp = smtplib.SMTP_SSL(u.hostname, port, timeout=SMTP_TIMEOUT)
            else:
                self.smtp = smtplib.SMTP(u.hostname, port, timeout=SMTP_TIMEOUT)
                if "starttls" in (u.query or "") or port == 587:
                    self.smtp.starttls()
            if u.username:
                self.smtp.login(unquote(u.username), unquote(u.password or ""))
        else:
            self.dir.mkdir(parents=True, exist_ok=True)
        return self

    def send(self, msg: Message, name: str) -> None:
        if self.smtp is not None:
            self.smtp.send_message(msg)
        else:
            (self.dir / f"{name}.eml").write_bytes(bytes(msg))
            current_app.logger.info("mail to %s: %s (%s)", msg["To"], msg["Subject"], self.dir / f"{name}.eml")

    def __exit__(self, *exc):
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except smtplib.SMTPException:
                pass
        return False
