"""Write services of the ballots app (re-exported from the submodules)."""

from ballots.services.board import (
    Accepted,
    ballot_audit,
    ballot_cast,
    board_close,
    board_seed,
    head_publish,
)
from ballots.services.ceremony import (
    ceremony_run_demo,
    ceremony_test_share_submit,
    ceremony_upload,
    trustee_register_key,
)
from ballots.services.lifecycle import (
    TRANSITIONS,
    election_event_record,
    election_transition,
    elections_run_schedule,
)
from ballots.services.manifest import manifest_build, manifest_freeze
from ballots.services.setup import (
    IssuedCode,
    contest_add,
    contest_remove,
    credentials_issue,
    election_create,
    election_update,
    trustee_add,
    trustee_remove,
    voter_roll_import,
)

__all__ = [
    "TRANSITIONS",
    "Accepted",
    "IssuedCode",
    "ballot_audit",
    "ballot_cast",
    "board_close",
    "board_seed",
    "ceremony_run_demo",
    "ceremony_test_share_submit",
    "ceremony_upload",
    "contest_add",
    "contest_remove",
    "credentials_issue",
    "election_create",
    "election_event_record",
    "election_transition",
    "election_update",
    "elections_run_schedule",
    "head_publish",
    "manifest_build",
    "manifest_freeze",
    "trustee_add",
    "trustee_register_key",
    "trustee_remove",
    "voter_roll_import",
]
