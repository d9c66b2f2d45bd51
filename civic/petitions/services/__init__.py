"""Petition services: the only writers of petitions and signatures.

Every function that takes the actor checks permission first
(:mod:`civic.petitions.permissions`), validates, changes rows, writes the
audit entry and outbox mail, and flushes; the caller (view, API route, job,
CLI) commits once. State changes follow ``models.FLOW`` through
:func:`civic.core.transitions.transition`.

One module per sub-feature, re-exported here so that
``from civic.petitions import services; services.sign_petition(...)`` works:

- ``drafting``: the draft, its checks, sending it to sponsors;
- ``signing``: online, one-click and paper signatures, confirmation, withdrawal;
- ``confirmations``: the confirmation mails' links and batches;
- ``moderation``: the queue, the lock, decisions, removal and restoration;
- ``thresholds``: recording a crossed threshold (called by the tally);
- ``responses``: official responses, debate outcomes, creators' updates;
- ``criteria`` and ``invalidation``: the signature invalidation tool;
- ``recipients``: who is mailed for a role and district;
- ``privacy``: personal-data export and erasure.

Job bodies (mailings, runs, closing, retention) are in :mod:`civic.petitions.jobs`.
"""

from civic.petitions.labels import (
    DECISIONS,
    HIDE_REASONS,
    HISTORY_LABELS,
    REJECT_REASONS,
    REMOVE_REASONS,
    TOPICS,
    reason_label,
    state_labels,
)
from civic.petitions.services.confirmations import (
    MAIL_TRIGGER_KEY,
    MAX_CONFIRMATION_MAILS,
    queue_signature_mails,
    signature_from_token,
    signature_mail,
    signature_token,
)
from civic.petitions.services.criteria import matching_ids, parse_criteria
from civic.petitions.services.drafting import (
    create_petition,
    sponsor_count,
    sponsor_url,
    submit_petition,
    update_draft,
    validate_petition,
)
from civic.petitions.services.invalidation import preview_invalidation, start_invalidation
from civic.petitions.services.moderation import (
    LOCK_MINUTES,
    approve_petition,
    hide_petition,
    moderation_queue,
    reject_petition,
    release_moderation,
    remove_petition,
    restore_petition,
    set_hidden,
    take_for_moderation,
    traffic_reports,
)
from civic.petitions.services.privacy import erase_for, export_for
from civic.petitions.services.recipients import people_with_role
from civic.petitions.services.responses import post_update, publish_debate, publish_response
from civic.petitions.services.signing import (
    confirm_signature,
    my_signatures,
    record_paper_signature,
    sign_as_user,
    sign_petition,
    withdraw_signature,
)
from civic.petitions.services.thresholds import check_thresholds

__all__ = [
    "DECISIONS", "HIDE_REASONS", "HISTORY_LABELS", "LOCK_MINUTES", "MAIL_TRIGGER_KEY", "MAX_CONFIRMATION_MAILS",
    "REJECT_REASONS", "REMOVE_REASONS", "TOPICS", "approve_petition", "check_thresholds", "confirm_signature",
    "create_petition", "erase_for", "export_for", "hide_petition", "matching_ids", "moderation_queue",
    "my_signatures", "parse_criteria", "people_with_role", "post_update", "preview_invalidation",
    "publish_debate", "publish_response", "queue_signature_mails", "reason_label", "record_paper_signature",
    "reject_petition", "release_moderation", "remove_petition", "restore_petition", "sign_as_user",
    "set_hidden", "sign_petition", "signature_from_token", "signature_mail", "signature_token", "sponsor_count", "sponsor_url",
    "start_invalidation", "state_labels", "submit_petition", "take_for_moderation", "traffic_reports", "update_draft",
    "validate_petition", "withdraw_signature",
]
