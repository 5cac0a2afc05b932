"""Helpers shared by the petitions services: locking, thresholds, broadcasts."""

from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import transaction

from config import rows
from config.websocket import broadcast_coalesced_on_commit
from petitions import thresholds
from petitions.models import Deadline, Petition, Threshold, ThresholdReached
from petitions.tasks import (
    petition_notify_threshold as petition_notify_threshold_task,
)


def petition_group(petition_id: int) -> str:
    """Return the Channels group of a petition's live page."""
    return f"petition-{petition_id}"


def petition_lock(petition: Petition, *, related: bool = True) -> Petition:
    """Return the petition re-read under a row lock (inside a transaction).

    Every change to a petition's status, count or log goes through this
    lock, so appends are serialised and ``seq`` stays gapless.  With
    ``related=False`` the level and territory are not joined (the signing
    path resolves what it needs from them before it takes the lock).
    """
    queryset = Petition.objects.select_for_update(of=("self",))
    if related:
        queryset = queryset.select_related("level", "region")
    return queryset.get(pk=petition.pk)


# One round trip for the level's thresholds and the territory's population
# (every batch of signatures resolves them).  The territory is the
# petition's region when it has one (its population may be unknown),
# otherwise the level's country.  Ordered as ``Threshold.Meta.ordering``.
_TARGETS_SQL = (
    "SELECT t.id, t.kind, t.signatures, t.percent, t.trigger, t.deadline_days,"
    " CASE WHEN p.region_id IS NULL THEN l.population ELSE r.population END"
    " FROM petitions_petition p"
    " JOIN petitions_level l ON l.id = p.level_id"
    " LEFT JOIN petitions_threshold t ON t.level_id = l.id"
    " LEFT JOIN accounts_region r ON r.id = p.region_id"
    " WHERE p.id = %s"
    " ORDER BY t.signatures, t.percent"
)


def targets_query(petition_id: int) -> rows.Query[tuple[Any, ...]]:
    """Return the query :func:`targets_from` reads a petition's targets from."""
    return rows.plain(_TARGETS_SQL, [petition_id])


def targets_from(found: list[tuple[Any, ...]]) -> list[thresholds.Target]:
    """Return the thresholds resolved for the territory, from ``targets_query``."""
    if not found:
        return []
    population = found[0][6]
    rules = [
        thresholds.Rule(
            id=pk,
            kind=kind,
            signatures=signatures,
            percent=None if percent is None else Decimal(str(percent)),
            trigger=trigger,
            deadline_days=deadline_days,
        )
        for pk, kind, signatures, percent, trigger, deadline_days, _population in found
        if pk is not None
    ]
    return thresholds.targets(rules, population)


def petition_targets(petition: Petition) -> list[thresholds.Target]:
    """Return the petition's thresholds resolved for its territory."""
    (found,) = rows.run(targets_query(petition.pk))
    return targets_from(found)


_DEADLINE_KIND = {
    Threshold.Trigger.RESPONSE: Deadline.Kind.RESPONSE,
    Threshold.Trigger.DEBATE: Deadline.Kind.DEBATE,
}


def thresholds_apply(
    petition: Petition,
    now: datetime,
    targets: list[thresholds.Target] | None = None,
) -> list[ThresholdReached]:
    """Record thresholds the current count reaches for the first time.

    Each opens the deadline of what it triggers (once per kind) and, on
    commit, notifies the creator and the signers who asked for updates.
    ``targets`` may be resolved by the caller before it takes the row lock
    (they depend on the level and territory only, not on the count); the
    rows already reached are read only when the count reaches a target.
    """
    resolved = petition_targets(petition) if targets is None else targets
    count = petition.signature_count
    if not any(target.is_reached(count) for target in resolved):
        return []
    already = ThresholdReached.objects.filter(petition=petition).values_list(
        "threshold_id", flat=True
    )
    reached = []
    for target in thresholds.newly_reached(resolved, count, list(already)):
        assert target.required is not None  # noqa: S101 (is_reached implies it)
        row = ThresholdReached.objects.create(
            petition=petition,
            threshold_id=target.rule.id,
            required=target.required,
            reached_at=now,
        )
        Deadline.objects.get_or_create(
            petition=petition,
            kind=_DEADLINE_KIND[Threshold.Trigger(target.rule.trigger)],
            defaults={
                "threshold_id": target.rule.id,
                "starts_at": now,
                "due_at": thresholds.due_at(now, target.rule),
            },
        )
        reached.append(row)
        transaction.on_commit(
            partial(petition_notify_threshold_task.delay, petition.pk, target.rule.id)
        )
    return reached


def count_broadcast(petition: Petition) -> None:
    """Push the petition's new count to its live page once committed.

    Coalesced: a petition signed hundreds of times a second updates its
    pages about twenty times a second, always ending on the latest count.
    """
    broadcast_coalesced_on_commit(
        petition_group(petition.pk),
        "petition.count",
        {
            "petition": petition.pk,
            "count": petition.signature_count,
            "status": petition.status,
            "log_size": petition.log_size,
        },
    )
