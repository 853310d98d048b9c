"""The running sandbox: an in-process moto server seeded with the neglected account
(wizard.sandbox.seed), the root user's state, and the console actions it simulates."""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

from wizard.aws import ConnectionSettings, boto3_session
from wizard.credreport import NA, NO_INFORMATION, NOT_SUPPORTED, ROOT_USER, format_report_csv
from wizard.errors import SessionError, WizardError
from wizard.logs import logger
from wizard.sandbox import patches
from wizard.sandbox.seed import (
    _ACCOUNT_AGE,
    _ADMIN_POLICY,
    _CONTACT,
    _OPERATOR_AGE,
    _ROOT_KEY_AGE,
    _ROOT_KEY_USED,
    _ROOT_PASSWORD,
    _USERS,
    ADMIN_POLICY_ARN,
    DEMO_ACCOUNT_ID,
    OPERATOR,
    REGION,
    ROOT_MFA_DEVICE,
    AccessKeyInfo,
    RootState,
    _bool,
    _cert_columns,
    _iso,
    _key_columns,
    _moto_key,
    _naive,
    _self_signed_pem,
    _User,
)
from wizard.session import SandboxStore
from wizard.steps import (  # the steps whose console action the sandbox simulates, and its other actions
    REMOVE_ROOT_CREDENTIALS,
    SANDBOX_ACTIONS,
    SIMULATABLE,
    STEPS_BY_ID,
)

log = logger("rootwizard.sandbox")

# AWS returns the existing credential report, unchanged, while it is younger than this.
REPORT_REUSE = timedelta(hours=4)

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
        self._store: SandboxStore | None = None  # where the state is kept (--demo only)
        self._saved = ""  # the state last written, to skip writing an unchanged one
        self.notice = ""  # what the operator is told about this sandbox's state at start

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
        return boto3_session(aws_access_key_id=self.access_key_id,
                             aws_secret_access_key=self.secret_access_key, region_name=self.region)

    def simulate(self, action: str) -> str:
        """Do what the root user would do in the console for step ``action`` (a key of
        SIMULATABLE); returns a one-line description. Each one is a root sign-in (none
        without a root password, except its recovery). ``action`` may also be one of
        SANDBOX_ACTIONS (e.g. remove_root_credentials: what the management account does)."""
        if action not in SIMULATABLE and action not in SANDBOX_ACTIONS:
            raise WizardError(f"There is no console action to simulate for {_title(action)}.",
                              hint=f"Known: {', '.join([*(_title(a) for a in SIMULATABLE), *SANDBOX_ACTIONS])}.")
        if self._httpd is None:
            raise WizardError("The demo sandbox is not running.")
        with self._lock:
            text = self._remove_root_credentials() if action == REMOVE_ROOT_CREDENTIALS else self._simulate(action)
            self.save_state()
        return text

    def save_state(self) -> None:
        """Write the account's state to the state folder when this sandbox keeps it (and it
        changed). A failed write is logged and retried with the next change."""
        if self._store is None:
            return
        from wizard.sandbox.state import snapshot

        with self._lock:
            doc = snapshot(self)
            text = json.dumps({**doc, "saved_at": None}, sort_keys=True)
            if text == self._saved:
                return
            try:
                self._store.save(doc)
            except (OSError, WizardError) as exc:
                log.warning("the sandbox state could not be saved: %s", exc)
                return
            self._saved = text

    def _simulate(self, action: str) -> str:
        with self._lock:
            now, root = self.now(), self._root
            if not root.password_present:  # removed (centralized root access): no sign-in
                if action != "root_password":
                    return ("Simulated: the root user has no password, so it cannot sign in to the "
                            "console; nothing changed.")
                root.password_present, root.password_last_changed = True, now
                return ("Simulated password recovery: the management account allowed it "
                        "(IAMCreateRootUserPassword) and root set a password through the account email.")
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

    def _remove_root_credentials(self) -> str:
        """What centralized root access does from the management account (an AssumeRoot
        session with IAMDeleteRootUserCredentials, not a root sign-in): delete the root
        password, access keys and signing certificates, deactivate root's MFA device."""
        with self._lock:
            root = self._root
            removed = [what for what, present in (
                ("the root password", root.password_present),
                (f"{len(root.access_keys)} root access key(s)", root.access_keys),
                (f"{root.signing_certificates} root signing certificate(s)", root.signing_certificates),
                ("the root MFA device", root.mfa_enabled)) if present]
            if root.mfa_enabled:
                self._deactivate_root_mfa()
            root.password_present, root.access_keys, root.signing_certificates = False, [], 0
            root.mfa_enabled, root.password_last_changed = False, None
        if not removed:
            return "Simulated: the root user already has no credentials; nothing changed."
        return ("Simulated centralized root access: the management account removed "
                f"{', '.join(removed)}.")

    def stop(self) -> None:
        """Shut the server down, unpatch moto (when no other sandbox runs) and drop the
        sandbox account's data. Safe to call twice."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join()  # type: ignore[union-attr]
            self._httpd = None
        if self._store is not None:
            self._store.unlock()
            self._store = None
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
        if self._store is not None:
            from wizard.sandbox.state import saving_app

            app = saving_app(app, self)
        self._httpd = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        host, port = self._httpd.server_address[:2]
        self.endpoint_url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="rootwizard-sandbox",
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def _install_managed_policies(self) -> None:
        """moto loads no AWS managed policies by default; the lab needs this one."""
        from moto.iam.models import AWSManagedPolicy

        admin = AWSManagedPolicy.from_data("AdministratorAccess", self.account_id, REGION, _ADMIN_POLICY)
        self._backend().managed_policies[admin.arn] = admin

    def _seed(self) -> None:
        from moto.iam.utils import generate_access_key_id_from_account_id

        backend = self._backend()
        self._install_managed_policies()
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

    def _deactivate_root_mfa(self) -> None:
        """iam:DeactivateMFADevice on root's device: it stays, unassigned (as in AWS)."""
        backend = self._backend()
        for device in backend.virtual_mfa_devices.values():
            if isinstance(device.user, dict) and device.user.get("Arn") == self._root_arn():
                device.user, device.enable_date = None, None

    def _assign_root_mfa(self, now: datetime) -> None:
        backend = self._backend()
        device = next((d for d in backend.virtual_mfa_devices.values()  # deactivated earlier
                       if d.serial_number.endswith(f":mfa/{ROOT_MFA_DEVICE}") and d.user is None), None)
        device = device or backend.create_virtual_mfa_device(ROOT_MFA_DEVICE, "/")
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
                     # AWS writes false for a root without a password (centralized root access)
                     "password_enabled": NOT_SUPPORTED if root.password_present else "false",
                     "password_last_used": root_used,
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
            if not first and at - self._report[1] < REPORT_REUSE:  # type: ignore[index]
                return {"State": "COMPLETE"}  # as AWS: the existing report, its GeneratedTime kept
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
            summary["AccountSigningCertificatesPresent"] = int(bool(root.signing_certificates))
            summary["MFADevicesInUse"] = summary.get("MFADevicesInUse", 0) + int(root.mfa_enabled)
        return summary


def _purge_account(account_id: str) -> None:
    """Drop every moto backend of ``account_id`` (what moto's reset does, for one account)."""
    from moto.core.base_backend import BackendDict

    for backend_dict in list(BackendDict._instances):  # type: ignore[misc]  # moto keeps no type
        backend_dict.pop(account_id, None)


def _claim(now: datetime) -> Sandbox:
    import random

    with patches.REGISTRY_LOCK:
        account_id = DEMO_ACCOUNT_ID
        while account_id in patches.ACTIVE:  # a second sandbox at once gets its own account
            account_id = str(random.randrange(10**11, 10**12))
        _purge_account(account_id)
        if not patches.ACTIVE:
            patches.install()
        sandbox = patches.ACTIVE[account_id] = Sandbox(account_id, now)
        return sandbox


def _release(sandbox: Sandbox) -> None:
    with patches.REGISTRY_LOCK:
        if patches.ACTIVE.get(sandbox.account_id) is not sandbox:
            return
        del patches.ACTIVE[sandbox.account_id]
        _purge_account(sandbox.account_id)
        if not patches.ACTIVE:
            patches.remove()


def _title(step_id: str) -> str:
    step = STEPS_BY_ID.get(step_id)
    return f"'{step.title}'" if step else repr(step_id)


def start_sandbox(now: datetime | None = None, *, state_dir: Path | None = None,
                  reset: bool = False) -> Sandbox:
    """Start the moto server, seed the neglected account and return its handle.
    ``now`` anchors the seeded timeline (naive = UTC); default: the current time.

    With ``state_dir`` (``--demo``), the account's state is kept there: restored when a
    saved state exists (``reset`` sets it and the sandbox's session aside and starts
    fresh) and saved after every change. ``Sandbox.notice`` says which happened.
    Raises WizardError when moto is not installed."""
    try:
        import moto.server  # noqa: F401  (moto[server]: flask, werkzeug)
    except ImportError as err:
        raise WizardError("The demo needs moto, which is not installed.",
                          hint="Install the demo extra: pip install 'rootwizard[demo]'.") from err
    now = now or datetime.now(UTC)
    sandbox = _claim(now if now.tzinfo else now.replace(tzinfo=UTC))
    try:
        doc = _open_state(sandbox, state_dir, reset)
        sandbox._serve()
        if doc is not None:
            from wizard.sandbox.state import restore

            try:
                restore(sandbox, doc)
            except SessionError as exc:  # a damaged state: set it aside, start again fresh
                store, sandbox._store = sandbox._store, None
                sandbox.stop()
                moved = store.set_aside("unreadable") if store else []
                if store:
                    store.unlock()
                fresh = start_sandbox(now, state_dir=state_dir)
                fresh.notice = (f"The saved sandbox state could not be restored ({exc.message}); "
                                f"the sandbox starts fresh (set aside: {', '.join(p.name for p in moved)}).")
                return fresh
        else:
            sandbox._seed()
        sandbox.save_state()
    except BaseException:
        sandbox.stop()
        raise
    return sandbox


def _open_state(sandbox: Sandbox, state_dir: Path | None, reset: bool) -> dict[str, Any] | None:
    """Take the saved state's lock and read it (None: seed a fresh account). Sets
    ``sandbox._store`` when this sandbox keeps its state, and ``sandbox.notice``."""
    if state_dir is None or sandbox.account_id != DEMO_ACCOUNT_ID:
        return None
    from wizard.sandbox.state import check

    store = SandboxStore(state_dir, sandbox.account_id)
    if not store.lock():
        if reset:
            raise WizardError("Another rootwizard is using the sandbox: it cannot be reset now.",
                              hint="Close the other rootwizard --demo, then run with --reset again.")
        sandbox.notice = ("Another rootwizard is using the saved sandbox: this one starts a fresh "
                          "sandbox account and keeps nothing of it.")
        return None
    sandbox._store = store
    if reset:
        moved = store.set_aside("reset")
        sandbox.notice = ("Fresh sandbox (--reset): a new sandbox account" + (
            f"; the saved sandbox files were set aside: {', '.join(p.name for p in moved)}."
            if moved else "; there was no saved one."))
        return None
    try:
        doc = store.load()
        doc = None if doc is None else check(doc, sandbox.account_id)
    except SessionError as exc:
        moved = store.set_aside("unreadable")
        sandbox.notice = (f"{exc.message} The sandbox starts fresh (set aside: "
                          f"{', '.join(p.name for p in moved)}).")
        return None
    if doc is None:
        sandbox.notice = f"New sandbox account; its state is kept in {store.path}."
    else:
        sandbox.notice = (f"Sandbox account restored as saved at {doc.get('saved_at')} "
                          f"(rootwizard --demo --reset starts a fresh one).")
    return doc
