"""Mail transport: SMTP from ``MAIL_URL`` or ``.eml`` files in ``MAIL_DIR``."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlparse

from flask import current_app


def build(to: str, subject: str, body: str, *, headers: dict | None = None, message_id: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain="civic.localhost")
    from datetime import UTC

    from civic.core.time import utcnow

    msg["Date"] = format_datetime(utcnow().replace(tzinfo=UTC))
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body)
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
                self.smtp = smtplib.SMTP_SSL(u.hostname, port, timeout=20)
            else:
                self.smtp = smtplib.SMTP(u.hostname, port, timeout=20)
                if "starttls" in (u.query or "") or port == 587:
                    self.smtp.starttls()
            if u.username:
                self.smtp.login(unquote(u.username), unquote(u.password or ""))
        else:
            self.dir.mkdir(parents=True, exist_ok=True)
        return self

    def send(self, msg: EmailMessage, name: str) -> None:
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
