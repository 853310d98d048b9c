"""The sandbox account behind ``rootwizard --demo``.

An in-process moto server seeded as a realistically neglected AWS account: root without
MFA and with an old, active access key; about ten IAM users with and without MFA, keys of
various ages; no password policy. The app talks to it through boto3 with
``endpoint_url`` exactly as it talks to AWS.

moto's credential report, account summary and Account Management API differ from AWS,
so while a sandbox runs, a few moto handlers are patched for the sandbox's account only
(every other account keeps stock moto behaviour):

* iam:GenerateCredentialReport / GetCredentialReport: a real-format report built from
  the live moto state at generation time, with a ``<root_account>`` row.
* iam:GetAccountSummary: AccountMFAEnabled, AccountAccessKeysPresent and
  AccountPasswordPresent from the sandbox's root state.
* account:GetContactInformation / PutContactInformation (not in moto).

Root-only console actions cannot be done by API; ``Sandbox.simulate`` flips the root
state as the console would. moto is imported lazily: it is only in the ``demo`` extra.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from wizard.aws import ConnectionSettings
from wizard.credreport import NA, NO_INFORMATION, NOT_SUPPORTED, ROOT_USER, format_report_csv
from wizard.errors import WizardError
from wizard.steps import SIMULATABLE  # the steps whose console action the sandbox simulates

REGION = "us-east-1"
DEMO_ACCOUNT_ID = "111122223333"  # AWS's documentation example account: plainly not real
OPERATOR = "ops-admin"
ADMIN_POLICY_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
ROOT_MFA_DEVICE = "root-mfa-phone"

_ISO = "%Y-%m-%dT%H:%M:%S+00:00"


@dataclass
class AccessKeyInfo:
    access_key_id: str
    active: bool
    created: datetime
    last_used_date: datetime | None = None
    last_used_region: str | None = None  # None or "N/A" for non-regional services
    last_used_service: str | None = None


@dataclass
class RootState:
    created: datetime
    mfa_enabled: bool = False
    access_keys: list[AccessKeyInfo] = field(default_factory=list)
    password_present: bool = True
    password_last_used: datetime | None = None
    password_last_changed: datetime | None = None


# ---- seed data: (days ago) relative to the sandbox's start time ---------------------


@dataclass(frozen=True)
class _Key:
    age: float
    used: tuple[float, str, str] | None = None  # (days ago, service, region)
    active: bool = True


@dataclass(frozen=True)
class _User:
    name: str
    age: float
    path: str = "/"
    password: tuple[float, float | None] | None = None  # (changed, last used) days ago
    console_removed: bool = False  # login profile deleted after use
    mfa: bool = False
    keys: tuple[_Key, ...] = ()
    cert_age: float | None = None


_USERS: tuple[_User, ...] = (
    _User("alice.nguyen", 820, password=(200, 0.8), mfa=True,
          keys=(_Key(10, (0.4, "ec2", "eu-west-1")),)),
    _User("bob.martin", 760, password=(420, 14),
          keys=(_Key(400, (3, "s3", NA)), _Key(10))),
    _User("carol.diaz", 640, password=(300, 121), mfa=True),
    _User("dave.okafor", 60, password=(60, None)),
    _User("erin.walsh", 1100, password=(900, 305), console_removed=True,
          keys=(_Key(500, (310, "iam", "us-east-1"), active=False),)),
    _User("frank.li", 300, password=(90, 5), mfa=True),
    _User("grace.kim", 210, password=(210, 40), keys=(_Key(120, (35, "lambda", "eu-central-1")),)),
    _User("summer-intern", 700, password=(700, 610), keys=(_Key(700),)),
    _User("svc-backup", 1300, path="/service/", keys=(_Key(120, (0.1, "s3", NA)),)),
    _User("svc-ci-deploy", 1500, path="/service/",
          keys=(_Key(400, (1, "cloudformation", "us-west-2")),), cert_age=1400),
)
_ACCOUNT_AGE, _OPERATOR_AGE = 2200, 45
_ROOT_KEY_AGE, _ROOT_KEY_USED = 1800, (2.0, "ec2", "us-east-1")  # (days ago, service, region)
_ROOT_PASSWORD = (2200, 9)
_ADMIN_POLICY = {
    "Path": "/", "DefaultVersionId": "v1",
    "CreateDate": "2015-02-06T18:39:46+00:00", "UpdateDate": "2015-02-06T18:39:46+00:00",
    "Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
}
_CONTACT = {
    "FullName": "Jordan Rivera",
    "CompanyName": "Example Widgets LLC",
    "AddressLine1": "1200 Example Avenue",
    "AddressLine2": "Suite 300",
    "City": "Seattle",
    "StateOrRegion": "WA",
    "PostalCode": "98101",
    "CountryCode": "US",
    "PhoneNumber": "+1-206-555-0142",
    "WebsiteUrl": "https://widgets.example.com",
}


def _iso(dt: datetime) -> str:
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC).strftime(_ISO)


def _naive(dt: datetime) -> datetime:
    """moto keeps naive UTC datetimes."""
    return dt.astimezone(UTC).replace(tzinfo=None)


def _bool(value: object) -> str:
    return "true" if value else "false"


def _key_columns(keys: list[AccessKeyInfo]) -> dict[str, str]:
    row: dict[str, str] = {}
    for n in (1, 2):
        key = keys[n - 1] if len(keys) >= n else None
        used = key.last_used_date if key else None
        p = f"access_key_{n}_"
        row[p + "active"] = _bool(key and key.active)
        row[p + "last_rotated"] = _iso(key.created) if key else NA
        row[p + "last_used_date"] = _iso(used) if used else NA  # a key never used: N/A too
        row[p + "last_used_region"] = (key.last_used_region or NA) if key and used else NA
        row[p + "last_used_service"] = (key.last_used_service or NA) if key and used else NA
    return row


def _cert_columns(certs: list[tuple[bool, datetime]]) -> dict[str, str]:
    row: dict[str, str] = {}
    for n in (1, 2):
        cert = certs[n - 1] if len(certs) >= n else None
        row[f"cert_{n}_active"] = _bool(cert and cert[0])
        row[f"cert_{n}_last_rotated"] = _iso(cert[1]) if cert else NA
    return row


def _moto_key(key: Any) -> AccessKeyInfo:
    used = key.last_used  # moto: AccessKeyLastUsed, or a bare datetime set by hand
    stamp = getattr(used, "timestamp", used)
    return AccessKeyInfo(key.access_key_id, key.status == "Active", key.create_date, stamp,
                         getattr(used, "region", None), getattr(used, "service", None))


# ---- the sandbox ------------------------------------------------------------------


class Sandbox:
    """A running sandbox. Create with :func:`start_sandbox`; ``stop()`` or use as a
    context manager. Times follow a clock that starts at ``now`` and runs in real time."""

    region = REGION

    def __init__(self, account_id: str, now: datetime) -> None:
        self.account_id = account_id
        self.endpoint_url = ""
        self.access_key_id = ""
        self.secret_access_key = ""
        self.operator_arn = f"arn:aws:iam::{account_id}:user/{OPERATOR}"
        self._epoch, self._t0 = now.astimezone(UTC), time.monotonic()
        self._lock = threading.RLock()
        self._root = RootState(created=self._ago(_ACCOUNT_AGE))
        self._report: tuple[str, datetime] | None = None
        self._passwords: dict[str, tuple[str, datetime]] = {}  # user -> (password, changed)
        self._contact = dict(_CONTACT)
        self._httpd: Any = None
        self._thread: threading.Thread | None = None

    # -- public --

    @property
    def root_state(self) -> RootState:
        """A snapshot of the root user's state (copy: safe to keep)."""
        with self._lock:
            return copy.deepcopy(self._root)

    def now(self) -> datetime:
        return self._epoch + timedelta(seconds=time.monotonic() - self._t0)

    def connection_settings(self, **overrides: Any) -> ConnectionSettings:
        """How the app reaches this sandbox: its endpoint, region and operator's keys."""
        return ConnectionSettings(region=self.region, endpoint_url=self.endpoint_url,
                                  access_key_id=self.access_key_id,
                                  secret_access_key=self.secret_access_key, **overrides)

    def session(self) -> boto3.session.Session:
        """A boto3 session for the sandbox operator (use with ``endpoint_url``)."""
        return boto3.session.Session(aws_access_key_id=self.access_key_id,
                                     aws_secret_access_key=self.secret_access_key,
                                     region_name=self.region)

    def simulate(self, action: str) -> str:
        """Do what the root user would do in the console for step ``action`` (a key of
        SIMULATABLE); returns a one-line description. Each one is a root sign-in."""
        if action not in SIMULATABLE:
            raise WizardError(f"There is no console action to simulate for {action!r}.",
                              hint=f"Known: {', '.join(SIMULATABLE)}.")
        if self._httpd is None:
            raise WizardError("The demo sandbox is not running.")
        with self._lock:
            now, root = self.now(), self._root
            root.password_last_used = now
            if action == "root_mfa":
                if root.mfa_enabled:
                    return "Simulated: root already has a virtual MFA device; nothing changed."
                self._assign_root_mfa(now)
                root.mfa_enabled = True
                return (f"Simulated: root signed in and assigned the virtual MFA device "
                        f"{ROOT_MFA_DEVICE!r}.")
            if action == "root_access_keys":
                count, root.access_keys = len(root.access_keys), []
                return f"Simulated: root signed in and deleted {count} root access key(s)."
            if action == "root_password":
                root.password_present, root.password_last_changed = True, now
                return "Simulated: root signed in and changed the root password."
            return ("Simulated: root signed in and reviewed the contact information "
                    "(nothing changes in the sandbox).")

    def stop(self) -> None:
        """Shut the server down, unpatch moto (when no other sandbox runs) and drop the
        sandbox account's data. Safe to call twice."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join()  # type: ignore[union-attr]
            self._httpd = None
        _release(self)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- start-up --

    def _ago(self, days: float) -> datetime:
        return self._epoch - timedelta(days=days)

    def _backend(self) -> Any:
        from moto.iam.models import iam_backends

        return iam_backends[self.account_id]["global"]

    def _serve(self) -> None:
        """What moto's ThreadedMotoServer does, minus request log lines (they would draw
        over the TUI) and with the socket closed on stop."""
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        class QuietHandler(MotoRequestHandler):
            def log(self, *args: Any) -> None:  # no request lines on the TUI's terminal
                pass

        for name in ("werkzeug", "moto"):  # no stderr fallback handler either
            logger = logging.getLogger(name)
            if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
                logger.addHandler(logging.NullHandler())
        app = DomainDispatcherApplication(create_backend_app)
        self._httpd = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        host, port = self._httpd.server_address[:2]
        self.endpoint_url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="rootwizard-sandbox",
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def _seed(self) -> None:
        from moto.iam.models import AWSManagedPolicy
        from moto.iam.utils import generate_access_key_id_from_account_id

        backend = self._backend()
        # moto loads no AWS managed policies by default; the lab needs this one.
        admin = AWSManagedPolicy.from_data("AdministratorAccess", self.account_id, REGION, _ADMIN_POLICY)
        backend.managed_policies[admin.arn] = admin
        # The operator is bootstrapped in-process: the API needs a caller in this account.
        operator = backend.create_user(REGION, OPERATOR)
        key = backend.create_access_key(OPERATOR)
        self.access_key_id, self.secret_access_key = key.access_key_id, key.secret_access_key
        operator.create_date = key.create_date = _naive(self._ago(_OPERATOR_AGE))

        iam = self.session().client("iam", endpoint_url=self.endpoint_url)
        iam.attach_user_policy(UserName=OPERATOR, PolicyArn=ADMIN_POLICY_ARN)
        for spec in _USERS:
            self._seed_user(iam, backend, spec)

        days, service, region = _ROOT_KEY_USED
        root_key_id = generate_access_key_id_from_account_id(self.account_id, prefix="AKIA")
        self._root.access_keys = [AccessKeyInfo(root_key_id, True, self._ago(_ROOT_KEY_AGE),
                                                self._ago(days), region, service)]
        self._root.password_last_changed = self._ago(_ROOT_PASSWORD[0])
        self._root.password_last_used = self._ago(_ROOT_PASSWORD[1])

    def _seed_user(self, iam: Any, backend: Any, spec: _User) -> None:
        """Create one user through the API, then backdate in the backend where the API
        cannot set times."""
        from moto.iam.models import AccessKeyLastUsed

        iam.create_user(UserName=spec.name, Path=spec.path)
        for ks in spec.keys:
            made = iam.create_access_key(UserName=spec.name)["AccessKey"]
            if not ks.active:
                iam.update_access_key(UserName=spec.name, AccessKeyId=made["AccessKeyId"],
                                      Status="Inactive")
        if spec.password:
            iam.create_login_profile(UserName=spec.name, Password="Demo-password-1!")
        if spec.console_removed:
            iam.delete_login_profile(UserName=spec.name)
        if spec.mfa:
            device = iam.create_virtual_mfa_device(VirtualMFADeviceName=spec.name)["VirtualMFADevice"]
            iam.enable_mfa_device(UserName=spec.name, SerialNumber=device["SerialNumber"],
                                  AuthenticationCode1="123456", AuthenticationCode2="654321")
        if spec.cert_age is not None:
            iam.upload_signing_certificate(UserName=spec.name, CertificateBody=_self_signed_pem(spec.name))

        user = backend.get_user(spec.name)
        user.create_date = _naive(self._ago(spec.age))
        for key, ks in zip(sorted(user.access_keys, key=lambda k: k.create_date), spec.keys):
            key.create_date = _naive(self._ago(ks.age))
            if ks.used:
                days, service, region = ks.used
                key.last_used = AccessKeyLastUsed(_naive(self._ago(days)), service, region)
        if spec.password:
            changed, used = spec.password
            if user.password:
                self._passwords[spec.name] = (user.password, self._ago(changed))
            user.password_last_used = _naive(self._ago(used)) if used is not None else None
        for serial, mfa in user.mfa_devices.items():
            mfa.enable_date = _naive(self._ago(spec.age / 2))
            backend.virtual_mfa_devices[serial].enable_date = mfa.enable_date
        for cert in user.signing_certificates.values():
            cert.upload_date = _naive(self._ago(spec.cert_age or 0))

    def _assign_root_mfa(self, now: datetime) -> None:
        backend = self._backend()
        device = backend.create_virtual_mfa_device(ROOT_MFA_DEVICE, "/")
        device.enable_date = _naive(now)
        # Serialised as the User of ListVirtualMFADevices, as AWS shows root's device.
        device.user = {"Path": "/", "UserId": self.account_id, "Arn": self._root_arn(),
                       "CreateDate": _naive(self._root.created)}

    # -- what the patched handlers serve --

    def _root_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:root"

    def _password_changed(self, user: Any) -> datetime:
        """When the user's current password was set: seeded, or first seen changed."""
        seen = self._passwords.get(user.name)
        if seen is None or seen[0] != user.password:
            seen = self._passwords[user.name] = (user.password, self.now())
        return seen[1]

    def report_rows(self) -> list[dict[str, str]]:
        """The credential report rows for the account as it is now."""
        backend = self._backend()
        policy = backend.account_password_policy
        max_age = int(getattr(policy, "max_password_age", 0) or 0)
        with self._lock:
            root = self._root
            root_used = (_iso(root.password_last_used) if root.password_last_used
                         else NO_INFORMATION if root.password_present else NA)
            rows = [{"user": ROOT_USER, "arn": self._root_arn(), "user_creation_time": _iso(root.created),
                     "password_enabled": NOT_SUPPORTED, "password_last_used": root_used,
                     "password_last_changed": NOT_SUPPORTED, "password_next_rotation": NOT_SUPPORTED,
                     "mfa_active": _bool(root.mfa_enabled),
                     **_key_columns(sorted(root.access_keys, key=lambda k: k.created)),
                     **_cert_columns([])}]
            for user in list(backend.users.values()):
                changed = self._password_changed(user) if user.password else None
                used = (_iso(user.password_last_used) if user.password_last_used
                        else NO_INFORMATION if user.password else NA)
                keys = sorted((_moto_key(k) for k in user.access_keys), key=lambda k: k.created)
                certs = sorted((c.status == "Active", c.upload_date)
                               for c in user.signing_certificates.values())
                rows.append({
                    "user": user.name, "arn": user.arn, "user_creation_time": _iso(user.create_date),
                    "password_enabled": _bool(user.password), "password_last_used": used,
                    "password_last_changed": _iso(changed) if changed else NA,
                    "password_next_rotation": _iso(changed + timedelta(days=max_age))
                    if changed and max_age else NA,
                    "mfa_active": _bool(user.mfa_devices),
                    **_key_columns(keys), **_cert_columns(certs)})
        return rows

    def _generate_report(self) -> dict[str, str]:
        with self._lock:
            first = self._report is None
            at = self.now().replace(microsecond=0)  # AWS reports whole seconds
            self._report = (format_report_csv(self.report_rows()), at)
        if first:
            return {"State": "STARTED",
                    "Description": "No report exists. Starting a new report generation task"}
        return {"State": "COMPLETE"}

    def _get_report(self) -> dict[str, Any]:
        from moto.iam.exceptions import ReportNotPresentException

        with self._lock:
            if self._report is None:
                raise ReportNotPresentException("Credential report not present")
            content, at = self._report
        return {"Content": content, "ReportFormat": "text/csv", "GeneratedTime": at}

    def _summary(self, moto_map: dict[str, Any]) -> dict[str, Any]:
        summary = dict(moto_map)
        with self._lock:
            root = self._root
            summary["AccountMFAEnabled"] = int(root.mfa_enabled)
            summary["AccountAccessKeysPresent"] = int(bool(root.access_keys))
            summary["AccountPasswordPresent"] = int(root.password_present)
            summary["MFADevicesInUse"] = summary.get("MFADevicesInUse", 0) + int(root.mfa_enabled)
        return summary


def _self_signed_pem(name: str) -> str:
    """A small self-signed X.509 certificate (moto validates signing certificates)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = datetime(2020, 1, 1, tzinfo=UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


# ---- moto patches, active while at least one sandbox runs -------------------------

_ACTIVE: dict[str, Sandbox] = {}
_REGISTRY_LOCK = threading.Lock()
_SAVED: dict[str, tuple[type, Any]] = {}  # method name -> (class, stock function or None)
_CONTACT_PATHS = ("{0}/getContactInformation$", "{0}/putContactInformation$")
_added_paths: list[str] = []


def _iam_generate_credential_report(self: Any) -> Any:
    from moto.core.responses import ActionResult

    sandbox = _ACTIVE.get(self.current_account)
    if sandbox is None:
        return _original(self, "generate_credential_report")
    return ActionResult(sandbox._generate_report())


def _iam_get_credential_report(self: Any) -> Any:
    from moto.core.responses import ActionResult

    sandbox = _ACTIVE.get(self.current_account)
    if sandbox is None:
        return _original(self, "get_credential_report")
    return ActionResult(sandbox._get_report())


def _iam_get_account_summary(self: Any) -> Any:
    from moto.core.responses import ActionResult

    sandbox = _ACTIVE.get(self.current_account)
    if sandbox is None:
        return _original(self, "get_account_summary")
    return ActionResult({"SummaryMap": sandbox._summary(self.backend.get_account_summary().summary_map)})


def _contact_sandbox(response: Any, action: str) -> Sandbox:
    sandbox = _ACTIVE.get(response._get_param("AccountId") or response.current_account)
    if sandbox is None:  # as stock moto answers
        raise NotImplementedError(f"The {action} action has not been implemented")
    return sandbox


def _account_get_contact_information(self: Any) -> Any:
    from moto.core.responses import ActionResult

    sandbox = _contact_sandbox(self, "GetContactInformation")
    with sandbox._lock:
        return ActionResult({"ContactInformation": dict(sandbox._contact)})


def _account_put_contact_information(self: Any) -> Any:
    from moto.core.responses import EmptyResult

    sandbox = _contact_sandbox(self, "PutContactInformation")
    with sandbox._lock:
        sandbox._contact = dict(self._get_param("ContactInformation") or {})
    return EmptyResult()


def _original(response: Any, name: str) -> Any:
    return _SAVED[name][1](response)


def _install_patches() -> None:
    from moto.account import urls as account_urls
    from moto.account.responses import AccountResponse
    from moto.iam.responses import IamResponse

    patches = {
        (IamResponse, "generate_credential_report"): _iam_generate_credential_report,
        (IamResponse, "get_credential_report"): _iam_get_credential_report,
        (IamResponse, "get_account_summary"): _iam_get_account_summary,
        (AccountResponse, "get_contact_information"): _account_get_contact_information,
        (AccountResponse, "put_contact_information"): _account_put_contact_information,
    }
    for (cls, name), func in patches.items():
        _SAVED[name] = (cls, cls.__dict__.get(name))
        setattr(cls, name, func)
    for path in _CONTACT_PATHS:
        if path not in account_urls.url_paths:
            account_urls.url_paths[path] = AccountResponse.dispatch
            _added_paths.append(path)


def _remove_patches() -> None:
    from moto.account import urls as account_urls

    for name, (cls, original) in _SAVED.items():
        if original is None:
            delattr(cls, name)
        else:
            setattr(cls, name, original)
    _SAVED.clear()
    for path in _added_paths:
        account_urls.url_paths.pop(path, None)
    _added_paths.clear()


def _purge_account(account_id: str) -> None:
    """Drop every moto backend of ``account_id`` (what moto's reset does, for one account)."""
    from moto.core.base_backend import BackendDict

    for backend_dict in list(BackendDict._instances):
        backend_dict.pop(account_id, None)


def _claim(now: datetime) -> Sandbox:
    import random

    with _REGISTRY_LOCK:
        account_id = DEMO_ACCOUNT_ID
        while account_id in _ACTIVE:  # a second sandbox at once gets its own account
            account_id = str(random.randrange(10**11, 10**12))
        _purge_account(account_id)
        if not _ACTIVE:
            _install_patches()
        sandbox = _ACTIVE[account_id] = Sandbox(account_id, now)
        return sandbox


def _release(sandbox: Sandbox) -> None:
    with _REGISTRY_LOCK:
        if _ACTIVE.get(sandbox.account_id) is not sandbox:
            return
        del _ACTIVE[sandbox.account_id]
        _purge_account(sandbox.account_id)
        if not _ACTIVE:
            _remove_patches()


def start_sandbox(now: datetime | None = None) -> Sandbox:
    """Start the moto server, seed the neglected account and return its handle.
    ``now`` anchors the seeded timeline (naive = UTC); default: the current time.
    Raises WizardError when moto is not installed."""
    try:
        import moto.server  # noqa: F401  (moto[server]: flask, werkzeug)
    except ImportError as err:
        raise WizardError("The demo needs moto, which is not installed.",
                          hint="Install the demo extra: pip install 'rootwizard[demo]'.") from err
    now = now or datetime.now(UTC)
    sandbox = _claim(now if now.tzinfo else now.replace(tzinfo=UTC))
    try:
        sandbox._serve()
        sandbox._seed()
    except BaseException:
        sandbox.stop()
        raise
    return sandbox
