"""Helpers shared by the petitions services: locking, thresholds, broadcasts."""

from datetime import datetime
from functools import partial

from django.db import transaction

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


def rule_of(threshold: Threshold) -> thresholds.Rule:
    """Return the engine's view of a threshold row."""
    return thresholds.Rule(
        id=threshold.pk,
        kind=threshold.kind,
        signatures=threshold.signatures,
        percent=threshold.percent,
        trigger=threshold.trigger,
        deadline_days=threshold.deadline_days,
    )


def petition_population(petition: Petition) -> int | None:
    """Return the population of the petition's territory, if known."""
    if petition.region_id is not None and petition.region is not None:
        return petition.region.population
    return petition.level.population


def petition_targets(petition: Petition) -> list[thresholds.Target]:
    """Return the petition's thresholds resolved for its territory."""
    rules = [rule_of(t) for t in petition.level.thresholds.all()]
    return thresholds.targets(rules, petition_population(petition))


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
