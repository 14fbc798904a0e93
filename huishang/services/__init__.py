"""The domain layer. Services hold the rules and flush; the request (or CLI command) commits once."""
from ..i18n import describe, localize


class DomainError(Exception):
    """Bad input or an illegal action, reported to the caller as a 4xx naming the fields.

    `errors` maps a field name to a list of messages, as in the API's error shape.
    """

    status = 422

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        if status is not None:
            self.status = status

    def translated(self) -> str:
        """The message in the reader's language (messages marked with `huishang.i18n.N_`), e.g. to flash."""
        return localize(self.message)

    def summary(self) -> str:
        """The message and the field messages as one line in the reader's language, e.g. to flash."""
        return describe(self)


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Forbidden(DomainError):
    status = 403
