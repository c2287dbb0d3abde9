"""Dates and date-times the API accepts: the clinical range of segmenta.validators, as
pydantic types, so a bad value is a 422 naming its field before anything is stored."""

from datetime import date, datetime
from typing import Annotated

from django.utils.translation import gettext as _
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from segmenta.validators import when_problem

# The last year a filter may name: 9999 shifted by a UTC offset (or read in the clinic's
# time zone) lies past the largest date Python and the databases hold, a server error.
LAST_FILTER_YEAR = 9998


def _bounded(ahead):
    def check(value):
        problem = when_problem(value, ahead)
        if problem:
            raise PydanticCustomError("date_range", str(problem))
        return value
    return AfterValidator(check)


def _before_the_last_year(value):
    if value.year > LAST_FILTER_YEAR:
        raise PydanticCustomError("date_range", str(_("Enter a date before the year 9999.")))
    return value


# A session or planned date-time: from 1900 to a year ahead, the offset within ±14:00.
ClinicalDateTime = Annotated[datetime, _bounded("year")]
# A moment a search filters by: from 1900 to the end of 9998, the offset within ±14:00 (the
# databases refuse larger offsets, and a moment in 9999 may turn into year 10000 in UTC:
# either would otherwise answer a server error).
FilterDateTime = Annotated[datetime, _bounded(None), AfterValidator(_before_the_last_year)]
# A product's expiry: up to ten years ahead.
ExpiryDate = Annotated[date, _bounded("expiry")]
# A day that has happened: a birth date.
PastDate = Annotated[date, _bounded("today")]
