"""/api/v1/audit: the audit trail for clinic admins."""

from datetime import date
from typing import Literal, Optional

from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from segmenta.accounts.access import admin_clinics
from segmenta.audit.models import Action
from segmenta.audit.forms import MAX_ID
from segmenta.audit.query import search

from .errors import refusals
from .pagination import BoundedPagination
from .schemas import Out

router = Router(tags=["audit"])


class AuditEventOut(Out):
    id: int
    at: str = Field(..., description="ISO 8601 with microseconds, exactly as hashed",
                    json_schema_extra={"format": "date-time"})
    username: str = Field(..., description="The acting user, as named when the event happened.")
    clinic: Optional[int] = Field(None, alias="clinic_id")
    patient: Optional[int] = Field(None, alias="patient_id")
    action: Literal[tuple(Action.values)]
    object_type: str
    object_id: str
    source_ip: Optional[str]
    detail: dict
    hash: str
    prev_hash: str

    @staticmethod
    def resolve_at(event):
        return event.at.isoformat()


class AuditFilters(Schema):
    patient: Optional[int] = Field(None, ge=1, le=MAX_ID)
    user: Optional[str] = Field(None, max_length=150, description="Username of the acting user")
    action: Optional[Literal[tuple(Action.values)]] = None
    date_from: Optional[date] = Field(None, ge=date(2000, 1, 1), le=date(9998, 12, 31))
    date_to: Optional[date] = Field(None, ge=date(2000, 1, 1), le=date(9998, 12, 31))


@router.get("", response={200: list[AuditEventOut], **refusals(403)}, summary="Search the audit trail (clinic admins)")
@paginate(BoundedPagination)
def audit_events(request, filters: Query[AuditFilters]):
    if not admin_clinics(request.user).exists():
        raise HttpError(403, "only clinic admins may read the audit trail")
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise HttpError(422, "date_to: lies before date_from")
    return search(request.user, patient=filters.patient, username=filters.user, action=filters.action,
                  date_from=filters.date_from, date_to=filters.date_to)
