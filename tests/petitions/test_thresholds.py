"""The threshold engine (pure) and its use on petitions (database)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from accounts.models import Region, User
from petitions import thresholds
from petitions.models import Deadline, Level, Petition, Threshold, ThresholdReached
from petitions.services import petition_sign, response_publish
from petitions.services.common import petition_targets

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def rule(
    pk: int,
    kind: str = "absolute",
    n: int | None = None,
    pct: str | None = None,
    trigger: str = "response",
    days: int = 30,
) -> thresholds.Rule:
    return thresholds.Rule(
        id=pk,
        kind=kind,
        signatures=n,
        percent=None if pct is None else Decimal(pct),
        trigger=trigger,
        deadline_days=days,
    )


def test_absolute_threshold() -> None:
    """An absolute threshold needs exactly its number, whatever the population."""
    assert thresholds.required_signatures(rule(1, n=50_000), None) == 50_000
    assert thresholds.required_signatures(rule(1, n=50_000), 10) == 50_000


def test_percentage_threshold_rounds_up() -> None:
    """A percentage of the population rounds up; 1.5% of 1,000,001 is 15,001."""
    assert thresholds.required_signatures(rule(1, "percent", pct="1"), 150) == 2
    assert (
        thresholds.required_signatures(rule(1, "percent", pct="1.5"), 1_000_001)
        == 15_001
    )
    assert (
        thresholds.required_signatures(rule(1, "percent", pct="2"), 2_000_000) == 40_000
    )


def test_percentage_without_population_cannot_be_reached() -> None:
    """Without a known population a percentage threshold is never reached."""
    (target,) = thresholds.targets([rule(1, "percent", pct="1")], None)
    assert target.required is None
    assert not target.is_reached(10**9)
    assert target.progress(5) == 0


def test_bad_rules_are_refused() -> None:
    """A rule without its value is a configuration error."""
    with pytest.raises(ValueError, match="absolute needs signatures > 0"):
        thresholds.required_signatures(rule(7), 100)
    with pytest.raises(ValueError, match="percent needs percent > 0"):
        thresholds.required_signatures(rule(8, "percent"), 100)


def test_multiple_thresholds_reached_once_in_order() -> None:
    """Targets sort by requirement; each is reached once even after a drop."""
    rules = [
        rule(2, "percent", pct="2", trigger="debate", days=60),
        rule(1, "percent", pct="1"),
    ]
    resolved = thresholds.targets(rules, 1000)
    assert [(t.rule.id, t.required) for t in resolved] == [(1, 10), (2, 20)]
    assert thresholds.newly_reached(resolved, 9, []) == []
    assert [t.rule.id for t in thresholds.newly_reached(resolved, 10, [])] == [1]
    assert [t.rule.id for t in thresholds.newly_reached(resolved, 25, [1])] == [2]
    assert thresholds.newly_reached(resolved, 25, [1, 2]) == []
    assert resolved[1].progress(5) == 25


def test_deadlines_due_and_overdue() -> None:
    """A deadline is due soon, then overdue, unless met; late is recorded."""
    due = thresholds.due_at(T0, rule(1, n=5, days=30))
    assert due == T0 + timedelta(days=30)
    state = thresholds.DeadlineState(due_at=due, met_at=None)
    assert state.is_due_soon(due - timedelta(days=3), timedelta(days=7))
    assert not state.is_overdue(due)
    assert state.is_overdue(due + timedelta(seconds=1))
    late = thresholds.DeadlineState(due_at=due, met_at=due + timedelta(days=1))
    assert late.is_met()
    assert late.was_late()
    assert not late.is_overdue(due + timedelta(days=9))


def test_region_level_uses_region_population(
    make_petition: Callable[..., Petition], region_level: Level
) -> None:
    """A regional petition's percentages are of its region's population."""
    region = Region.objects.get(code="almaty")
    petition = make_petition(level=region_level, region=region)
    assert region.population
    required = [t.required for t in petition_targets(petition)]
    assert required == [
        -(-region.population // 100),
        -(-region.population * 2 // 100),
    ]


def test_reaching_threshold_opens_deadline_and_response_meets_it(
    make_petition: Callable[..., Petition],
    make_user: Callable[..., User],
    national: Level,
    official: User,
) -> None:
    """Reaching a threshold records it and opens a response deadline."""
    Threshold.objects.filter(level=national).delete()
    small = Threshold.objects.create(
        level=national,
        kind="absolute",
        signatures=3,
        trigger="response",
        deadline_days=10,
    )
    petition = make_petition()
    petition_sign(petition=petition, user=make_user())
    assert not ThresholdReached.objects.filter(petition=petition).exists()
    petition_sign(petition=petition, user=make_user())
    reached = ThresholdReached.objects.get(petition=petition)
    assert (reached.threshold_id, reached.required) == (small.pk, 3)
    deadline = Deadline.objects.get(petition=petition, kind="response")
    assert deadline.due_at == reached.reached_at + timedelta(days=10)
    assert deadline.met_at is None
    response_publish(
        petition=petition,
        official=official,
        department="Ministry of Ecology",
        text="We will inspect the plant.",
    )
    deadline.refresh_from_db()
    assert deadline.met_at is not None
