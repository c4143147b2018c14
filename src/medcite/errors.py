"""One error hierarchy for medcite.

Everything raised on purpose derives from :class:`MedciteError`. Errors are
translated only at the edges: the CLI prints ``message`` (and exits with
``exit_code``); the HTTP layer maps ``http_status`` and ``code`` to its JSON
error shape.
"""

from __future__ import annotations


class MedciteError(Exception):
    """Base class of every deliberate medcite error."""

    code = "medcite_error"
    exit_code = 1
    http_status = 500

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict[str, str]:
        out = {"code": self.code, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        return out


class ConfigError(MedciteError):
    """A setting is missing or invalid."""

    code = "config_error"
    exit_code = 2
    http_status = 500


class StoreError(MedciteError):
    """The SQLite store cannot be opened, migrated or written."""

    code = "store_error"


class IngestError(MedciteError):
    """An ingest could not run at all (as opposed to one bad file)."""

    code = "ingest_error"


class MalformedInputError(IngestError):
    """One input file (or record) is malformed; it is reported and skipped."""

    code = "malformed_input"
    http_status = 400


class NotADocumentError(IngestError):
    """A well-formed file that holds no document worth keeping (a stub, an empty topic).

    Counted as skipped, not as a failure.
    """

    code = "not_a_document"
    http_status = 422


class UnsupportedFormatError(IngestError):
    """A file's format is not one medcite can read."""

    code = "unsupported_format"
    http_status = 415


class SourceUnavailableError(IngestError):
    """A named source could be neither found in the mirror nor downloaded."""

    code = "source_unavailable"
    http_status = 503


class UnknownSourceError(IngestError):
    """A named source is not in the registry."""

    code = "unknown_source"
    exit_code = 2
    http_status = 404


class QueryError(MedciteError):
    """A question or search query is unusable (empty, too long, ...)."""

    code = "bad_query"
    exit_code = 2
    http_status = 400


class NotFoundError(MedciteError):
    """The thing asked for does not exist (or the caller may not know that it does)."""

    code = "not_found"
    exit_code = 2
    http_status = 404


class AuthenticationError(MedciteError):
    """No valid credentials (token, session or password) were given."""

    code = "unauthenticated"
    exit_code = 2
    http_status = 401


class PermissionDeniedError(MedciteError):
    """The caller is known but their role does not allow this."""

    code = "forbidden"
    exit_code = 2
    http_status = 403


class ConflictError(MedciteError):
    """The action does not fit the current state (e.g. approving a draft)."""

    code = "conflict"
    exit_code = 2
    http_status = 409


class InvalidRequestError(MedciteError):
    """A request is well-formed but its values are unusable."""

    code = "invalid_request"
    exit_code = 2
    http_status = 422


class TooManyAttemptsError(MedciteError):
    """Too many failed sign-ins for an account or from an address; refused for a while."""

    code = "too_many_attempts"
    exit_code = 2
    http_status = 429

    def __init__(self, retry_after: int) -> None:
        unit = "second" if retry_after == 1 else "seconds"
        super().__init__(
            f"too many failed sign-ins; try again in {retry_after} {unit}",
            hint="Each further failure doubles the wait; a successful sign-in resets it.",
        )
        self.retry_after = retry_after
