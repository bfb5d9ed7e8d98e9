"""Querysets compiled to SQL once per process, then run with each request's ids.

On the hottest reads (the planning's cached grid: its check at every reading, the cells of a
miss) building a queryset and compiling it cost two to three times what the database took to
answer: 1.2–1.5 ms of Python for a query PostgreSQL ran in 0.5 ms. ``compiled_rows`` builds
and compiles such a queryset the first time it is asked for, keeps its SQL, and from then on
only binds the new values, runs it and converts the rows as Django would. The queryset stays
the one definition of the query: built through ``request.scope`` like any other, with the
tenant filters that the scope adds.

What may change from one call to the next are lists of values, written ``Param(name)`` in the
queryset through the ``__any_of`` lookup (one parameter whatever the list's length:
``= ANY(%s)`` on PostgreSQL, ``IN (SELECT value FROM json_each(%s))`` on SQLite). Every other
value the queryset is built from (the collectivity of the scope, a date range, a state) is
part of the SQL kept, so it must be part of the ``key``: with ``COMPILED_QUERIES_CHECK`` (the
test settings) every call compiles again and refuses a key whose SQL or constants differ from
what was kept under it.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models
from django.db.models import Lookup

__all__ = ["AnyOf", "Param", "compiled_rows"]

# Bounded: each key is one query shape and its constants (a collectivity, a period).
MAX_QUERIES = 512


class Param:
    """Where a list of values goes in a compiled queryset (``field__any_of=Param("ids")``)."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __eq__(self, other):
        return isinstance(other, Param) and other.name == self.name

    def __hash__(self):
        return hash((Param, self.name))

    def __repr__(self):
        return f"Param({self.name!r})"


def _bind(values: Iterable, connection):
    """A list of ids as the one parameter of ``__any_of``."""
    ids = [int(value) for value in values]
    if connection.vendor == "postgresql":
        return ids  # psycopg sends a list as an array
    return json.dumps(ids)


class AnyOf(Lookup):
    """``field__any_of=ids``: the field's value is one of ``ids`` (integers), given to the
    database as one parameter, so that the SQL does not depend on how many there are."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        return self.rhs

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        value = self.rhs if isinstance(self.rhs, Param) else _bind(self.rhs, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", (*lhs_params, value)
        if connection.vendor == "sqlite":
            # The column is Django's, the list a parameter.
            return f"{lhs} IN (SELECT value FROM json_each(%s))", (*lhs_params, value)  # noqa: S608
        raise ImproperlyConfigured(f"__any_of has no SQL for {connection.vendor}.")


# Every field, foreign keys (whose lookups are their own) included.
models.Field.register_lookup(AnyOf)
models.ForeignObject.register_lookup(AnyOf)


_compiled: dict[tuple, tuple] = {}
_lock = threading.Lock()


def _compile(build: Callable, names) -> tuple:
    queryset = build(**{name: Param(name) for name in names})
    compiler = queryset.query.get_compiler(queryset.db)
    sql, params = compiler.as_sql()
    return queryset.db, sql, tuple(params), compiler


def compiled_rows(key: tuple, build: Callable[..., models.QuerySet], **values) -> list[tuple]:
    """The rows of ``build(**params)`` (a ``values_list`` queryset, or a union of them) for
    ``values``: each keyword is a list of integers, given to ``build`` as ``Param(keyword)``.
    ``key`` names the query and holds every other value ``build`` reads (see the module)."""
    found = _compiled.get(key)
    if found is None or getattr(settings, "COMPILED_QUERIES_CHECK", False):
        fresh = _compile(build, values)
        if found is not None and found[:3] != fresh[:3]:
            raise ImproperlyConfigured(
                f"compiled_rows: the key {key!r} does not hold every value its query is built from."
            )
        if found is None:
            with _lock:
                if len(_compiled) >= MAX_QUERIES:
                    _compiled.clear()
                found = _compiled.setdefault(key, fresh)
    alias, sql, params, compiler = found
    connection = connections[alias]
    bound = [
        _bind(values[param.name], connection) if isinstance(param, Param) else param
        for param in params
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, bound)
        rows = cursor.fetchall()
    # The kept compiler converts the rows (dates on SQLite, …) with this thread's connection.
    compiler = copy.copy(compiler)
    compiler.connection = connection
    return list(compiler.results_iter(results=[rows], tuple_expected=True))
