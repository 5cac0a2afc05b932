"""The key ceremony on the server side (SPEC §2.2).

Trustees register X25519 keys; an official uploads the offline dealer's
``public.json`` and ``share-<i>.json`` files (``python -m tally.ceremony``),
or, for demos only, the server deals; then ``t`` trustees pass the
self-test of step 7 before the election may become ready.  The server only
ever stores the encrypted share boxes.
"""

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ballots.errors import ElectionError
from ballots.models import Election, Trustee
from ballots.permissions import demo_ceremony_allowed, test_keys_allowed
from ballots.selectors import canonical_text, ceremony_public
from ballots.services.lifecycle import election_event_record
from votecrypto.canonical import parse_hex_bytes, parse_json
from votecrypto.errors import JsonSyntaxError, VoteCryptoError
from votecrypto.primes import generate_paillier_primes
from votecrypto.threshold import (
    CeremonyPublic,
    DecryptionShare,
    ShareBox,
    check_ceremony_test,
    deal,
    require_valid_decryption_share,
)

DEMO_BITS = 2048
DEMO_TEST_BITS = 512


def _lock(election: Election) -> Election:
    return Election.objects.select_for_update().get(pk=election.pk)


def _require_state(election: Election, *states: str) -> None:
    if election.state not in states:
        raise ElectionError(
            "wrong-state", _("This step is not possible in the election's state."), 409
        )


@transaction.atomic
def trustee_register_key(*, trustee: Trustee, public_key_hex: str) -> Trustee:
    """Register the trustee's X25519 public key (64 hex digits).

    Possible in draft and during the key ceremony until the dealer's output
    is uploaded (the boxes are encrypted to the registered keys).
    """
    election = _lock(trustee.election)
    _require_state(election, Election.State.DRAFT, Election.State.KEY_CEREMONY)
    if election.ceremony_public_json:
        raise ElectionError(
            "ceremony-done", _("The key ceremony has already been dealt."), 409
        )
    try:
        key = parse_hex_bytes(public_key_hex.strip(), "x25519_public_key", 32)
    except VoteCryptoError as exc:
        raise ElectionError("bad-key", _("Enter 64 lowercase hex digits.")) from exc
    if election.trustees.exclude(pk=trustee.pk).filter(x25519_public_key=key.hex()):
        raise ElectionError("duplicate-key", _("Another trustee uses this key."))
    trustee = Trustee.objects.get(pk=trustee.pk)
    trustee.x25519_public_key = key.hex()
    trustee.save(update_fields=["x25519_public_key"])
    election_event_record(
        election=election,
        actor=trustee.user,
        action="trustee-key",
        detail=f"{trustee.index}: {key.hex()}",
    )
    return trustee


def _parse(data: bytes | str, what: str) -> Any:
    try:
        return parse_json(data)
    except JsonSyntaxError as exc:
        raise ElectionError("bad-ceremony", f"{what}: {exc}") from exc


def _check_public(
    election: Election, public: CeremonyPublic, trustees: Sequence[Trustee]
) -> None:
    allow_test = election.is_test_keys and test_keys_allowed()
    try:
        public.check(allow_test_keys=allow_test)
    except VoteCryptoError as exc:
        raise ElectionError("bad-ceremony", f"public.json: {exc}") from exc
    keys = public.trustees
    if keys.count != len(trustees) or keys.threshold != election.threshold:
        raise ElectionError(
            "bad-ceremony",
            _(
                "public.json is for %(t)s of %(count)s trustees; the election has "
                "%(et)s of %(ecount)s."
            )
            % {
                "t": keys.threshold,
                "count": keys.count,
                "et": election.threshold,
                "ecount": len(trustees),
            },
        )
    for trustee, entry in zip(trustees, keys.verification_keys, strict=True):
        if entry.index != trustee.index or entry.name != trustee.name:
            raise ElectionError(
                "bad-ceremony",
                _(
                    "public.json names trustee %(index)s “%(name)s”; the election's "
                    "trustee %(index)s is “%(expected)s” (wrong trustee list or order)."
                )
                % {"index": entry.index, "name": entry.name, "expected": trustee.name},
            )


def _trustees_with_keys(election: Election) -> list[Trustee]:
    trustees = list(election.trustees.order_by("index"))
    if not trustees or any(not t.x25519_public_key for t in trustees):
        raise ElectionError(
            "keys-missing", _("Every trustee must register an X25519 key first."), 409
        )
    return trustees


def _store(
    election: Election,
    public: CeremonyPublic,
    boxes: Sequence[ShareBox],
    trustees: Sequence[Trustee],
    *,
    demo: bool,
) -> None:
    election.ceremony_public_json = canonical_text(public.to_json())
    election.ceremony_tested_at = None
    election.is_demo_ceremony = demo
    election.save(
        update_fields=["ceremony_public_json", "ceremony_tested_at", "is_demo_ceremony"]
    )
    for trustee, box in zip(trustees, boxes, strict=True):
        trustee.share_box_json = canonical_text(box.to_json())
        trustee.test_share_json = ""
        trustee.save(update_fields=["share_box_json", "test_share_json"])


@transaction.atomic
def ceremony_upload(
    *,
    election: Election,
    actor: Any,
    public_json: bytes | str,
    share_boxes: Sequence[bytes | str],
) -> None:
    """Store the offline dealer's output after checking it.

    ``public.json`` must parse (with its ``key_hash``) and pass
    :meth:`CeremonyPublic.check` (bits ≥ 2048 unless the election uses
    test keys and they are allowed), and match the election: ``ℓ``, ``t``
    and each trustee's index and name.  One share box per trustee.
    """
    election = _lock(election)
    _require_state(election, Election.State.KEY_CEREMONY)
    trustees = _trustees_with_keys(election)
    try:
        public = CeremonyPublic.from_json(_parse(public_json, "public.json"))
    except VoteCryptoError as exc:
        raise ElectionError("bad-ceremony", f"public.json: {exc}") from exc
    _check_public(election, public, trustees)
    boxes: dict[int, ShareBox] = {}
    for position, data in enumerate(share_boxes):
        try:
            box = ShareBox.from_json(_parse(data, f"share box {position + 1}"))
        except VoteCryptoError as exc:
            raise ElectionError("bad-ceremony", f"share box: {exc}") from exc
        if box.index in boxes:
            raise ElectionError("bad-ceremony", _("Two share boxes for one trustee."))
        boxes[box.index] = box
    if sorted(boxes) != [t.index for t in trustees]:
        raise ElectionError("bad-ceremony", _("Upload one share box per trustee."))
    _store(election, public, [boxes[t.index] for t in trustees], trustees, demo=False)
    election_event_record(
        election=election,
        actor=actor,
        action="ceremony-upload",
        detail=f"key_hash {public.key_hash}",
    )


def ceremony_run_demo(*, election: Election, actor: Any = None) -> None:
    """Deal the key on the server: FOR DEMONSTRATIONS ONLY.

    The server briefly knows the whole key, which breaks the privacy
    promise of SPEC §0; only DEBUG or ``BALLOTS_ALLOW_DEMO_CEREMONY``
    allow it, and the election is marked as a demo.  The primes are made
    before the election row is locked (that takes a while); the trustees'
    keys are checked again under the lock.
    """
    if not demo_ceremony_allowed():
        raise ElectionError(
            "demo-forbidden", _("The demo key ceremony is disabled here."), 403
        )
    _require_state(election, Election.State.KEY_CEREMONY)
    trustees = _trustees_with_keys(election)
    allow_test = election.is_test_keys and test_keys_allowed()
    p, q = generate_paillier_primes(DEMO_TEST_BITS if allow_test else DEMO_BITS)
    output = deal(
        p,
        q,
        election.threshold,
        [bytes.fromhex(t.x25519_public_key) for t in trustees],
        names=[t.name for t in trustees],
    )
    del p, q
    with transaction.atomic():
        locked = _lock(election)
        _require_state(locked, Election.State.KEY_CEREMONY)
        current = _trustees_with_keys(locked)
        unchanged = [(t.pk, t.x25519_public_key, t.name) for t in current] == [
            (t.pk, t.x25519_public_key, t.name) for t in trustees
        ]
        if not unchanged or locked.threshold != election.threshold:
            raise ElectionError(
                "changed", _("The trustees changed meanwhile; run it again."), 409
            )
        _store(locked, output.public, output.boxes, current, demo=True)
        election_event_record(
            election=locked,
            actor=actor,
            action="ceremony-demo",
            detail=f"key_hash {output.public.key_hash} (DEMO)",
        )


@transaction.atomic
def ceremony_test_share_submit(*, trustee: Trustee, share_json: bytes | str) -> bool:
    """Store a trustee's share of the test ciphertext (SPEC §2.2 step 7).

    The share and its proof are checked under ``key_hash``; once ``t``
    valid shares are in, :func:`check_ceremony_test` must decrypt the test
    plaintext, and the election records that the self-test passed.
    Returns whether it has passed.
    """
    election = _lock(trustee.election)
    _require_state(election, Election.State.KEY_CEREMONY)
    public = ceremony_public(election)
    if public is None:
        raise ElectionError("no-ceremony", _("No key ceremony output yet."), 409)
    trustee = Trustee.objects.get(pk=trustee.pk)
    try:
        share = DecryptionShare.from_json(_parse(share_json, "share"))
        keys = public.trustees
        require_valid_decryption_share(
            public.n,
            keys.count,
            keys.v,
            keys.verification_keys[trustee.index - 1].vk,
            public.key_hash,
            trustee.index,
            public.test.ciphertext,
            share,
        )
    except VoteCryptoError as exc:
        raise ElectionError("bad-share", str(exc)) from exc
    trustee.test_share_json = canonical_text(share.to_json())
    trustee.save(update_fields=["test_share_json"])
    election_event_record(
        election=election,
        actor=trustee.user,
        action="ceremony-test-share",
        detail=str(trustee.index),
    )
    shares = [
        DecryptionShare.from_json(parse_json(text))
        for text in election.trustees.exclude(test_share_json="")
        .order_by("index")
        .values_list("test_share_json", flat=True)
    ]
    if len(shares) < public.trustees.threshold:
        return False
    try:
        check_ceremony_test(public, shares)
    except VoteCryptoError as exc:
        raise ElectionError("bad-share", str(exc)) from exc
    if election.ceremony_tested_at is None:
        election.ceremony_tested_at = timezone.now()
        election.save(update_fields=["ceremony_tested_at"])
        election_event_record(
            election=election, actor=None, action="ceremony-test-passed"
        )
    return True
