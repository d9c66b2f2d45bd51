"""Job bodies of the newsletters module (registered by kind.py)."""

from __future__ import annotations

from civic.newsletters import sending


def send_due() -> None:
    """Every minute: start due letters and queue their next paced batch."""
    sending.run_sender()
