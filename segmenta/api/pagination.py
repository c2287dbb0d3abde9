from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination


class BoundedPagination(LimitOffsetPagination):
    """limit/offset with bounds, so a huge number is a 422, not a database overflow."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=1000)
        offset: int = Field(0, ge=0, le=10**9)
