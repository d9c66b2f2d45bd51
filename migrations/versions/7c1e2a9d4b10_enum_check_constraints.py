"""Every enum column refuses unknown values in the database itself (CHECK)

Until now only the deliberation tables had these constraints; the models now
declare every enum column with civic.core.columns.enum_column.

Revision ID: 7c1e2a9d4b10
Revises: 5ffe4a072ec2
Create Date: 2026-12-02 13:50:00
"""

from alembic import op

revision = "7c1e2a9d4b10"
down_revision = "5ffe4a072ec2"
branch_labels = None
depends_on = None

# (table, column, constraint name, allowed values)
CHECKS = [
    ('budget_ballot', 'channel', 'ballotchannel', ('online', 'paper', 'imported')),
    ('budget_edition', 'vote_rule', 'voterule', ('approval', 'knapsack', 'cumulative', 'ranking')),
    ('budget_edition', 'selection_rule', 'selectionrule', ('greedy', 'greedy-stop', 'equal-shares')),
    ('budget_edition', 'results_status', 'resultsstatus', ('pending', 'computed', 'published')),
    ('budget_project', 'status', 'projectstatus', ('submitted', 'feasible', 'unfeasible', 'merged')),
    ('budget_project', 'implementation_status', 'implementationstatus', ('planned', 'in_progress', 'done', 'cancelled')),
    ('budget_project_update', 'status', 'implementationstatus', ('planned', 'in_progress', 'done', 'cancelled')),
    ('budget_result', 'rule', 'selectionrule', ('greedy', 'greedy-stop', 'equal-shares')),
    ('consultation', 'eligibility', 'eligibility', ('confirmed_email', 'residents', 'districts')),
    ('consultation', 'status', 'status', ('draft', 'published', 'closed')),
    ('consultation_decision_link', 'outcome', 'outcome', ('adopted', 'partly', 'not_adopted')),
    ('consultation_free_text', 'review', 'review', ('pending', 'approved', 'excluded')),
    ('consultation_question', 'kind', 'questionkind', ('single', 'multiple', 'ranking', 'scale', 'text')),
    ('moderation_appeal', 'status', 'appealstatus', ('pending', 'upheld', 'overturned')),
    ('moderation_case', 'source', 'casesource', ('reports', 'premoderation')),
    ('moderation_case', 'status', 'casestatus', ('open', 'decided')),
    ('moderation_decision', 'type', 'decisiontype', ('keep', 'hide', 'redact', 'block')),
    ('moderation_decision', 'reason_code', 'reportreason', ('spam', 'harassment', 'misinformation', 'personal_data', 'illegal', 'off_topic', 'other')),
    ('moderation_hold', 'cause', 'holdcause', ('review', 'decision', 'block')),
    ('moderation_report', 'reason', 'reportreason', ('spam', 'harassment', 'misinformation', 'personal_data', 'illegal', 'off_topic', 'other')),
    ('petition', 'state', 'petitionstate', ('draft', 'sponsors', 'moderation', 'open', 'closed', 'rejected', 'hidden', 'removed')),
    ('petition', 'state_before_removal', 'state_before_removal', ('draft', 'sponsors', 'moderation', 'open', 'closed', 'rejected', 'hidden', 'removed')),
    ('petition_news', 'kind', 'newskind', ('response', 'debate', 'update')),
    ('petition_signature', 'state', 'signaturestate', ('pending', 'validated', 'withdrawn', 'invalidated')),
    ('petition_signature', 'source', 'signaturesource', ('online', 'paper')),
    ('process', 'threshold_type', 'thresholdtype', ('none', 'count', 'percent')),
    ('proposal', 'state', 'proposalstate', ('published', 'evaluating', 'accepted', 'rejected', 'withdrawn', 'implemented')),
    ('proposal_amendment', 'state', 'amendmentstate', ('pending', 'accepted', 'rejected')),
    ('proposal_update', 'status', 'implementationstatus', ('planned', 'in_progress', 'done', 'halted')),
    ('user_role', 'role', 'role', ('mediator', 'official', 'moderator', 'admin')),
    ('verification', 'method', 'verificationmethod', ('census', 'in_person')),
]


def _tables():
    tables = {}
    for table, column, name, values in CHECKS:
        tables.setdefault(table, []).append((column, name, values))
    return tables


def upgrade():
    for table, checks in _tables().items():
        with op.batch_alter_table(table) as batch_op:
            for column, name, values in checks:
                allowed = ", ".join(f"'{v}'" for v in values)
                batch_op.create_check_constraint(op.f(f"ck_{table}_{name}"), f"{column} IN ({allowed})")


def downgrade():
    for table, checks in _tables().items():
        with op.batch_alter_table(table) as batch_op:
            for _column, name, _values in checks:
                batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
