"""The app's own error types. Every message is written for the operator: it names the
cause and, where there is one, the next action. Nothing here carries a secret."""

from __future__ import annotations


class WizardError(Exception):
    """Base of every error the app raises on purpose. ``str(err)`` is user-facing."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if not self.hint:
            return self.message
        stop = "" if self.message.rstrip().endswith((".", "!", "?", ":")) else "."
        return f"{self.message.rstrip()}{stop} {self.hint}"


class InputError(WizardError):
    """Bad input from the operator; ``field`` names where it was entered."""

    def __init__(self, message: str, *, field: str | None = None, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.field = field


class FormError(InputError):
    """Several fields of one form are bad; ``errors`` maps each field to its message, so
    every message can be shown next to its field. ``noun`` names the form's fields."""

    def __init__(self, errors: dict[str, str], noun: str = "field") -> None:
        self.errors = dict(errors)
        count = len(self.errors)
        super().__init__(f"{count} {noun}{'s' if count != 1 else ''} need attention.",
                         field=next(iter(self.errors), None))


class ReportFormatError(InputError):
    """A credential report that cannot be read. ``line``/``column`` locate the fault
    (1-based line of the file; column is the CSV column name) when known."""

    def __init__(self, message: str, *, line: int | None = None, column: str | None = None) -> None:
        where = []
        if line is not None:
            where.append(f"line {line}")
        if column:
            where.append(f"column {column}")
        full = f"{message} ({', '.join(where)})" if where else message
        super().__init__(full, field="report")
        self.line = line
        self.column = column


class SessionError(WizardError):
    """The session file cannot be used (corrupt, from the future, another account, locked)."""


class AwsError(WizardError):
    """A failure talking to AWS, translated. ``code`` is AWS's error code (or our own
    for transport faults), ``action`` the IAM action that was attempted ("iam:GetUser")."""

    retryable = True
    aws_message = ""  # AWS's own message, when AWS answered (plain text from AWS: untrusted)

    def __init__(self, message: str, *, code: str = "", action: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.code = code
        self.action = action


class NoCredentialsError(AwsError):
    pass


class ExpiredCredentialsError(AwsError):
    pass


class AccessDeniedError(AwsError):
    pass


class ThrottledError(AwsError):
    pass


class EndpointError(AwsError):
    """Endpoint unreachable or timed out, or the connection broke mid-answer."""


class ReadOnlyError(AwsError):
    """A call that would change the account, refused because this wizard is read-only."""

    retryable = False


class CancelledError(AwsError):
    """The operator cancelled a call that was waiting for AWS."""

    retryable = True


class NotFoundError(AwsError):
    """NoSuchEntity / ResourceNotFound."""


class AlreadyExistsError(AwsError):
    """EntityAlreadyExists."""


class LimitExceededError(AwsError):
    pass


class ReportNotReadyError(AwsError):
    """Credential report in progress / not present / generation timed out."""


class InvalidCodeError(AwsError):
    """EnableMFADevice rejected the codes (InvalidAuthenticationCode)."""


class UnsupportedError(AwsError):
    """The endpoint does not implement the API (e.g. a local emulator)."""


class UnexpectedError(WizardError):
    """A failure the app has no type for (a bug, or an exception a library raised that
    wizard.aws does not translate). The screen says so; ``cause`` goes to the log only."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"Unexpected error: {type(cause).__name__}.",
                         hint="Retry; details are in --log-file.")
        self.cause = cause
