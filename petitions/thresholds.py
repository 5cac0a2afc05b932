"""The threshold engine: what a count of signatures reaches, and by when.

Pure functions over plain values, so the rules are unit-tested without a
database.  A level (district, region, national, ...) has thresholds, each an
absolute number of signatures or a percentage of the population of the
petition's territory, each triggering something (a response, a debate)
within a legal deadline.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Rule:
    """One threshold as the engine sees it."""

    id: int
    """The threshold's primary key."""
    kind: str
    """``"absolute"`` or ``"percent"``."""
    signatures: int | None
    """The number of signatures of an absolute threshold."""
    percent: Decimal | None
    """The percentage of the population of a percentage threshold."""
    trigger: str
    """What reaching it triggers (``"response"``, ``"debate"``)."""
    deadline_days: int
    """The legal deadline for the trigger, in days after reaching it."""


@dataclass(frozen=True, slots=True)
class Target:
    """A threshold resolved for one petition: how many signatures it needs."""

    rule: Rule
    """The threshold."""
    required: int | None
    """Signatures needed, or ``None`` when the population is unknown."""

    def is_reached(self, count: int) -> bool:
        """Return whether ``count`` signatures reach the target."""
        return self.required is not None and count >= self.required

    def progress(self, count: int) -> int:
        """Return the progress towards the target in whole percent (0–100)."""
        if not self.required:
            return 0
        return min(100, count * 100 // self.required)


def required_signatures(rule: Rule, population: int | None) -> int | None:
    """Return how many signatures ``rule`` needs for a territory.

    A percentage rounds up (1% of 150 people is 2 signatures); it needs the
    population, and without one the threshold cannot be reached.
    """
    if rule.kind == "absolute":
        if rule.signatures is None or rule.signatures <= 0:
            raise ValueError(f"threshold {rule.id}: absolute needs signatures > 0")
        return rule.signatures
    if rule.kind == "percent":
        if rule.percent is None or rule.percent <= 0:
            raise ValueError(f"threshold {rule.id}: percent needs percent > 0")
        if population is None:
            return None
        return max(1, math.ceil(Decimal(population) * rule.percent / 100))
    raise ValueError(f"threshold {rule.id}: unknown kind {rule.kind!r}")


def targets(rules: Iterable[Rule], population: int | None) -> list[Target]:
    """Resolve ``rules`` for a territory, smallest requirement first."""
    resolved = [Target(rule, required_signatures(rule, population)) for rule in rules]
    return sorted(
        resolved,
        key=lambda t: (t.required is None, t.required or 0, t.rule.id),
    )


def newly_reached(
    resolved: Sequence[Target], count: int, already: Iterable[int]
) -> list[Target]:
    """Return the targets ``count`` reaches that were not reached before.

    ``already`` holds the ids of thresholds reached earlier: a threshold is
    reached once, even if withdrawals later take the count below it.
    """
    done = set(already)
    return [t for t in resolved if t.rule.id not in done and t.is_reached(count)]


def due_at(reached_at: datetime, rule: Rule) -> datetime:
    """Return when the trigger of ``rule`` is due after reaching it."""
    return reached_at + timedelta(days=rule.deadline_days)


@dataclass(frozen=True, slots=True)
class DeadlineState:
    """Where a deadline stands at a moment."""

    due_at: datetime
    """When it is due."""
    met_at: datetime | None
    """When it was met, if it was."""

    def is_met(self) -> bool:
        """Return whether it was met (on time or late)."""
        return self.met_at is not None

    def is_overdue(self, now: datetime) -> bool:
        """Return whether it is past due and not met."""
        return self.met_at is None and now > self.due_at

    def is_due_soon(self, now: datetime, within: timedelta) -> bool:
        """Return whether it is not met and falls due within ``within``."""
        return self.met_at is None and now <= self.due_at <= now + within

    def was_late(self) -> bool:
        """Return whether it was met after its due date."""
        return self.met_at is not None and self.met_at > self.due_at
