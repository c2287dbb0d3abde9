"""Dates and date-times the API accepts: the clinical range of segmenta.validators, as
pydantic types, so a bad value is a 422 naming its field before anything is stored."""

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from segmenta.validators import when_problem


def _bounded(ahead):
    def check(value):
        problem = when_problem(value, ahead)
        if problem:
            raise PydanticCustomError("date_range", str(problem))
        return value
    return AfterValidator(check)


# A session or planned date-time: from 1900 to a year ahead, the offset within ±14:00.
ClinicalDateTime = Annotated[datetime, _bounded("year")]
# A moment a search filters by: from 1900 on, any time ahead, the offset within ±14:00 (the
# databases refuse larger offsets, which would otherwise answer a server error).
FilterDateTime = Annotated[datetime, _bounded(None)]
# A product's expiry: up to ten years ahead.
ExpiryDate = Annotated[date, _bounded("expiry")]
# A day that has happened: a birth date.
PastDate = Annotated[date, _bounded("today")]
