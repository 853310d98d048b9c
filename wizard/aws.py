"""The one module that talks to AWS.

It owns the boto3 session and clients (adaptive retries, timeouts), logs every call
with redacted parameters and its timing, and translates every botocore failure into
the app's own error types (wizard.errors). boto3/botocore are imported lazily so the
first screen never waits for them.
"""

from __future__ import annotations

import base64
import os
import re
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, TypeVar

from wizard import errors
from wizard.logs import logger
from wizard.redact import register_secret, safe_params

log = logger("rootwizard.aws")

CLOCK_SKEW_LIMIT_S = 30.0

# Error codes AWS (and moto) use, grouped by the app error they become.
_EXPIRED = {
    "ExpiredToken", "ExpiredTokenException", "RequestExpired", "InvalidClientTokenId",
    "UnrecognizedClientException", "SignatureDoesNotMatch", "InvalidAccessKeyId",
    "AuthFailure", "TokenRefreshRequired",
}
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess"}
_THROTTLED = {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"}
_NOT_FOUND = {"NoSuchEntity", "ResourceNotFoundException", "NotFoundException"}
_REPORT = {
    "ReportInProgress", "ReportNotPresent", "ReportExpired",
    "CredentialReportNotPresentException", "CredentialReportExpiredException",
    "CredentialReportNotReadyException",
}
_UNSUPPORTED = {"InvalidAction", "UnknownOperationException", "UnknownOperation", "NotImplemented"}
# expat's words for a document that ends too early.
_CUT_SHORT = ("no element found", "unclosed token", "unclosed CDATA section", "Premature end")


def _broken(action: str) -> errors.EndpointError:
    return errors.EndpointError(
        f"The connection to AWS broke before the whole answer to {action} arrived.",
        code="ConnectionBroken", action=action,
        hint="Check the network or proxy (a proxy or firewall may cut connections), then retry.")


def _check_complete(response_dict: dict[str, Any], **_: Any) -> None:
    """botocore "before-parse" hook: a body shorter than its Content-Length was cut off
    (botocore would otherwise parse what arrived and blame the endpoint)."""
    from botocore.exceptions import IncompleteReadError

    headers = response_dict.get("headers") or {}
    declared = headers.get("content-length") or headers.get("Content-Length")
    body = response_dict.get("body")
    if declared is None or not isinstance(body, (bytes, bytearray)):
        return
    try:
        expected = int(declared)
    except ValueError:
        return
    if len(body) < expected:
        raise IncompleteReadError(actual_bytes=len(body), expected_bytes=expected)


# Operations that only read. In read-only mode every other operation is refused before it
# is sent: GenerateCredentialReport only refreshes AWS's own report.
_READ_PREFIXES = ("Get", "List", "Describe")
_READ_OPERATIONS = frozenset({"GenerateCredentialReport"})
READ_ONLY_REASON = ("This wizard opened the session read-only (another wizard holds it): nothing in the "
                    "account is changed from here.")


def is_read(api_name: str) -> bool:
    """True for an API operation that changes nothing in the account."""
    return api_name.startswith(_READ_PREFIXES) or api_name in _READ_OPERATIONS


@dataclass(frozen=True)
class Identity:
    account_id: str
    arn: str
    user_id: str

    @property
    def is_root(self) -> bool:
        return self.arn.endswith(":root")


# Retries back off at most this long between attempts (botocore: a random wait of up to
# 2^attempt seconds): the second attempt waits at most 2 s, the third at most 4 s.
def _backoff_bound(attempts: int) -> float:
    return float(sum(2 ** n for n in range(1, attempts)))


@dataclass
class ConnectionSettings:
    """How the clients connect. The defaults keep one call, retries included, under a
    minute against an endpoint that accepts and never answers: 3 attempts of at most
    4 s to connect and 12 s to read, plus the back-off between them (worst_case_s)."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    max_attempts: int = 3
    connect_timeout: float = 4.0
    read_timeout: float = 12.0

    @property
    def worst_case_s(self) -> float:
        """The longest one call can wait before it fails, all attempts included."""
        return self.max_attempts * (self.connect_timeout + self.read_timeout) + _backoff_bound(self.max_attempts)


@dataclass(frozen=True)
class Progress:
    """Where a call that is under way stands: for the connecting screen and stderr."""

    action: str         # "sts:GetCallerIdentity"
    attempt: int        # 1-based attempt now in progress (0: not sent yet)
    max_attempts: int
    started: float      # time.monotonic() when the call started
    done: bool = False  # the call has ended (answered or failed)

    def elapsed(self, now: float | None = None) -> float:
        return (time.monotonic() if now is None else now) - self.started

    def text(self, now: float | None = None) -> str:
        """"Waiting for AWS (sts:GetCallerIdentity): attempt 2 of 3, 17 s"."""
        return (f"Waiting for AWS ({self.action}): attempt {max(self.attempt, 1)} of {self.max_attempts}, "
                f"{self.elapsed(now):.0f} s")


class CancelScope:
    """Cancels the AWS calls of the thread that runs inside it (aws.cancel_scope()): a
    call not yet sent is not sent; one waiting for an answer stops at its next attempt."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


def _service_action(service: str, operation: str) -> str:
    return f"{service}:{operation}"


def translate(exc: BaseException, service: str, operation: str) -> errors.WizardError:
    """Turn a botocore/boto3 exception into the app's own error with a next action."""
    from botocore import exceptions as bx

    action = _service_action(service, operation)
    if isinstance(exc, errors.WizardError):
        return exc
    if isinstance(exc, bx.ProfileNotFound):
        return errors.NoCredentialsError(
            f"AWS profile not found: {exc.kwargs.get('profile', '')}.",
            code="ProfileNotFound", action=action,
            hint="Check --profile / AWS_PROFILE against ~/.aws/config, then retry.")
    if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        return errors.NoCredentialsError(
            "No AWS credentials were found.", code="NoCredentials", action=action,
            hint="Set a profile (--profile or AWS_PROFILE), run `aws sso login`, or export "
                 "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, then retry. Try --demo for the sandbox.")
    sso_errors = tuple(
        getattr(bx, n) for n in ("SSOTokenLoadError", "UnauthorizedSSOTokenError", "TokenRetrievalError")
        if hasattr(bx, n))
    if sso_errors and isinstance(exc, sso_errors):
        return errors.ExpiredCredentialsError(
            "The SSO session is missing or expired.", code="SSOTokenExpired", action=action,
            hint="Run `aws sso login` for this profile, then retry.")
    if isinstance(exc, (bx.ConnectTimeoutError, bx.ReadTimeoutError)):
        return errors.EndpointError(
            f"AWS did not answer in time ({action}).", code="Timeout", action=action,
            hint="Check the network or proxy, then retry.")
    if isinstance(exc, (bx.ConnectionClosedError, bx.IncompleteReadError)) or (
            isinstance(exc, bx.HTTPClientError) and "IncompleteRead" in str(exc)):
        return _broken(action)
    if isinstance(exc, (bx.EndpointConnectionError, bx.HTTPClientError)):
        return errors.EndpointError(
            f"Cannot reach the AWS endpoint for {service}.", code="EndpointUnreachable", action=action,
            hint="Check the network, the region and AWS_ENDPOINT_URL, then retry.")
    if isinstance(exc, bx.ParamValidationError):
        # botocore's text can quote the value (a code, a password): name the parameter only.
        names = sorted(set(re.findall(r"parameter ([A-Za-z0-9_.\[\]]+)", str(exc))))
        return errors.InputError(f"A value for {action} is not valid: {', '.join(names) or 'see the form'}.")
    from botocore.parsers import ResponseParserError

    if isinstance(exc, ResponseParserError):
        # The XML ended before its root element closed: the answer was cut off on the way.
        if any(m in str(exc) for m in _CUT_SHORT):
            return _broken(action)
        return errors.UnsupportedError(
            f"The endpoint gave no valid answer to {action} (it may not implement it).",
            code="ResponseParserError", action=action)
    if isinstance(exc, bx.ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", "")) or "Unknown"
        msg = str(err.get("Message", "")).strip()
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _EXPIRED:
            return errors.ExpiredCredentialsError(
                f"AWS rejected the credentials ({code}).", code=code, action=action,
                hint="Refresh them (aws sso login, new session token or keys), then retry.")
        if code in _DENIED:
            return errors.AccessDeniedError(
                f"Access denied: the caller may not call {action}.", code=code, action=action,
                hint=f"Grant {action} to this identity (or use one that has it), then retry.")
        if code in _THROTTLED or status == 429:
            return errors.ThrottledError(
                f"AWS is throttling {action} even after retries.",
                code=code if code in _THROTTLED else "TooManyRequests", action=action,
                hint="Wait a minute, then retry.")
        if code in _NOT_FOUND:
            return errors.NotFoundError(msg or f"{action}: not found.", code=code, action=action)
        if code == "EntityAlreadyExists":
            return errors.AlreadyExistsError(
                msg or "That name is already taken.", code=code, action=action,
                hint="Choose another name.")
        if code == "LimitExceeded":
            return errors.LimitExceededError(
                f"AWS limit reached for {action}: {msg}", code=code, action=action,
                hint="Wait, or remove unused entities, then retry.")
        if code in _REPORT:
            return errors.ReportNotReadyError(
                f"The credential report is not ready ({code}).", code=code, action=action,
                hint="Generate it again and wait for it to complete.")
        if code == "InvalidAuthenticationCode":
            return errors.InvalidCodeError(
                "AWS rejected the two MFA codes.", code=code, action=action,
                hint="Wait for two fresh consecutive codes and submit them right away.")
        if code in _UNSUPPORTED or status == 404 or "not yet implemented" in msg.lower():
            return errors.UnsupportedError(
                f"This endpoint does not support {action}.", code=code, action=action)
        return errors.AwsError(f"AWS error {code} on {action}: {msg}", code=code, action=action,
                               hint="Retry; if it persists, check the AWS Health dashboard.")
    if isinstance(exc, bx.BotoCoreError):
        return errors.AwsError(f"AWS client error on {action}: {exc}", code=type(exc).__name__,
                               action=action, hint="Retry.")
    return errors.AwsError(f"Unexpected error on {action}: {type(exc).__name__}", code=type(exc).__name__,
                           action=action, hint="Retry; see --log-file for details.")


_LOADER: Any = None  # the process's botocore data loader (boto3_session)
_LOADER_LOCK = threading.Lock()


def boto3_session(**kwargs: Any) -> Any:
    """A boto3 session (``kwargs`` as boto3.session.Session's) whose botocore data loader
    is the process's one: the service models and endpoint rules it parses (JSON files of
    several MB, about 0.15 s for the four services the wizard uses) are parsed once per
    process, not once per session (the demo sandbox's own session beside the wizard's; in a
    test run, hundreds). The loader's cache is a dict: two threads may parse a file twice,
    never get half of one."""
    import boto3
    import botocore.loaders
    import botocore.session

    global _LOADER
    with _LOADER_LOCK:
        core = botocore.session.get_session()
        if _LOADER is None:
            _LOADER = botocore.loaders.create_loader(core.get_config_variable("data_path"))
        core.register_component("data_loader", _LOADER)
        session = boto3.session.Session(botocore_session=core, **kwargs)
        paths = _LOADER.search_paths  # boto3 adds its data folder for every session: once is enough
        paths[:] = list(dict.fromkeys(paths))
        return session


class AwsAccess:
    """boto3 session + clients, thread safe for the calls the wizard makes."""

    def __init__(self, settings: ConnectionSettings | None = None) -> None:
        self.settings = settings or ConnectionSettings()
        self._lock = threading.Lock()
        self._session: Any = None
        self._clients: dict[str, Any] = {}
        self.last_server_date: datetime | None = None
        self.calls: list[str] = []
        self._local = threading.local()        # the call this thread is making, its cancel scope
        self._in_flight: dict[int, Progress] = {}
        self._observers: list[Callable[[Progress], None]] = []
        self.read_only = False  # then every operation that is not a read is refused (is_read)

    # -- progress and cancellation ----------------------------------------------------------
    def observe(self, callback: Callable[[Progress], None]) -> Callable[[], None]:
        """Call ``callback(progress)`` (from the calling thread) when a call starts, at each
        attempt and when it ends. Returns a function that stops the observation."""
        with self._lock:
            self._observers.append(callback)

        def stop() -> None:
            with self._lock:
                if callback in self._observers:
                    self._observers.remove(callback)
        return stop

    def in_flight(self) -> list[Progress]:
        """The calls under way now (any thread), oldest first: poll it to show elapsed time."""
        with self._lock:
            return sorted(self._in_flight.values(), key=lambda p: p.started)

    def _report(self, progress: Progress) -> None:
        with self._lock:
            if progress.done:
                self._in_flight.pop(threading.get_ident(), None)
            else:
                self._in_flight[threading.get_ident()] = progress
            observers = list(self._observers)
        for callback in observers:
            try:
                callback(progress)
            except Exception:  # noqa: BLE001 - a display must never break a call
                log.debug("progress observer failed", exc_info=True)

    @contextmanager
    def cancel_scope(self, scope: CancelScope | None = None) -> Iterator[CancelScope]:
        """Calls made by this thread inside the block stop when the scope is cancelled
        (from any thread) with errors.CancelledError. ``scope`` may be made beforehand by
        the thread that will cancel it."""
        scope = scope or CancelScope()
        previous = getattr(self._local, "scope", None)
        self._local.scope = scope
        try:
            yield scope
        finally:
            self._local.scope = previous

    def _raise_if_cancelled(self, action: str) -> None:
        scope = getattr(self._local, "scope", None)
        if scope is not None and scope.cancelled:
            raise errors.CancelledError(f"Cancelled: {action} was not completed.", code="Cancelled",
                                        action=action, hint="Retry when ready.")

    def _before_retry(self, response: Any = None, caught_exception: Any = None, **_: Any) -> None:
        """botocore "needs-retry" hook (after every attempt): a cancelled call whose attempt
        got no answer stops here, without the back-off. An answer that arrived is never
        thrown away (it may be the result of a write)."""
        current: Progress | None = getattr(self._local, "progress", None)
        answered = caught_exception is None and response is not None and \
            response[0] is not None and response[0].status_code < 500 and response[0].status_code != 429
        if current is not None and not answered:
            self._raise_if_cancelled(current.action)
        return None  # a value here would be the retry delay

    def _before_send(self, **_: Any) -> None:
        """botocore "before-send" hook: one more attempt of this thread's call."""
        current: Progress | None = getattr(self._local, "progress", None)
        if current is None:
            return None
        self._raise_if_cancelled(current.action)
        current = Progress(current.action, current.attempt + 1, current.max_attempts, current.started)
        self._local.progress = current
        self._report(current)
        return None  # a value here would replace the HTTP response

    # -- plumbing ---------------------------------------------------------------------
    def _client(self, service: str) -> Any:
        with self._lock:
            if service in self._clients:
                return self._clients[service]
            from botocore.config import Config

            s = self.settings
            if self._session is None:
                kwargs: dict[str, Any] = {}
                if s.profile:
                    kwargs["profile_name"] = s.profile
                if s.access_key_id and s.secret_access_key:
                    kwargs["aws_access_key_id"] = s.access_key_id
                    kwargs["aws_secret_access_key"] = s.secret_access_key
                self._session = boto3_session(**kwargs)
            region = s.region or self._session.region_name or "us-east-1"
            config = Config(
                region_name=region,
                retries={"mode": "adaptive", "total_max_attempts": s.max_attempts},
                connect_timeout=s.connect_timeout,
                read_timeout=s.read_timeout,
                user_agent_extra="rootwizard",
            )
            client = self._session.client(service, config=config, endpoint_url=s.endpoint_url)
            client.meta.events.register("before-send", self._before_send)
            client.meta.events.register("needs-retry", self._before_retry)
            client.meta.events.register("before-parse", _check_complete)
            self._clients[service] = client
            return client

    def call(self, service: str, operation: str, **params: Any) -> dict[str, Any]:
        """Call ``service.operation`` (boto3 snake_case name) and translate failures.
        Observers see each attempt (observe); a cancelled scope stops it (cancel_scope)."""
        api_name = "".join(p.capitalize() for p in operation.split("_"))
        start = time.monotonic()
        progress = Progress(f"{service}:{api_name}", 0, self.settings.max_attempts, start)
        try:
            self._raise_if_cancelled(progress.action)
            client = self._client(service)
            # The API's own spelling (EnableMFADevice, not EnableMfaDevice) for logs and hints.
            api_name = client.meta.method_to_api_mapping.get(operation, api_name)
            progress = Progress(f"{service}:{api_name}", 0, self.settings.max_attempts, start)
            if self.read_only and not is_read(api_name):
                raise errors.ReadOnlyError(f"Not done: {progress.action} would change the account. "
                                           + READ_ONLY_REASON, code="ReadOnly", action=progress.action,
                                           hint="Close the other wizard, then start this one again to make "
                                                "changes.")
            self._local.progress = progress
            self._report(progress)
            self.calls.append(f"{service}:{api_name}")  # every call made, answered or not
            resp = getattr(client, operation)(**params)
        except Exception as exc:  # translated below: the one place AWS errors are caught
            err = translate(exc, service, api_name)
            response = getattr(exc, "response", None)
            if isinstance(err, errors.AwsError) and isinstance(response, dict):  # AWS's own words
                error_doc = response.get("Error")
                err.aws_message = str(error_doc.get("Message", "") if isinstance(error_doc, dict) else "").strip()
            attempts = getattr(getattr(self._local, "progress", None), "attempt", 0)
            if isinstance(err, errors.EndpointError) and err.code == "Timeout" and attempts:
                err.message = (f"AWS did not answer {progress.action} in time "
                               f"({attempts} attempt{'s' if attempts != 1 else ''}, {time.monotonic() - start:.0f} s).")
            log.info("%s:%s params=%s failed after %.0f ms: %s", service, api_name,
                     safe_params(params), (time.monotonic() - start) * 1000, err.code if
                     isinstance(err, errors.AwsError) else type(err).__name__)
            raise err from None
        finally:
            current = getattr(self._local, "progress", None) or progress
            self._local.progress = None
            self._report(Progress(current.action, current.attempt, current.max_attempts, start, done=True))
        elapsed = (time.monotonic() - start) * 1000
        meta = resp.get("ResponseMetadata", {}) if isinstance(resp, dict) else {}
        date = meta.get("HTTPHeaders", {}).get("date")
        if date:
            try:
                from email.utils import parsedate_to_datetime  # not before the first frame

                self.last_server_date = parsedate_to_datetime(date)
            except (TypeError, ValueError):
                pass
        log.info("%s:%s params=%s ok in %.0f ms (attempts %s)", service, api_name, safe_params(params),
                 elapsed, meta.get("RetryAttempts", 0) + 1)
        return resp

    def paginate_token(self, service: str, operation: str, key: str, **params: Any) -> Iterator[Any]:
        """Items of ``key`` over every page of a ``NextToken``-paginated API (Organizations,
        most services), one page in memory at a time."""
        token: str | None = None
        while True:
            page = self.call(service, operation, **params, **({"NextToken": token} if token else {}))
            yield from page.get(key, [])
            token = page.get("NextToken")
            if not token:
                return

    def paginate(self, service: str, operation: str, key: str, **params: Any) -> list[Any]:
        items: list[Any] = []
        marker: str | None = None
        while True:
            page = self.call(service, operation, **params, **({"Marker": marker} if marker else {}))
            items.extend(page.get(key, []))
            if not page.get("IsTruncated"):
                return items
            marker = page.get("Marker")

    # -- identity and clock -------------------------------------------------------------
    def identity(self) -> Identity:
        r = self.call("sts", "get_caller_identity")
        return Identity(account_id=r["Account"], arn=r["Arn"], user_id=r.get("UserId", ""))

    def clock_skew(self, now: datetime | None = None) -> float | None:
        """Seconds local clock minus AWS's ``Date`` header of the last response."""
        if self.last_server_date is None:
            return None
        now = now or datetime.now(timezone.utc)
        return (now - self.last_server_date).total_seconds()

    # -- account summary / credential report -----------------------------------------------
    def account_summary(self) -> dict[str, int]:
        return dict(self.call("iam", "get_account_summary")["SummaryMap"])

    def generate_credential_report(self) -> str:
        return self.call("iam", "generate_credential_report").get("State", "")

    def get_credential_report(self) -> tuple[bytes, datetime | None]:
        r = self.call("iam", "get_credential_report")
        content = r["Content"]
        if isinstance(content, str):
            content = base64.b64decode(content)
        gen = r.get("GeneratedTime")
        if isinstance(gen, datetime) and gen.tzinfo is None:
            gen = gen.replace(tzinfo=timezone.utc)
        return content, gen

    def fetch_credential_report(self, *, timeout_s: float = 120.0, on_progress=None,
                                sleep=time.sleep, clock=time.monotonic) -> tuple[bytes, datetime | None]:
        """Generate (if needed) and download the report, polling with backoff until it is
        COMPLETE or ``timeout_s`` passes. ``on_progress(state, elapsed_s)`` is called each poll."""
        start = clock()
        delay = 0.5
        polls = 0
        while True:
            try:
                state = self.generate_credential_report()
            except errors.LimitExceededError:
                state = "INPROGRESS (LimitExceeded: another generation is under way)"  # keep polling
            polls += 1
            elapsed = clock() - start
            if on_progress:
                on_progress(state, elapsed)
            if state == "COMPLETE":
                try:
                    return self.get_credential_report()
                except errors.ReportNotReadyError as err:  # keep polling; say why in the timeout
                    state = f"COMPLETE, but iam:GetCredentialReport answered {err.code}"
            if elapsed + delay > timeout_s:
                raise errors.ReportNotReadyError(
                    f"The credential report did not complete within {timeout_s:.0f} s "
                    f"({polls} checks, last state {state or 'unknown'}).",
                    code="ReportTimeout", action="iam:GenerateCredentialReport",
                    hint="AWS may be slow: retry in a minute, or download it from the IAM "
                         "console and use --report FILE.")
            sleep(delay)
            delay = min(delay * 2, 8.0)

    # -- password policy ----------------------------------------------------------------------
    def get_password_policy(self) -> dict[str, Any] | None:
        try:
            return dict(self.call("iam", "get_account_password_policy")["PasswordPolicy"])
        except errors.NotFoundError:
            return None

    def update_password_policy(self, params: dict[str, Any]) -> None:
        self.call("iam", "update_account_password_policy", **params)

    # -- users, groups, MFA ---------------------------------------------------------------------
    def list_users(self) -> list[dict[str, Any]]:
        return self.paginate("iam", "list_users", "Users")

    def get_user(self, user_name: str) -> dict[str, Any]:
        return self.call("iam", "get_user", UserName=user_name)["User"]

    def has_login_profile(self, user_name: str) -> bool:
        return self.login_profile(user_name) is not None

    def list_mfa_devices(self, user_name: str) -> list[dict[str, Any]]:
        return self.paginate("iam", "list_mfa_devices", "MFADevices", UserName=user_name)

    def login_profile(self, user_name: str) -> dict[str, Any] | None:
        """The user's console password profile (CreateDate, PasswordResetRequired), or None."""
        try:
            return dict(self.call("iam", "get_login_profile", UserName=user_name)["LoginProfile"])
        except errors.NotFoundError:
            return None

    def list_signing_certificates(self, user_name: str) -> list[dict[str, Any]]:
        """The user's X.509 signing certificates (id, status, upload date; the body is dropped)."""
        certs = self.paginate("iam", "list_signing_certificates", "Certificates", UserName=user_name)
        return [{k: v for k, v in c.items() if k != "CertificateBody"} for c in certs]

    def list_access_keys(self, user_name: str) -> list[dict[str, Any]]:
        """The user's access keys (id, status, create date); never a secret."""
        return self.paginate("iam", "list_access_keys", "AccessKeyMetadata", UserName=user_name)

    def access_key_last_used(self, access_key_id: str) -> dict[str, Any]:
        """GetAccessKeyLastUsed's ``AccessKeyLastUsed`` (LastUsedDate absent when never used)."""
        return dict(self.call("iam", "get_access_key_last_used",
                              AccessKeyId=access_key_id).get("AccessKeyLastUsed") or {})

    def list_virtual_mfa_devices(self, assignment: str = "Any") -> list[dict[str, Any]]:
        devices = self.paginate("iam", "list_virtual_mfa_devices", "VirtualMFADevices",
                                AssignmentStatus=assignment)
        # Real AWS never returns seeds here; moto does. Drop them at the boundary.
        return [{k: v for k, v in d.items() if k not in ("Base32StringSeed", "QRCodePNG")}
                for d in devices]

    def account_alias(self) -> str | None:
        """The account alias (AWS labels MFA QR codes with it), or None when there is none
        or this caller may not list it (it only changes a label)."""
        try:
            aliases = self.call("iam", "list_account_aliases").get("AccountAliases", [])
        except (errors.AccessDeniedError, errors.UnsupportedError):
            return None
        return aliases[0] if aliases else None

    def create_virtual_mfa_device(self, device_name: str, path: str = "/") -> tuple[str, str]:
        """Return (serial ARN, base32 seed). The seed is registered for log redaction."""
        r = self.call("iam", "create_virtual_mfa_device", VirtualMFADeviceName=device_name, Path=path)
        dev = r["VirtualMFADevice"]
        seed = dev["Base32StringSeed"]
        seed = seed.decode("ascii") if isinstance(seed, (bytes, bytearray)) else str(seed)
        register_secret(seed)
        return dev["SerialNumber"], seed

    def enable_mfa_device(self, user_name: str, serial: str, code1: str, code2: str) -> None:
        register_secret(code1)
        register_secret(code2)
        self.call("iam", "enable_mfa_device", UserName=user_name, SerialNumber=serial,
                  AuthenticationCode1=code1, AuthenticationCode2=code2)

    def delete_virtual_mfa_device(self, serial: str) -> None:
        self.call("iam", "delete_virtual_mfa_device", SerialNumber=serial)

    def create_user(self, user_name: str) -> dict[str, Any]:
        return self.call("iam", "create_user", UserName=user_name)["User"]

    def create_group(self, group_name: str) -> None:
        self.call("iam", "create_group", GroupName=group_name)

    def get_group(self, group_name: str) -> dict[str, Any] | None:
        try:
            return self.call("iam", "get_group", GroupName=group_name)
        except errors.NotFoundError:
            return None

    def attach_group_policy(self, group_name: str, policy_arn: str) -> None:
        self.call("iam", "attach_group_policy", GroupName=group_name, PolicyArn=policy_arn)

    def list_attached_group_policies(self, group_name: str) -> list[dict[str, Any]]:
        return self.paginate("iam", "list_attached_group_policies", "AttachedPolicies", GroupName=group_name)

    def add_user_to_group(self, group_name: str, user_name: str) -> None:
        self.call("iam", "add_user_to_group", GroupName=group_name, UserName=user_name)

    # -- account management ---------------------------------------------------------------------
    def get_alternate_contact(self, contact_type: str) -> dict[str, Any] | None:
        try:
            return dict(self.call("account", "get_alternate_contact",
                                  AlternateContactType=contact_type)["AlternateContact"])
        except errors.NotFoundError:
            return None

    def put_alternate_contact(self, contact_type: str, contact: dict[str, str]) -> None:
        self.call("account", "put_alternate_contact", AlternateContactType=contact_type,
                  Name=contact["Name"], Title=contact["Title"],
                  EmailAddress=contact["EmailAddress"], PhoneNumber=contact["PhoneNumber"])

    def get_contact_information(self) -> dict[str, Any]:
        return dict(self.call("account", "get_contact_information")["ContactInformation"])


    # -- centralized root access: member sessions, regional STS -------------------------------
    pool_size = 10  # connections the shared STS client keeps: set to the worker count

    @property
    def region(self) -> str:
        if self.settings.region:
            return self.settings.region
        return getattr(self._base_session(), "region_name", None) or "us-east-1"

    def _base_session(self) -> Any:
        """The boto3 session, made on first use (by making an STS client)."""
        if self._session is None:
            self._client("sts")
        return self._session

    def _regional_sts(self) -> None:
        """Make this access's STS client regional (kept for every later STS call), with a
        connection pool as large as the worker pool that shares it."""
        with self._lock:
            if getattr(self._clients.get("sts"), "_rootwizard_regional", False):
                return
        from botocore.config import Config

        base = self._client("sts")
        session = self._base_session()
        endpoint = self.settings.endpoint_url
        if not endpoint and not os.environ.get("AWS_ENDPOINT_URL_STS"):  # that one boto3 honours
            region = base.meta.region_name
            endpoint = _regional_sts_url(region, session.get_partition_for_region(region))
        config = base.meta.config.merge(Config(max_pool_connections=max(10, self.pool_size)))
        with self._lock:
            client = session.client("sts", config=config, endpoint_url=endpoint)
            client._rootwizard_regional = True
            self._clients["sts"] = client

    def assume_root(self, target_account: str, task_policy_arn: str,
                    duration_s: int = 900) -> TemporaryCredentials:
        """sts:AssumeRoot on a regional STS endpoint: a root session in ``target_account``
        scoped by the task policy (arn:aws:iam::aws:policy/root-task/<Name>)."""
        self._regional_sts()
        r = self.call("sts", "assume_root", TargetPrincipal=target_account,
                      TaskPolicyArn={"arn": task_policy_arn}, DurationSeconds=duration_s)
        c = r["Credentials"]
        register_secret(c["SecretAccessKey"])
        register_secret(c["SessionToken"])
        exp = c.get("Expiration")
        if isinstance(exp, datetime) and exp.tzinfo is None:
            exp = exp.replace(tzinfo=timezone.utc)
        return TemporaryCredentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"],
                                    exp if isinstance(exp, datetime) else None)

    def with_credentials(self, creds: TemporaryCredentials) -> AwsAccess:
        """An AwsAccess for temporary credentials (a member account's root session): same
        endpoint, region, retries and timeouts; its clients come from this session."""
        child = AwsAccess(replace(self.settings, profile=None, access_key_id=None,
                                  secret_access_key=None))
        child._session = _CredentialedSession(self, creds)
        return child


def clock_warning(skew_s: float | None) -> str | None:
    """A warning when the local clock is more than 30 s from AWS's clock, else None."""
    if skew_s is None or abs(skew_s) <= CLOCK_SKEW_LIMIT_S:
        return None
    direction = "ahead of" if skew_s > 0 else "behind"
    return (f"This computer's clock is {abs(skew_s):.0f} s {direction} AWS's clock. "
            "TOTP codes depend on the time: sync the clock (NTP) on this machine and on "
            "the phone before enrolling MFA.")


# ---- centralized root access: member sessions, regional STS, a pool of workers ----------

_T = TypeVar("_T")
_R = TypeVar("_R")


@dataclass(frozen=True)
class TemporaryCredentials:
    """Short-term credentials (an AssumeRoot session). The secret and the token never
    appear in a repr, a log or a file; they are registered for log redaction."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expiration: datetime | None = None


class _CredentialedSession:
    """What AwsAccess._client needs of a boto3 session, making clients with temporary
    credentials from the parent's session: one botocore loader and model cache for every
    member account, and client creation serialised on the parent's lock (boto3 sessions
    are not thread safe)."""

    def __init__(self, parent: AwsAccess, creds: TemporaryCredentials) -> None:
        self._parent = parent
        self._creds = creds
        self.region_name = parent.region

    def client(self, service: str, *, config: Any, endpoint_url: str | None) -> Any:
        base = self._parent._base_session()
        with self._parent._lock:
            return base.client(service, config=config, endpoint_url=endpoint_url,
                               aws_access_key_id=self._creds.access_key_id,
                               aws_secret_access_key=self._creds.secret_access_key,
                               aws_session_token=self._creds.session_token)


def _regional_sts_url(region: str, partition: str | None) -> str:
    """AssumeRoot works on regional STS endpoints only, never on sts.amazonaws.com."""
    suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return f"https://sts.{region}.{suffix}"


def run_pool(func: Callable[[_T], _R], items: Iterable[_T],
             concurrency: int) -> Generator[tuple[_T, _R | BaseException], None, None]:
    """Run ``func`` on each item in ``concurrency`` threads; yield (item, result or the
    exception it raised) as each finishes. At most 2 x concurrency items are queued at a
    time, so memory does not grow with the number of items. Closing the generator (or
    Ctrl-C while it waits) cancels what has not started; running calls finish."""
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    concurrency = max(1, int(concurrency))
    it = iter(items)
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="rootwizard-aws")
    pending: dict[Any, _T] = {}
    try:
        for item in it:
            pending[pool.submit(func, item)] = item
            if len(pending) >= 2 * concurrency:
                break
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                item = pending.pop(fut)
                exc = fut.exception()
                yield item, (exc if exc is not None else fut.result())
                nxt = next(it, _END)
                if nxt is not _END:
                    pending[pool.submit(func, nxt)] = nxt
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


_END: Any = object()
