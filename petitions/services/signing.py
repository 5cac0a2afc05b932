"""Signing, withdrawing and invalidating signatures; erasing personal data."""

import ipaddress
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
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
from petitions.services.common import (
    count_broadcast,
    petition_lock,
    petition_targets,
    thresholds_apply,
)
from petitions.services.log import (
    LOG_FIELDS,
    log_append,
    log_receipt,
    log_receipt_current,
    log_sign_head,
)
from votecrypto.canonical import Json, parse_identifier
from votecrypto.errors import VoteCryptoError
from votecrypto.petition_log import commitment


def ip_prefix(ip: str) -> str:
    """Return the network an address belongs to: /24 for IPv4, /48 for IPv6."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "unknown"
    bits = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{bits}", strict=False))


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


_RECENT_SQL = (
    "SELECT"
    " (SELECT COUNT(*) FROM (SELECT 1 FROM petitions_signature WHERE petition_id = %s"
    " AND ip_prefix = %s AND signed_at >= %s LIMIT %s) AS by_range),"
    " (SELECT COUNT(*) FROM (SELECT 1 FROM petitions_signature WHERE petition_id = %s"
    " AND email_domain = %s AND signed_at >= %s LIMIT %s) AS by_domain)"
)
"""How many recent signatures share the range and the domain, up to limits.

One round trip that reads at most ``limit`` index entries per key, instead
of counting a busy petition's whole window on every signature."""


def _bursts(petition: Petition, signature: Signature, now: datetime) -> None:
    """Raise an alert when one range or domain signs too often; count on.

    An alert opens when ``limit`` signatures of the window share a range or
    domain; while it is open, each further signature from there adds one
    to it, so moderators see how many signatures the burst holds.
    """
    since = now - timedelta(seconds=settings.PETITIONS_BURST_WINDOW_SECONDS)
    checks = (
        (
            BurstAlert.Kind.IP_RANGE,
            "ip_prefix",
            signature.ip_prefix,
            settings.PETITIONS_BURST_IP_LIMIT,
        ),
        (
            BurstAlert.Kind.EMAIL_DOMAIN,
            "email_domain",
            signature.email_domain,
            settings.PETITIONS_BURST_DOMAIN_LIMIT,
        ),
    )
    if not any(key for _kind, _field, key, _limit in checks):
        return
    stamp = connection.ops.adapt_datetimefield_value(since)
    with connection.cursor() as cursor:
        cursor.execute(
            _RECENT_SQL,
            [
                value
                for _kind, _field, key, limit in checks
                for value in (petition.pk, key, stamp, max(limit, 0))
            ],
        )
        seen = cursor.fetchone()
    for (kind, field, key, limit), at_least in zip(checks, seen, strict=True):
        if not key or at_least < limit:
            continue
        # An open alert counts on: one UPDATE, not a count of the whole
        # window on every signature of a busy range.
        updated = BurstAlert.objects.filter(
            petition=petition, kind=kind, key=key, resolved_at__isnull=True
        ).update(signatures=F("signatures") + 1)
        if updated:
            continue
        recent = Signature.objects.filter(
            petition=petition, signed_at__gte=since, **{field: key}
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
            ).update(signatures=F("signatures") + 1)


@transaction.atomic
def petition_sign(
    *,
    petition: Petition,
    user: User,
    ip: str = "",
    wants_updates: bool = False,
    now: datetime | None = None,
) -> tuple[Signature, dict[str, Json]]:
    """Sign a petition; return the signature and the signer's receipt (§10).

    The petition row is locked before anything is read, so two requests of
    the same person cannot both pass the "already signed" check; the unique
    constraint on (petition, signer) backs this up.  A person who withdrew
    may sign again: their commitment gets a new ``sign`` entry.
    """
    if not permissions.can_sign(user):
        raise _refuse(
            _("Only citizens with a confirmed e-mail address can sign petitions."),
            "not_allowed",
        )
    # The thresholds depend on the level and territory, not on the count:
    # resolve them before the lock, so the locked section stays short.
    targets = petition_targets(petition) if petition.level_id is not None else None
    petition = petition_lock(petition, related=False)
    now = now or timezone.now()
    if not permissions.phase_allows_signing(petition, now):
        raise _refuse(_("This petition is not open for signatures."), "not_open")
    # At most one row (unique per petition and signer): no ORDER BY needed.
    existing = next(
        iter(Signature.objects.filter(petition=petition, signer=user).order_by()[:1]),
        None,
    )
    if existing is not None and existing.status == Signature.Status.COUNTED:
        raise _refuse(_("You have already signed this petition."), "already_signed")
    if existing is not None and existing.status == Signature.Status.INVALIDATED:
        raise _refuse(
            _("Your signature on this petition was invalidated by a moderator."),
            "invalidated",
        )
    secret = bytes(user.signer_secret)
    mine = commitment(petition.log_id, secret)
    appended = log_append(petition, "sign", {"commitment": mine}, now=now)
    fields = {
        "commitment": mine,
        "region_id": user.region_id,
        "status": Signature.Status.COUNTED,
        "seq": appended.seq,
        "signed_at": now,
        "changed_at": now,
        "wants_updates": wants_updates,
        "ip_prefix": ip_prefix(ip) if ip else "",
        "email_domain": user.email.rpartition("@")[2].lower(),
    }
    if existing is None:
        signature = Signature.objects.create(petition=petition, signer=user, **fields)
    else:
        for name, value in fields.items():
            setattr(existing, name, value)
        existing.petition = petition
        existing.save()
        signature = existing
    petition.signature_count += 1
    head = log_sign_head(petition, now=now)
    petition.save(update_fields=["signature_count", *LOG_FIELDS])
    # Burst alerts need no lock: checked once committed, the row lock is
    # held a little shorter (``transaction.on_commit``).
    transaction.on_commit(partial(_bursts, petition, signature, now))
    thresholds_apply(petition, now, targets)
    count_broadcast(petition)
    receipt = log_receipt_current(
        petition, head, seq=appended.seq, signer_secret=secret
    )
    return signature, receipt.to_json()


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
