"""Email address normalisation."""

from email_validator import EmailNotValidError, validate_email

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


def normalise_email(value: str) -> str:
    """Lower-cased, trimmed address (what accounts store)."""
    return (value or "").strip().lower()


def is_valid_email(value: str) -> bool:
    try:
        validate_email(value, check_deliverability=False)
        return True
    except EmailNotValidError:
        return False


def canonical_email(value: str) -> str:
    """One address per mailbox, for one-person-one-voice uniqueness:
    lower-case, ``+tag`` removed, and dots removed for Gmail."""
    value = normalise_email(value)
    local, _, domain = value.rpartition("@")
    if not local:
        return value
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"
