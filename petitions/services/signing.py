"""Signing, withdrawing and invalidating signatures; erasing personal data."""

import hashlib
import ipaddress
import logging
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.ratelimit import recent_counts
from config import rows
from petitions import permissions
from petitions.models import (
    AbuseReport,
    BurstAlert,
    ModerationDecision,
    Notification,
    Petition,
    Signature,
    Sponsorship,
)
from petitions.services.batching import GroupCommit, Waiter
from petitions.services.common import (
    count_broadcast,
    petition_lock,
    targets_from,
    targets_query,
    thresholds_apply,
)
from petitions.services.log import (
    LOG_FIELDS,
    log_append,
    log_catch_up_query,
    log_entry_pending,
    log_head_pending,
    log_receipt,
    log_receipt_current,
    log_sign_head,
    log_writer,
)
from votecrypto.canonical import Json, parse_identifier
from votecrypto.errors import VoteCryptoError
from votecrypto.petition_log import commitment

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


def ip_prefix(ip: str) -> str:
    """Return the network an address belongs to: /24 for IPv4, /48 for IPv6."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "unknown"
    bits = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{bits}", strict=False))


def _refuse(message: "str | StrPromise", code: str) -> ValidationError:
    return ValidationError(message, code=code)


_RECENT_SQL = (
    "SELECT COUNT(*) FROM (SELECT 1 FROM petitions_signature WHERE petition_id = %s"
    " AND {column} = %s AND signed_at >= %s LIMIT %s) AS recent"
)
"""How many recent signatures share a range or a domain, up to a limit.

Reads at most ``limit`` index entries, instead of counting a busy
petition's whole window."""

_BURST_KEYS = (
    (BurstAlert.Kind.IP_RANGE, "ip_prefix", "PETITIONS_BURST_IP_LIMIT"),
    (BurstAlert.Kind.EMAIL_DOMAIN, "email_domain", "PETITIONS_BURST_DOMAIN_LIMIT"),
)


def _recent(
    petition: Petition, column: str, key: str, stamp: str | None, limit: int
) -> int:
    """Return how many signatures from ``key`` came since ``stamp`` (up to limit)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _RECENT_SQL.format(column=column), [petition.pk, key, stamp, max(limit, 0)]
        )
        (at_least,) = cursor.fetchone()
    return int(at_least)


def _burst_key(petition_id: int, kind: str, key: str) -> str:
    # Hashed: a domain may be longer than a cache key may be.
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"petition-burst:{petition_id}:{kind}:{digest}"


def _bursts(petition: Petition, signatures: Sequence[Signature], now: datetime) -> None:
    """Raise an alert when one range or domain signs too often; count on.

    An alert opens when ``limit`` signatures of the window share a range or
    domain; while it is open, each further signature from there adds one
    to it, so moderators see how many signatures the burst holds.  The big
    webmail domains (``PETITIONS_BURST_DOMAIN_IGNORE``) are watched by
    range only.
    """
    window = settings.PETITIONS_BURST_WINDOW_SECONDS
    since = now - timedelta(seconds=window)
    # (kind, column, key, limit) -> signatures of this batch with that key
    ignored = {domain.lower() for domain in settings.PETITIONS_BURST_DOMAIN_IGNORE}
    batch: Counter[tuple[str, str, str, int]] = Counter(
        (kind, column, value, getattr(settings, limit_setting))
        for signature in signatures
        for kind, column, limit_setting in _BURST_KEYS
        if (value := getattr(signature, column))
        and not (column == "email_domain" and value in ignored)
    )
    if not batch:
        return
    # With Redis, counters of the last two windows rule out almost every
    # signature cheaply; only a range or domain that may have reached its
    # limit is counted exactly in the database.
    checks = list(batch)
    counted = recent_counts(
        [
            _burst_key(petition.pk, kind, key)
            for kind, _column, key, _limit in checks
            for _ in range(batch[(kind, _column, key, _limit)])
        ],
        window,
    )
    if counted is not None:
        totals = iter(counted)
        highest = {
            check: max(next(totals) for _ in range(batch[check])) for check in checks
        }
        checks = [check for check in checks if highest[check] >= check[3]]
    stamp = connection.ops.adapt_datetimefield_value(since)
    for kind, column, key, limit in checks:
        added = batch[(kind, column, key, limit)]
        # An open alert counts on while the burst lasts: one UPDATE, not a
        # count of the whole window on every signature of a busy range.
        # With Redis the counters said it lasts; without, count first.
        if counted is None and _recent(petition, column, key, stamp, limit) < limit:
            continue
        updated = BurstAlert.objects.filter(
            petition=petition, kind=kind, key=key, resolved_at__isnull=True
        ).update(signatures=F("signatures") + added)
        if updated:
            continue
        if counted is not None and _recent(petition, column, key, stamp, limit) < limit:
            continue
        recent = Signature.objects.filter(
            petition=petition, signed_at__gte=since, **{column: key}
        ).count()
        if recent < limit:
            continue
        try:
            with transaction.atomic():
                BurstAlert.objects.create(
                    petition=petition,
                    kind=kind,
                    key=key,
                    signatures=recent,
                    window_start=since,
                    created_at=now,
                )
        except IntegrityError:
            # Another signature of the burst opened it meanwhile: count on.
            BurstAlert.objects.filter(
                petition=petition, kind=kind, key=key, resolved_at__isnull=True
            ).update(signatures=F("signatures") + added)


@dataclass(eq=False)
class _Signing:
    """One person's request to sign, and what it got."""

    user: User
    ip: str
    wants_updates: bool
    signature: Signature | None = None
    receipt: dict[str, Json] | None = None


logger = logging.getLogger(__name__)

_group_commit: GroupCommit[_Signing] = GroupCommit()
"""Concurrent signatures on one petition, in this process, share a commit."""


def petition_sign(
    *,
    petition: Petition,
    user: User,
    ip: str = "",
    wants_updates: bool = False,
    now: datetime | None = None,
) -> tuple[Signature, dict[str, Json]]:
    """Sign a petition; return the signature and the signer's receipt (§10).

    See :func:`petition_sign_by_id`.
    """
    return petition_sign_by_id(
        petition_id=petition.pk,
        user=user,
        ip=ip,
        wants_updates=wants_updates,
        now=now,
    )


def petition_sign_by_id(
    *,
    petition_id: int,
    user: User,
    ip: str = "",
    wants_updates: bool = False,
    now: datetime | None = None,
) -> tuple[Signature, dict[str, Json]]:
    """Sign petition ``petition_id``; return the signature and the receipt (§10).

    Signatures are appended under the petition's row lock, so two requests
    of the same person cannot both pass the "already signed" check; the
    unique constraint on (petition, signer) backs this up.  A person who
    withdrew may sign again: their commitment gets a new ``sign`` entry.
    A petition the user may not see is refused as ``not_found``.

    Called outside a transaction, the signature commits on its own, in a
    batch with the signatures that other threads of this process submit to
    the same petition meanwhile (group commit: one lock, one signed head,
    one commit for the batch).  Inside a transaction (or with ``now``
    given) it is written alone, in that transaction.
    """
    if not permissions.can_sign(user):
        raise _refuse(
            _("Only citizens with a confirmed e-mail address can sign petitions."),
            "not_allowed",
        )
    request = _Signing(user=user, ip=ip, wants_updates=wants_updates)
    if connection.in_atomic_block or now is not None:
        waiter = Waiter(request)
        with transaction.atomic():
            _sign_batch(petition_id, [waiter], now)
    else:
        waiter = _group_commit.run(
            petition_id, request, partial(_sign_committed, petition_id)
        )
    if waiter.error is not None:
        raise waiter.error
    if request.signature is None or request.receipt is None:
        raise RuntimeError("a signature batch left a request without an answer")
    return request.signature, request.receipt


def _sign_committed(petition_id: int, batch: Sequence[Waiter[_Signing]]) -> None:
    """Write a batch in its own transaction; answer nobody before the commit."""
    committed = threading.Event()
    try:
        with transaction.atomic():
            transaction.on_commit(committed.set)
            _sign_batch(petition_id, batch, None)
    except Exception as exc:
        if committed.is_set():
            # The batch is written and every request has its answer; what
            # failed ran after the commit (an alert check, a task, a push).
            logger.exception("after committing signatures on petition %s", petition_id)
            return
        if not isinstance(exc, DatabaseError) or len(batch) == 1:
            raise
        # One request's row broke the batch (nothing was written): write
        # each alone, so only that request fails.
        for waiter in batch:
            waiter.item.signature = waiter.item.receipt = None
            waiter.error = None
            try:
                with transaction.atomic():
                    _sign_batch(petition_id, [waiter], None)
            except DatabaseError as error:
                waiter.item.signature = waiter.item.receipt = None
                waiter.error = error


def _sign_batch(
    petition_id: int, batch: Sequence[Waiter[_Signing]], now: datetime | None
) -> None:
    """Append every acceptable signature of ``batch`` (inside a transaction).

    Requests that cannot sign get their ``error``; the others get their
    signature and a receipt under the one head signed for the batch.  The
    batch may run in another request's thread, so refusals are lazy: each
    is translated in its own request's language.
    """
    # The rows of this path are read and written with ``config.rows`` (plain
    # SQL, no query compilation): it is the platform's hottest write.  The
    # reads go in one round trip, the first taking the row lock, so the
    # lock is held for three round trips (these, the writes, the commit).
    start, catch_up = log_catch_up_query(petition_id)
    locked, existing_rows, entry_rows, target_rows = rows.run(
        rows.select(Petition, lock=True, id=petition_id),
        rows.select(
            Signature,
            within=("signer_id", sorted({w.item.user.pk for w in batch})),
            petition_id=petition_id,
        ),
        catch_up,
        targets_query(petition_id),
    )
    petition: Petition | None = locked[0] if locked else None
    now = now or timezone.now()
    for waiter in batch:
        if petition is None or not permissions.can_view(waiter.item.user, petition):
            waiter.error = _refuse(gettext_lazy("No such petition."), "not_found")
        elif not permissions.phase_allows_signing(petition, now):
            waiter.error = _refuse(
                gettext_lazy("This petition is not open for signatures."), "not_open"
            )
    batch = [waiter for waiter in batch if waiter.error is None]
    if petition is None or not batch:
        return
    targets = targets_from(target_rows)
    log_writer(petition, fetched=(start, entry_rows))
    existing: dict[int | None, Signature] = {
        row.signer_id: row for row in existing_rows
    }
    first_of: dict[int, Waiter[_Signing]] = {}
    accepted: list[Waiter[_Signing]] = []
    inserts: list[models.Model] = []
    updates: list[tuple[models.Model, list[str]]] = []
    for waiter in batch:
        user = waiter.item.user
        if user.pk in first_of:
            continue  # a second submission in the same batch: answered below
        first_of[user.pk] = waiter
        found = existing.get(user.pk)
        if found is not None and found.status == Signature.Status.COUNTED:
            waiter.error = _already_signed()
            continue
        if found is not None and found.status == Signature.Status.INVALIDATED:
            waiter.error = _refuse(
                gettext_lazy(
                    "Your signature on this petition was invalidated by a moderator."
                ),
                "invalidated",
            )
            continue
        secret = bytes(user.signer_secret)
        mine = commitment(petition.log_id, secret)
        appended, entry = log_entry_pending(petition, "sign", {"commitment": mine}, now)
        fields = {
            "commitment": mine,
            "region_id": user.region_id,
            "status": Signature.Status.COUNTED,
            "seq": appended.seq,
            "signed_at": now,
            "changed_at": now,
            "wants_updates": waiter.item.wants_updates,
            "ip_prefix": ip_prefix(waiter.item.ip) if waiter.item.ip else "",
            "email_domain": user.email.rpartition("@")[2].lower(),
        }
        if found is None:
            signature = Signature(petition=petition, signer=user, **fields)
            inserts.append(signature)
        else:
            # Signing again after a withdrawal: the commitment gets a new entry.
            for name, value in fields.items():
                setattr(found, name, value)
            found.petition = petition
            signature = found
            updates.append((found, list(fields)))
        inserts.append(entry)
        waiter.item.signature = signature
        accepted.append(waiter)
    for waiter in batch:
        first = first_of[waiter.item.user.pk]
        if first is not waiter:
            waiter.error = first.error or _already_signed()
    if not accepted:
        return
    head, head_row = log_head_pending(petition, now)
    petition.signature_count += len(accepted)
    updates.append((petition, ["signature_count", *LOG_FIELDS]))
    rows.write([*inserts, head_row], updates)
    signatures = [waiter.item.signature for waiter in accepted]
    # Burst alerts need no lock: checked once committed, the row lock is
    # held a little shorter (``transaction.on_commit``).
    transaction.on_commit(
        partial(_bursts, petition, [s for s in signatures if s is not None], now)
    )
    thresholds_apply(petition, now, targets)
    count_broadcast(petition)
    for waiter, signed in zip(accepted, signatures, strict=True):
        assert signed is not None  # noqa: S101 (set for every accepted request)
        receipt = log_receipt_current(
            petition,
            head,
            seq=signed.seq,
            signer_secret=bytes(waiter.item.user.signer_secret),
        )
        waiter.item.receipt = receipt.to_json()


def _already_signed() -> ValidationError:
    return _refuse(
        gettext_lazy("You have already signed this petition."), "already_signed"
    )


def signature_receipt(*, petition: Petition, user: User) -> dict[str, Json]:
    """Return the signer's receipt for their latest ``sign`` (latest head)."""
    signature = Signature.objects.filter(petition=petition, signer=user).first()
    if signature is None:
        raise _refuse(_("You have not signed this petition."), "not_signed")
    receipt = log_receipt(
        petition, seq=signature.seq, signer_secret=bytes(user.signer_secret)
    )
    return receipt.to_json()


@transaction.atomic
def petition_withdraw(
    *, petition: Petition, user: User, now: datetime | None = None
) -> Signature:
    """Take back the user's counted signature while the petition is open."""
    petition = petition_lock(petition)
    now = now or timezone.now()
    if not permissions.phase_allows_signing(petition, now):
        raise _refuse(
            _("Signatures can only be withdrawn while the petition is open."),
            "not_open",
        )
    signature = Signature.objects.filter(
        petition=petition, signer=user, status=Signature.Status.COUNTED
    ).first()
    if signature is None:
        raise _refuse(
            _("You have no counted signature on this petition."), "not_signed"
        )
    log_append(petition, "withdraw", {"commitment": signature.commitment}, now=now)
    signature.status = Signature.Status.WITHDRAWN
    signature.changed_at = now
    signature.save(update_fields=["status", "changed_at"])
    petition.signature_count -= 1
    log_sign_head(petition, now=now)
    petition.save(update_fields=["signature_count", *LOG_FIELDS])
    count_broadcast(petition)
    return signature


@transaction.atomic
def signatures_invalidate(
    *,
    petition: Petition,
    moderator: User,
    reason: str,
    explanation: str,
    ip_prefix: str = "",
    email_domain: str = "",
    since: datetime | None = None,
    alert: BurstAlert | None = None,
    now: datetime | None = None,
) -> int:
    """Invalidate counted signatures in bulk; return how many.

    Selects the counted signatures from ``ip_prefix`` or ``email_domain``
    (optionally since ``since``), or those an ``alert`` points to.  Each
    gets a public ``invalidate`` entry with ``reason`` (an identifier), and
    the decision goes to the public moderation log with the explanation.
    """
    if not permissions.can_moderate_petitions(moderator):
        raise _refuse(_("Only moderators can do this."), "not_allowed")
    try:
        parse_identifier(reason, "reason")
    except VoteCryptoError as exc:
        raise _refuse(
            _(
                "The reason must be a short code of lower-case letters, digits and "
                "hyphens."
            ),
            "bad_reason",
        ) from exc
    if not explanation.strip():
        raise _refuse(_("Explain the decision for the public."), "no_explanation")
    if alert is not None:
        if alert.petition_id != petition.pk:
            raise _refuse(_("The alert belongs to another petition."), "bad_alert")
        if alert.kind == BurstAlert.Kind.IP_RANGE:
            ip_prefix = alert.key
        else:
            email_domain = alert.key
        since = since or alert.window_start
    if not ip_prefix and not email_domain:
        raise _refuse(
            _("Choose the signatures: an IP range or an e-mail domain."), "no_selection"
        )
    petition = petition_lock(petition)
    if petition.status != Petition.Status.OPEN:
        raise _refuse(
            _("Signatures can only be invalidated while the petition is open."),
            "not_open",
        )
    now = now or timezone.now()
    selection = Q(petition=petition, status=Signature.Status.COUNTED)
    if ip_prefix:
        selection &= Q(ip_prefix=ip_prefix)
    if email_domain:
        selection &= Q(email_domain=email_domain.lower())
    if since is not None:
        selection &= Q(signed_at__gte=since)
    signatures = list(Signature.objects.filter(selection).order_by("seq"))
    for signature in signatures:
        log_append(
            petition,
            "invalidate",
            {"commitment": signature.commitment, "reason": reason},
            now=now,
        )
    Signature.objects.filter(pk__in=[s.pk for s in signatures]).update(
        status=Signature.Status.INVALIDATED, changed_at=now, invalidation_reason=reason
    )
    petition.signature_count -= len(signatures)
    if signatures:
        log_sign_head(petition, now=now)
    petition.save(update_fields=["signature_count", *LOG_FIELDS])
    ModerationDecision.objects.create(
        petition=petition,
        action=ModerationDecision.Action.INVALIDATE,
        reason=reason,
        explanation=explanation.strip(),
        signatures_affected=len(signatures),
        moderator=moderator,
        created_at=now,
    )
    if alert is not None:
        BurstAlert.objects.filter(pk=alert.pk).update(resolved_at=now)
    count_broadcast(petition)
    return len(signatures)


@transaction.atomic
def alert_dismiss(*, alert: BurstAlert, moderator: User) -> None:
    """Close a burst alert without invalidating anything."""
    if not permissions.can_moderate_petitions(moderator):
        raise _refuse(_("Only moderators can do this."), "not_allowed")
    BurstAlert.objects.filter(pk=alert.pk).update(resolved_at=timezone.now())


@transaction.atomic
def abuse_report_create(
    *, petition: Petition, reporter: User, reason: str, details: str
) -> AbuseReport:
    """Record a citizen's report of abusive content (once per person)."""
    if not permissions.can_sign(reporter):
        raise _refuse(
            _("Only citizens with a confirmed e-mail address can report petitions."),
            "not_allowed",
        )
    if reason not in AbuseReport.Reason.values:
        raise _refuse(_("Choose a reason from the list."), "bad_reason")
    report, created = AbuseReport.objects.get_or_create(
        petition=petition,
        reporter=reporter,
        defaults={"reason": reason, "details": details.strip()},
    )
    if not created:
        raise _refuse(_("You have already reported this petition."), "already")
    return report


def personal_data_erase(*, now: datetime | None = None) -> int:
    """Erase signers' personal data of petitions closed long enough ago.

    The account links, IP ranges, e-mail domains and update opt-ins go; the
    commitments, regions and the log stay, so the count stays verifiable.
    Returns how many petitions were erased.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PETITIONS_ERASE_AFTER_DAYS)
    due = Petition.objects.filter(
        status=Petition.Status.CLOSED,
        closed_at__lte=cutoff,
        personal_data_erased_at__isnull=True,
    )
    erased = 0
    for petition in due:
        with transaction.atomic():
            locked = petition_lock(petition)
            Signature.objects.filter(petition=locked).update(
                signer=None, ip_prefix="", email_domain="", wants_updates=False
            )
            Sponsorship.objects.filter(petition=locked).update(sponsor=None)
            AbuseReport.objects.filter(petition=locked).update(reporter=None)
            Notification.objects.filter(petition=locked).update(recipient=None)
            BurstAlert.objects.filter(petition=locked, resolved_at__isnull=True).update(
                resolved_at=now
            )
            BurstAlert.objects.filter(petition=locked).update(key="")
            locked.personal_data_erased_at = now
            locked.save(update_fields=["personal_data_erased_at"])
        erased += 1
    return erased
