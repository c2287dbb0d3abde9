"""FHIR search: parameters to queries over a type's sources, one page of them, and the
searchset Bundle with its total and self, next and previous links.

Unknown parameters are refused (400 with an OperationOutcome naming them), never silently
ignored: a client that misspells ``patient`` must not receive every patient's data (unless
it asks for that with ``Prefer: handling=lenient``, as FHIR provides). Paging
is ``_count`` (default 50, at most 1000) and ``_offset``, which only the links need to
carry. Rows are in id order within a source, sources in their order (complaints before
conditions), so pages never overlap while the data stands still."""

from urllib.parse import urlencode

from django.db.models import Q

from . import params
from .params import BadParameter
from .questionnaires import response_q

# Parameters every search takes besides the type's own.
PAGING = ("_count", "_offset", "_format")
FORMATS = ("json", "application/json", "application/fhir+json")


def _id_q(source, raw):
    pks = [pk for pk in (source.pk_of(value) for value in raw.split(",")) if pk is not None]
    return Q(pk__in=pks) if pks else None


def _patient_q(source, raw):
    value = params.reference_id("patient", raw, "Patient")
    return Q(**{source.patient_field: int(value)}) if value.isdigit() and len(value) <= 18 else None


def _code_q(source, raw):
    found = [q for q in (source.code(system, code) for system, code in params.tokens("code", raw)) if q is not None]
    if not found:
        return None
    combined = found[0]
    for q in found[1:]:
        combined |= q
    return combined


def _identifier_q(source, raw):
    values = [code for _system, code in params.tokens("identifier", raw)]
    return Q(record_number__in=values)


def _name_q(source, raw):
    """Every word a part of the family or given name, accents and case aside (as the patient list searches)."""
    return Q(pk__in=source.model.objects.search(" ".join(raw.split())).values("pk"))


def _last_updated_q(source, raw):
    return params.instant_q("last_updated", params.date_range("_lastUpdated", raw))


HANDLERS = {"_id": _id_q, "patient": _patient_q, "code": _code_q, "identifier": _identifier_q, "name": _name_q,
            "_lastUpdated": _last_updated_q, "questionnaire": response_q}


def _condition(source, name, raw):
    """The Q of one parameter's value for ``source``, or None when no row of it can match."""
    if name in HANDLERS:
        return HANDLERS[name](source, raw)
    if name not in source.dates:  # a date parameter of the type that this table does not hold
        return None
    return source.date_q(name, params.date_range(name, raw))


def read_query(resource_type, query, lenient=False):
    """(conditions {name: [values]}, count, offset) of a request's query, or BadParameter.
    ``lenient`` (the client sent ``Prefer: handling=lenient``): unknown parameters are left
    out, and the self link shows what was used."""
    unknown = sorted(set(query) - set(resource_type.search) - set(PAGING))
    if unknown and not lenient:
        raise BadParameter(f"{', '.join(unknown)}: not a search parameter of {resource_type.name} here "
                           f"(supported: {', '.join(sorted(resource_type.search))}, _count; see /fhir/r4/metadata)")
    for value in query.getlist("_format"):
        if value not in FORMATS:
            raise BadParameter(f"_format: only JSON is served (json, application/fhir+json), got {value!r}")
    conditions = {name: [v for v in query.getlist(name)] for name in resource_type.search if name in query}
    for name, values in conditions.items():
        if any(not value for value in values):
            raise BadParameter(f"{name}: empty value")
    count = params.number("_count", query.get("_count"), 0, params.MAX_COUNT, params.DEFAULT_COUNT)
    offset = params.number("_offset", query.get("_offset"), 0, 10**9, 0)
    return conditions, count, offset


def querysets(resource_type, user, conditions):
    """Per source, its matching rows (None for a source no row of which can match)."""
    found = []
    for source in resource_type.sources:
        if hasattr(source, "search"):  # not a table: it filters itself
            found.append((source, source.search(user, conditions)))
            continue
        rows = source.partial_dates(source.rows(user))
        for name, values in conditions.items():
            for raw in values:  # repeated parameters: all must hold
                q = _condition(source, name, raw)
                if q is None:
                    rows = None
                    break
                rows = rows.filter(q)
            if rows is None:
                break
        found.append((source, None if rows is None else rows.order_by("pk")))
    return found


def page(found, count, offset):
    """(total, [(source, row)]) of one page over the sources in order."""
    total, rows = 0, []
    for source, queryset in found:
        if queryset is None:
            continue
        size = queryset.count()
        start = max(offset - total, 0)
        wanted = count - len(rows)
        if wanted > 0 and start < size:
            rows += [(source, row) for row in queryset[start:start + wanted]]
        total += size
    return total, rows


def links(base, conditions, count, offset, total):
    """self, next and previous: the parameters that were used, in a fixed order."""
    used = [(name, value) for name in sorted(conditions) for value in conditions[name]]

    def url(at):
        return f"{base}?{urlencode(used + [('_count', count), ('_offset', at)])}"

    found = [{"relation": "self", "url": url(offset)}]
    if count and offset + count < total:
        found.append({"relation": "next", "url": url(offset + count)})
    if count and offset > 0:
        found.append({"relation": "previous", "url": url(max(offset - count, 0))})
    return found
