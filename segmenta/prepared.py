"""Queries whose SQL Django builds once per process, then runs with new values.

Why: on the hottest reads (every API token check, the case export's dozen lists) building
the SQL cost more than running it. Django compiles a queryset into SQL anew on every
evaluation, about 0.2 ms for a filtered, ordered list, while SQLite answers such a query
in a few hundredths of that (benchmarks/http.py). A ``Prepared`` query is written as an
ordinary queryset, built once with stand-in values, and from then on only executed; its rows
become model instances exactly as the ORM makes them (the same compiler turns columns into
values and builds the instances with their select_related objects and annotations).

Ints, text and aware datetimes can be parameters: each is matched to its place in the SQL
through a stand-in that cannot occur otherwise (a datetime as the database is given it: text
on SQLite). segmenta/tests/test_prepared.py checks every prepared query of the code against
the same queryset run by the ORM.
"""

import threading
from datetime import UTC, datetime

from django.db import connections, router, transaction
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators
from django.db.models.sql import InsertQuery

_STAND_INS = {
    # Within a 32-bit integer (PostgreSQL's ids of Django's own users are one, and the ORM
    # refuses a value out of a column's range), and no id or constant of the code.
    int: lambda i: -2_000_000_000 - i,
    str: lambda i: f"\x1fstand-in {i}\x1f",
    datetime: lambda i: datetime(1001 + i, 1, 1, 0, 0, 1, tzinfo=UTC),  # long before any record
}

ALL = []  # every Prepared query, for the test that compares each with the ORM


class Prepared:
    """``Prepared(build, int, str)``: ``build(*values)`` returns the queryset for those
    values (of the given types); calling the Prepared object with values returns a list of
    model instances, or of tuples where the queryset is a ``values_list()`` (sums, counts)."""

    def __init__(self, build, *types):
        self.build = build
        self.types = types
        self._compiled = threading.local()  # per thread: a compiler is not shared
        ALL.append(self)

    def _compile(self, using):
        stand_ins = [_STAND_INS[kind](i) for i, kind in enumerate(self.types)]
        queryset = self.build(*stand_ins).using(using)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        # Each value as the SQL carries it: a datetime as the backend adapts it, an int perhaps
        # wrapped (PostgreSQL's backend marks a bigint: Int8(…)).
        ops = connections[using].ops
        adapt = {datetime: ops.adapt_datetimefield_value}
        carried = [adapt.get(kind, lambda value: value)(value) for kind, value in zip(self.types, stand_ins)]
        places = [next((i for i, value in enumerate(carried) if isinstance(param, type(value)) and param == value),
                       None) for param in params]
        if sorted(i for i in places if i is not None) != list(range(len(stand_ins))):
            raise ValueError(f"each value must appear once in the SQL of {self.build.__qualname__}")
        compiled = {
            "sql": sql, "params": params, "places": places,
            "kinds": [None if place is None else adapt.get(self.types[place], type(param))
                      for place, param in zip(places, params)],
            "compiler": compiler, "width": compiler.col_count,
            "converters": compiler.get_converters([column[0] for column in compiler.select[:compiler.col_count]]),
            "model": None,
            # What its rows hold, column by column: queries that select alike share it.
            "layout": sql[:sql.index(" FROM ")],
        }
        if queryset._iterable_class is ModelIterable:
            klass_info = compiler.klass_info
            fields = klass_info["select_fields"]
            start, end = fields[0], fields[-1] + 1
            compiled.update(start=start, end=end, model=klass_info["model"],
                            init=[f[0].target.attname for f in compiler.select[start:end]],
                            related=get_related_populators(klass_info, compiler.select, using),
                            annotations=list(compiler.annotation_col_map.items()))
        elif queryset._iterable_class is not ValuesListIterable:  # (whose SQL selects in its order)
            raise ValueError(f"{self.build.__qualname__}: a queryset of instances or a values_list() without flat")
        setattr(self._compiled, using, compiled)
        return compiled

    def _compiled_for(self, using):
        return getattr(self._compiled, using, None) or self._compile(using)

    def _params(self, values, using):
        for kind, value in zip(self.types, values):
            # The ORM would read a naive time in the default time zone, the SQL as UTC: refuse it.
            if kind is datetime and (not isinstance(value, datetime) or value.utcoffset() is None):
                raise ValueError(f"{self.build.__qualname__}: a time with its time zone, not {value!r}")
        compiled = self._compiled_for(using)
        return compiled, [kind(values[place]) if place is not None else constant
                          for place, kind, constant in zip(compiled["places"], compiled["kinds"], compiled["params"])]

    def count(self, *values, using="default"):
        """How many rows calling with ``values`` would return."""
        compiled, params = self._params(values, using)
        with connections[using].cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({compiled['sql']}) counted", params)
            return cursor.fetchone()[0]

    def __call__(self, *values, using="default", limit=None, offset=0):
        """The rows for ``values`` as model instances (tuples for a values_list()); ``limit``
        and ``offset`` page them."""
        return self.made(self.rows(*values, using=using, limit=limit, offset=offset), using=using)

    def rows(self, *values, using="default", limit=None, offset=0):
        """The rows for ``values`` as the database returns them, before any conversion: what
        ``made()`` turns into what calling gives. Two rows alike are made alike."""
        compiled, params = self._params(values, using)
        sql = compiled["sql"]
        if limit is not None:
            sql, params = f"{sql} LIMIT %s OFFSET %s", [*params, int(limit), int(offset)]
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def column(self, name, using="default"):
        """Where the model's field ``name`` (its attname) is in each of ``rows()``."""
        compiled = self._compiled_for(using)
        return compiled["start"] + compiled["init"].index(name)

    def layout(self, using="default"):
        """What each of ``rows()`` holds, column by column (the SQL's select list): two
        queries whose rows mean the same have the same layout."""
        compiled = self._compiled_for(using)
        return compiled["layout"]

    def made(self, rows, using="default"):
        """``rows()`` as model instances (tuples for a values_list())."""
        compiled = self._compiled_for(using)
        if compiled["converters"]:
            rows = compiled["compiler"].apply_converters(rows, compiled["converters"])
        model = compiled["model"]
        if model is None:
            width = compiled["width"]
            return [tuple(row[:width]) for row in rows]
        found = []
        start, end, init, annotations = compiled["start"], compiled["end"], compiled["init"], compiled["annotations"]
        for row in rows:
            obj = model.from_db(using, init, row[start:end])
            for populator in compiled["related"]:
                populator.populate(row, obj)
            for name, column in annotations:  # as the ORM sets an annotate()'s values
                setattr(obj, name, row[column])
            found.append(obj)
        return found


def of_patient(model, *order, related=()):
    """A Prepared query of one patient's rows of ``model``, called with (clinic id, patient
    id): its clinic named, ``related`` selected along, in ``order`` or the model's own."""
    def build(clinic_id, patient_id):
        rows = model.objects.filter(clinic_id=clinic_id, patient_id=patient_id).select_related(*related)
        return rows.order_by(*order) if order else rows
    build.__qualname__ = f"of_patient({model.__name__})"
    return Prepared(build, int, int)


def as_prefetched(rows, model, **owners):
    """``rows`` as a queryset already read, as prefetch_related leaves one in
    ``_prefetched_objects_cache``: ``.all()`` and templates read it without a query.
    ``owners`` (``patient=patient``) are set on every row as the related object that
    prefetching would have set, so reading ``row.patient`` costs no query either."""
    rows = list(rows)
    for name, owner in owners.items():
        field = model._meta.get_field(name)
        for row in rows:
            field.set_cached_value(row, owner)
    found = model.objects.none()
    found._result_cache, found._prefetch_done = rows, True
    return found


class PreparedInsert:
    """``PreparedInsert(Model)(obj, …)`` inserts the new objects as ``obj.save()`` would, in one
    statement: the same SQL (built once per database and number of rows by Django's insert
    compiler), each value prepared by its field, the returned ids set on the objects. No
    signals are sent: only for models that have no receivers (the audit trail's events,
    written on every read, where save() spent more time building the statement than the
    database took to run it). Several rows need a database that returns the rows of a bulk
    insert (SQLite 3.35 and later, PostgreSQL)."""

    def __init__(self, model):
        self.model = model
        self._compiled = threading.local()

    def _compile(self, using, objs):
        meta = self.model._meta
        connection = connections[using]
        fields = [f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field]
        query = InsertQuery(self.model)
        query.insert_values(fields, objs)
        compiler = query.get_compiler(using=using)
        compiler.returning_fields = meta.db_returning_fields
        [(sql, params)] = compiler.as_sql()
        returning = list(getattr(compiler, "returning_params", ()) or ())
        params = list(params[:len(params) - len(returning)] if returning else params)
        # The values of every row, row after row; or, where PostgreSQL inserts several rows from
        # arrays (INSERT … SELECT * FROM UNNEST), one list per field of its values in every row.
        by_field = len(objs) > 1 and len(params) == len(fields) and all(isinstance(p, list) for p in params)
        compiled = {"sql": sql, "fields": fields, "compiler": compiler, "returning": returning, "by_field": by_field,
                    "fetch": bool(compiler.returning_fields and connection.features.can_return_columns_from_insert)}
        # Each value is its field's, in the fields' order: checked on the first rows (by type:
        # an adapted value such as PostgreSQL's Jsonb has no equality).
        flat = [value for column in params for value in column] if by_field else params
        mine = self._values(compiled, objs)
        mine = [value for column in mine for value in column] if by_field else mine
        if [type(p) for p in flat] != [type(v) for v in mine]:
            raise ValueError(f"{self.model.__name__}: the insert's values are not one per field")
        setattr(self._compiled, f"{using} {len(objs)}", compiled)
        return compiled

    @staticmethod
    def _values(compiled, objs):
        compiler, fields = compiled["compiler"], compiled["fields"]
        values = [compiler.prepare_value(f, compiler.pre_save_val(f, obj)) for obj in objs for f in fields]
        if compiled["by_field"]:
            return [values[i::len(fields)] for i in range(len(fields))]
        return values

    def __call__(self, *objs, using=None):
        if not objs or any(obj.pk is not None for obj in objs):
            raise ValueError(f"{self.model.__name__}: only new rows are inserted")
        using = using or router.db_for_write(self.model, instance=objs[0])
        connection = connections[using]
        if len(objs) > 1 and not connection.features.can_return_rows_from_bulk_insert:
            return [self(obj, using=using) for obj in objs]
        compiled = getattr(self._compiled, f"{using} {len(objs)}", None) or self._compile(using, objs)
        # As save(): a failed insert inside a transaction marks it for rollback, so the
        # change it records cannot commit without it.
        with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
            cursor.execute(compiled["sql"], [*self._values(compiled, objs), *compiled["returning"]])
            if len(objs) > 1:
                ids = [row[0] for row in connection.ops.fetch_returned_insert_rows(cursor)]
            elif compiled["fetch"]:
                ids = [connection.ops.fetch_returned_insert_columns(cursor, compiled["returning"])[0]]
            else:
                ids = [connection.ops.last_insert_id(cursor, self.model._meta.db_table, self.model._meta.pk.column)]
        for obj, pk in zip(objs, ids, strict=True):
            obj.pk = pk
            obj._state.adding, obj._state.db = False, using
        return objs[0] if len(objs) == 1 else list(objs)
