"""Writes of the petitions app, grouped by subdomain and re-exported here."""

from petitions.services.heads import petitions_sign_stale_heads
from petitions.services.lifecycle import (
    petition_approve,
    petition_close,
    petition_create,
    petition_hide,
    petition_mark_duplicate,
    petition_reject,
    petition_sponsor,
    petition_submit,
    petition_update,
    petitions_close_expired,
    reports_dismiss,
    response_publish,
)
from petitions.services.log import heads_jsonl, log_jsonl, log_public_key
from petitions.services.signing import (
    abuse_report_create,
    alert_dismiss,
    personal_data_erase,
    petition_sign,
    petition_sign_by_id,
    petition_withdraw,
    signature_receipt,
    signatures_invalidate,
)

__all__ = [
    "abuse_report_create",
    "alert_dismiss",
    "heads_jsonl",
    "log_jsonl",
    "log_public_key",
    "personal_data_erase",
    "petition_approve",
    "petition_close",
    "petition_create",
    "petition_hide",
    "petition_mark_duplicate",
    "petition_reject",
    "petition_sign",
    "petition_sign_by_id",
    "petition_sponsor",
    "petition_submit",
    "petition_update",
    "petition_withdraw",
    "petitions_close_expired",
    "petitions_sign_stale_heads",
    "reports_dismiss",
    "response_publish",
    "signature_receipt",
    "signatures_invalidate",
]
