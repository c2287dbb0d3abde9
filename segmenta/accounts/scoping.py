"""Every row of patient data carries its clinic (``clinic_id``), and every query for it names
the clinic.

Why: a hosted Segmenta keeps many clinics in one database. Spread over several machines by
clinic (Citus: ``create_distributed_table(..., 'clinic_id')``), a query that names its clinic
goes to the one machine holding that clinic's rows; one that does not goes to all of them.
On a single machine the column costs little, and it makes the isolation visible in every row.

How:
- ``ClinicScoped`` adds the column and fills it on every save from the row's parent (the
  patient, session or plan named by ``clinic_parent``), never from input. Rows written with
  ``bulk_create`` must set it themselves; the column is NOT NULL, so a forgotten one fails.
  On PostgreSQL every reference from one row of patient data to another is a foreign key
  over (reference, clinic) as well (``clinic_match_sql``): no row can sit in another clinic
  than its parent, nor name an entry of another clinic (an injection another clinic's
  complaint). On SQLite the save and the forms' own checks are the guard.
- Its queries add the clinic by themselves where they name the parent: a filter such as
  ``patient=p`` or ``session__in=[...]`` — which is what ``patient.sessions.all()``,
  ``prefetch_related`` and ``Injection.objects.filter(session=s)`` produce — gets
  ``clinic_id = p.clinic_id`` (or ``IN`` the clinics of the instances) beside it. The
  added condition can never hide a row, because every row shares its parent's clinic.
  Queries by bare ids (``patient_id=3``) must name the clinic themselves:
  segmenta/tests/test_clinic_scoping.py walks every page and API read and finds any that
  do not.
"""

from django.db import models
from django.db.models import Q
from django.db.models.sql import Query


def clinic_of(value):
    """The clinic id of a model instance that belongs to one clinic, else None."""
    if not isinstance(value, models.Model):
        return None
    if value._meta.label == "accounts.Clinic":
        return value.pk
    # Only a loaded value: reading a deferred one would cost a query of its own.
    return value.__dict__.get("clinic_id")


def _clinics_named(q_object):
    """The clinics of the instances an AND-ed, not negated filter compares with, or None.

    Only plain conditions count (``patient=p``, ``session__in=[s1, s2]``); a condition that
    already names the clinic, an OR, a negation or a subquery leaves the query as it is.
    """
    if q_object.negated or q_object.connector != Q.AND:
        return None
    clinics = set()
    for child in q_object.children:
        if not isinstance(child, tuple):
            continue  # a nested Q or an expression: left alone
        key, value = child
        if key.split("__")[0] in ("clinic", "clinic_id"):
            return None
        if key.endswith("__in") and isinstance(value, (list, tuple, set, frozenset)):
            found = [clinic_of(v) for v in value]
            if value and None not in found:
                clinics.update(found)
        elif (found := clinic_of(value)) is not None:
            clinics.add(found)
    return clinics or None


class ClinicScopedQuery(Query):
    def add_q(self, q_object, *args, **kwargs):
        super().add_q(q_object, *args, **kwargs)
        clinics = _clinics_named(q_object)
        if clinics:
            condition = Q(clinic_id=next(iter(clinics))) if len(clinics) == 1 else Q(clinic_id__in=sorted(clinics))
            super().add_q(condition)


class ClinicScopedQuerySet(models.QuerySet):
    def __init__(self, model=None, query=None, using=None, hints=None):
        super().__init__(model, query or ClinicScopedQuery(model), using, hints)

    def visible_to(self, user):
        """The rows of the clinics ``user`` belongs to: the same gate as
        ``Patient.objects.visible_to``, through the rows' own clinic."""
        from segmenta.accounts.models import Membership

        if not user.is_authenticated:
            return self.none()
        return self.filter(clinic_id__in=Membership.objects.filter(user=user).values("clinic_id"))


class ClinicScoped(models.Model):
    """A table of patient data: each row belongs to one clinic, its parent's."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+", editable=False)
    clinic_parent = "patient"  # the foreign key whose row's clinic this row shares

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.clinic_id = getattr(self, self.clinic_parent).clinic_id
        super().save(*args, **kwargs)


def clinic_match_sql(table, column, referred_table):
    """PostgreSQL: the row's (reference, clinic) must be the referred row's (id, clinic), so a
    row refers only to rows of its own clinic (following a parent that moves clinic). An
    empty reference is not checked (MATCH SIMPLE)."""
    name = f"{table}_{column}_same_clinic"
    return (f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" FOREIGN KEY ("{column}", "clinic_id") '
            f'REFERENCES "{referred_table}" ("id", "clinic_id") ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED',
            f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{name}"')


# --- Migrations that give existing tables their clinic ---------------------------------

def add_clinic_operations(tables, historical=()):
    """Migration operations adding ``clinic`` to existing tables and filling it from their
    parents. ``tables``: (model name, table, parent column, parent table), parents before
    their children. ``historical``: the same for simple_history's version tables, whose
    clinic stays empty for a version whose parent no longer exists."""
    from django.db import migrations

    operations = []
    for model, table, parent_column, parent_table in [*tables, *historical]:
        is_history = model.startswith("historical")
        operations += [
            migrations.AddField(model, "clinic", models.ForeignKey(
                blank=is_history, null=True, editable=False, related_name="+", to="accounts.clinic",
                on_delete=models.DO_NOTHING if is_history else models.PROTECT,
                **({"db_constraint": False} if is_history else {}))),
            migrations.RunSQL(
                f'UPDATE "{table}" SET "clinic_id" = (SELECT p."clinic_id" FROM "{parent_table}" p '
                f'WHERE p."id" = "{table}"."{parent_column}")', migrations.RunSQL.noop),
        ]
    for model, *_ in tables:
        operations.append(migrations.AlterField(model, "clinic", models.ForeignKey(
            editable=False, on_delete=models.PROTECT, related_name="+", to="accounts.clinic")))
    return operations


def clinic_match_operation(references):
    """On PostgreSQL, the (reference, clinic) foreign key of each of ``references``: (model
    name, table, column, referred table), as ``tables`` above."""
    from django.db import migrations

    def forward(apps, schema_editor):
        _run(schema_editor, [clinic_match_sql(t, c, p)[0] for _m, t, c, p in references])

    def backward(apps, schema_editor):
        _run(schema_editor, [clinic_match_sql(t, c, p)[1] for _m, t, c, p in references])

    return migrations.RunPython(forward, backward)


def _run(schema_editor, statements):
    if schema_editor.connection.vendor == "postgresql":
        for sql in statements:
            schema_editor.execute(sql)
