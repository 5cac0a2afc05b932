"""Geometry of the server-rendered SVG charts (no JavaScript, no libraries)."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class Datum(Protocol):
    """Anything with a label and a value."""

    @property
    def label(self) -> str:
        """Return the datum's label."""

    @property
    def value(self) -> int:
        """Return the datum's value."""


@dataclass(frozen=True)
class Row:
    """A horizontal bar: its label, value and geometry."""

    label: str
    value: int
    y: int
    width: int
    text_y: int


@dataclass(frozen=True)
class Column:
    """A vertical bar: its label, value and geometry."""

    label: str
    value: int
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Chart:
    """A chart: its size and its bars."""

    width: int
    height: int
    rows: list[Row]
    columns: list[Column]


def bar_rows(data: Sequence[Datum], *, bar_width: int = 300, step: int = 24) -> Chart:
    """Lay out horizontal bars, one per datum, scaled to the largest value."""
    top = max((d.value for d in data), default=0)
    rows = [
        Row(
            label=d.label,
            value=d.value,
            y=i * step + 4,
            width=round(d.value * bar_width / top) if top else 0,
            text_y=i * step + 18,
        )
        for i, d in enumerate(data)
    ]
    return Chart(
        width=bar_width + 320, height=len(data) * step + 8, rows=rows, columns=[]
    )


def bar_columns(data: Sequence[Datum], *, width: int = 600, height: int = 160) -> Chart:
    """Lay out vertical bars across ``width``, scaled to the largest value."""
    top = max((d.value for d in data), default=0)
    step = width // max(1, len(data))
    columns = []
    for i, d in enumerate(data):
        h = round(d.value * height / top) if top else 0
        columns.append(
            Column(
                label=d.label,
                value=d.value,
                x=i * step,
                y=height - h,
                width=max(1, step - 1),
                height=h,
            )
        )
    return Chart(width=width, height=height, rows=[], columns=columns)
