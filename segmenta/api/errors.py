"""Field-named errors shared by every API router."""

from .schemas import ErrorOut


class FieldErrors(Exception):
    """A 422 answer naming each bad field: raised by routers, rendered by the API."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors

    @classmethod
    def from_django(cls, error):
        errors = []
        for field, messages in error.message_dict.items():
            name = "body" if field == "__all__" else field
            errors.extend({"field": name, "message": str(message)} for message in messages)
        return cls(errors)


def refusals(*statuses):
    """Responses an operation documents besides its success, each with the error body
    (401, 404 and 422 are added for every operation that can answer them: api.py)."""
    return {status: ErrorOut for status in statuses}
