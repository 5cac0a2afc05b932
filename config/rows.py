"""Rows read and written without the ORM's query compiler.

Building a query through the ORM costs a few hundred microseconds of
Python per statement, more than PostgreSQL takes to run a one-row insert.
On the hottest write paths (a popular petition is signed hundreds of times
a second) that compilation is most of the work, so these helpers write the
SQL of a model's rows once per model and field list, adapt each value with
the model field's own ``get_db_prep_save`` and read values back through the
converters the ORM applies (dates, JSON and binary values are stored and
read exactly as through the ORM, on PostgreSQL and SQLite).  Several
statements can share one round trip: :func:`write` for inserts and
updates, :func:`run` for queries.

They do not send ``pre_save``/``post_save`` signals (the project uses none)
and they do not call ``Model.save()``: a model that guards its ``save()``
(the append-only logs) is only ever inserted through :func:`insert`.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, partial
from typing import Any, Generic, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)
R = TypeVar("R")


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _pk_column(model: type[models.Model]) -> str:
    field = model._meta.pk
    if field is None or field.column is None:
        raise TypeError(f"{model.__name__} has no primary key column")
    return _quote(field.column)


def _fields(model: type[models.Model], names: Iterable[str]) -> list[models.Field]:
    return [model._meta.get_field(name) for name in names]  # type: ignore[misc]


@cache
def _insert_sql(model: type[models.Model], columns: tuple[str, ...]) -> str:
    table = _quote(model._meta.db_table)
    marks = ", ".join(["%s"] * len(columns))
    names = ", ".join(_quote(column) for column in columns)
    pk = _pk_column(model)
    return f"INSERT INTO {table} ({names}) VALUES ({marks}) RETURNING {pk}"  # noqa: S608


@cache
def _update_sql(model: type[models.Model], columns: tuple[str, ...]) -> str:
    table = _quote(model._meta.db_table)
    sets = ", ".join(f"{_quote(column)} = %s" for column in columns)
    pk = _pk_column(model)
    return f"UPDATE {table} SET {sets} WHERE {pk} = %s RETURNING {pk}"  # noqa: S608


def _insert_statement(obj: models.Model) -> tuple[str, list[Any]]:
    fields = [
        field
        for field in obj._meta.concrete_fields
        if not (field.primary_key and isinstance(field, models.AutoField))
    ]
    values = [
        field.get_db_prep_save(field.pre_save(obj, add=True), connection=connection)
        for field in fields
    ]
    columns = tuple(str(field.column) for field in fields)
    return _insert_sql(type(obj), columns), values


def _update_statement(obj: models.Model, names: Sequence[str]) -> tuple[str, list[Any]]:
    fields = _fields(type(obj), names)
    values = [
        field.get_db_prep_save(getattr(obj, field.attname), connection=connection)
        for field in fields
    ]
    columns = tuple(str(field.column) for field in fields)
    return _update_sql(type(obj), columns), [*values, obj.pk]


def _stored(obj: models.Model, pk: Any) -> None:
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias


@dataclass(frozen=True, slots=True)
class _Select:
    """A compiled one-table SELECT and how to turn its rows into instances."""

    sql: str
    suffix: str
    attnames: list[str]
    converters: list[list[tuple[Callable[..., Any], Any]]]


@cache
def _select(model: type[models.Model], where: tuple[str, ...], lock: bool) -> _Select:
    table = model._meta.db_table
    fields = list(model._meta.concrete_fields)
    columns = ", ".join(_quote(str(field.column)) for field in fields)
    condition = " AND ".join(f"{_quote(column)} = %s" for column in where)
    suffix = " FOR UPDATE" if lock and connection.features.has_select_for_update else ""
    converters = []
    for field in fields:
        # The converters the ORM's compiler applies: the backend's first
        # (SQLite parses dates), then the field's (``from_db_value``).
        col = field.get_col(table)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(
            connection
        )
        converters.append([(converter, col) for converter in found])
    return _Select(
        sql=f"SELECT {columns} FROM {_quote(table)} WHERE {condition}",  # noqa: S608
        suffix=suffix,
        attnames=[field.attname for field in fields],
        converters=converters,
    )


def insert(obj: M) -> M:
    """Insert a new model instance as one row and set its primary key.

    Every concrete field except an automatic primary key is written, with
    its default or ``pre_save`` value (``auto_now_add`` and the like), as
    ``Model.save()`` would write it.
    """
    sql, values = _insert_statement(obj)
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        (pk,) = cursor.fetchone()
    _stored(obj, pk)
    return obj


def update(obj: models.Model, names: Sequence[str]) -> None:
    """Write the named fields of a stored instance to its row."""
    sql, values = _update_statement(obj, names)
    with connection.cursor() as cursor:
        cursor.execute(sql, values)


def write(
    inserts: Sequence[models.Model],
    updates: Sequence[tuple[models.Model, Sequence[str]]],
) -> None:
    """Insert new instances and update stored ones, in one round trip.

    On PostgreSQL the statements become one (data-modifying ``WITH``
    clauses, each run exactly once); elsewhere they run one by one.  The
    inserted instances get their primary keys.
    """
    if connection.vendor != "postgresql":
        for obj in inserts:
            insert(obj)
        for obj, names in updates:
            update(obj, names)
        return
    statements = [_insert_statement(obj) for obj in inserts]
    statements += [_update_statement(obj, names) for obj, names in updates]
    clauses = ", ".join(f"w{i} AS ({sql})" for i, (sql, _v) in enumerate(statements))
    # Only the clause names and model-derived SQL are formatted in; every
    # value is a parameter.
    results = ", ".join(f"(SELECT * FROM w{i})" for i in range(len(statements)))  # noqa: S608
    params = [value for _sql, values in statements for value in values]
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {clauses} SELECT {results}", params)
        row = cursor.fetchone()
    for obj, pk in zip(inserts, row, strict=False):
        _stored(obj, pk)


def _instances(
    model: type[M], select: _Select, found: Iterable[Sequence[Any]]
) -> list[M]:
    instances = []
    for row in found:
        values = []
        for value, converters in zip(row, select.converters, strict=True):
            converted = value
            for converter, col in converters:
                converted = converter(converted, col, connection)
            values.append(converted)
        instances.append(model.from_db(connection.alias, select.attnames, values))
    return instances


@dataclass(frozen=True, slots=True)
class Query(Generic[R]):
    """A SELECT, its parameters, and how its rows are read back."""

    sql: str
    params: list[Any]
    read: Callable[[list[tuple[Any, ...]]], list[R]]


def select(
    model: type[M],
    *,
    lock: bool = False,
    within: tuple[str, Sequence[Any]] | None = None,
    **where: int | str | None,
) -> Query[M]:
    """Return a query for the rows whose columns equal ``where``.

    ``where`` names columns (``petition_id``, not ``petition``) and at
    least one; ``within`` adds ``(name, values)``: the column is one of the
    values.  ``lock`` reads ``FOR UPDATE`` where the database can (inside a
    transaction).  The rows come back as full model instances, their values
    converted as the ORM converts them.
    """
    return _query(model, lock, within, where)


def _query(
    model: type[M],
    lock: bool,
    within: tuple[str, Sequence[Any]] | None,
    where: dict[str, int | str | None],
) -> Query[M]:
    if not where:
        raise ValueError("a query needs at least one column to equal")
    names = tuple(sorted(where))
    columns = tuple(str(field.column) for field in _fields(model, names))
    compiled = _select(model, columns, lock)
    sql, params = compiled.sql, [where[name] for name in names]
    if within is not None:
        (field,) = _fields(model, [within[0]])
        values = list(within[1])
        marks = ", ".join(["%s"] * len(values)) or "NULL"
        sql += f" AND {_quote(str(field.column))} IN ({marks})"
        params += values
    return Query(sql + compiled.suffix, params, partial(_instances, model, compiled))


def plain(sql: str, params: Sequence[Any]) -> Query[tuple[Any, ...]]:
    """Return a query of hand-written SQL whose rows are read as tuples."""
    return Query(sql, list(params), list)


def run(*queries: Query[Any]) -> list[list[Any]]:
    """Run the queries in order; return each one's rows.

    On PostgreSQL they go in one round trip (one string of statements, the
    values bound client-side as Django binds them, the results read one
    set after another): a lock taken by the first holds for the others,
    which see what was committed before it was granted.
    """
    options = connection.settings_dict.get("OPTIONS", {})
    together = connection.vendor == "postgresql" and not options.get(
        "server_side_binding"
    )
    results: list[list[Any]] = []
    with connection.cursor() as cursor:
        if not together:
            for query in queries:
                cursor.execute(query.sql, query.params)
                results.append(query.read(cursor.fetchall()))
            return results
        cursor.execute(
            "; ".join(query.sql for query in queries),
            [value for query in queries for value in query.params],
        )
        for position, query in enumerate(queries):
            if position:
                cursor.nextset()
            results.append(query.read(cursor.fetchall()))
    return results


def first(model: type[M], *, lock: bool = False, **where: int | str | None) -> M | None:
    """Return the first row whose columns equal ``where``, or ``None``.

    See :func:`select` for ``lock`` and ``where``.
    """
    (found,) = run(_query(model, lock, None, where))
    return found[0] if found else None
