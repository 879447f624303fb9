"""Errors the product raises. The CLI and the web app are the only places that turn them into messages."""


class AssistantError(Exception):
    """Base class: the message says what went wrong, where, and what to do next."""

    exit_code = 2


class InputFileError(AssistantError):
    """A feedback file cannot be read or does not fit: names the file, and the row and field when known."""

    def __init__(self, path: str, message: str, row: int | None = None, field: str | None = None):
        self.path, self.row, self.field, self.detail = path, row, field, message
        where = path
        if row is not None:
            where += f": row {row}"
        if field is not None:
            where += f": field '{field}'"
        super().__init__(f"{where}: {message}")


class ConfigError(AssistantError):
    """A setting or option has a value the product cannot use."""


class StoreError(AssistantError):
    """The vector store cannot be opened or does not match the requested embedder."""


class MissingDependencyError(AssistantError):
    """An optional package is not installed; the message names the install command."""


class LLMError(AssistantError):
    """A language model failed (unreachable, timed out, refused, or gave invalid output); names the backend."""

    def __init__(self, message: str, *, backend: str | None = None, raw_output: str | None = None):
        self.backend, self.raw_output = backend, raw_output
        super().__init__(message)
