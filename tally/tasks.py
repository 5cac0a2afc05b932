"""Celery tasks of the tally: each takes an election's id and calls a service.

All three are idempotent (the services find their own earlier result), so a
redelivered task does nothing twice.
"""

from typing import Any

from celery import current_task, shared_task

from ballots.models import Election


def enqueue(task: Any, election_pk: int) -> None:
    """Queue ``task(election_pk)``, on the queue of the task running now if any.

    A follow-up queued from inside a worker (publish → verify) stays on the
    queue its chain came from, so a worker that consumes only that queue
    finishes the chain.  Outside a worker this is ``task.delay``.
    """
    request = getattr(current_task, "request", None) if current_task else None
    info = getattr(request, "delivery_info", None) or {}
    queue = None if getattr(request, "is_eager", True) else info.get("routing_key")
    if queue:
        task.apply_async(args=[election_pk], queue=queue)
    else:
        task.delay(election_pk)


@shared_task(name="tally.compute", acks_late=True, max_retries=3)
def tally_compute(election_pk: int) -> int:
    """Count the closed board and store the aggregates; return the counted size."""
    from tally.selectors import stored_counted
    from tally.services import tally_compute as compute

    tally = compute(election=Election.objects.get(pk=election_pk))
    return len(stored_counted(tally))


@shared_task(name="tally.publish", acks_late=True, max_retries=3)
def tally_publish(election_pk: int) -> bool:
    """Combine the trustees' shares and publish the record once ``t`` are in."""
    from tally.services import tally_publish as publish

    return publish(election=Election.objects.get(pk=election_pk)) is not None


@shared_task(name="tally.verify", acks_late=True, max_retries=3)
def tally_verify(election_pk: int) -> bool:
    """Verify the published record and store the report; return the verdict."""
    from tally.services import tally_verify as verify

    return bool(verify(election=Election.objects.get(pk=election_pk)).is_verified)


@shared_task(name="tally.sweep", acks_late=True)
def tally_sweep() -> list[str]:
    """Queue the count of closed elections not counted yet (periodic)."""
    from tally.services import tally_sweep as sweep

    return sweep()
