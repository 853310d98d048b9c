"""The sandbox organisation behind ``rootwizard --demo --org`` and ``org ... --demo``.

The single-account sandbox (wizard.sandbox) is the management account; this module
makes it an organisation (all features, trusted access for IAM, centralized root access
enabled) with about twenty member accounts in mixed states, created through moto's
Organizations API. moto has no centralized root access, so while an organisation
sandbox runs, the moto server gains AWS-shaped handlers (request and response shapes and
error codes from botocore's service models) for exactly what it lacks:

* sts:AssumeRoot: checks the caller (management account or IAM delegated administrator,
  not a root session), the target (an ACTIVE member, not the management account), the
  task policy and the enabled features; returns a root session whose access key lives
  in the member's moto IAM backend (so moto maps it to that account).
* iam:ListOrganizationsFeatures, Enable/DisableOrganizationsRootCredentialsManagement,
  Enable/DisableOrganizationsRootSessions, with their error codes.
* root-targeted IAM calls without a UserName, from a root session: GetAccountSummary,
  GetLoginProfile, CreateLoginProfile, DeleteLoginProfile, ListAccessKeys,
  GetAccessKeyLastUsed, DeleteAccessKey, ListSigningCertificates,
  DeleteSigningCertificate, ListMFADevices, DeactivateMFADevice. Every other IAM action
  of a root session is AccessDenied (the task policies allow nothing else), as is any
  action its task policy does not list, and any action a service control policy
  attached to the member (moto's Organizations state) denies to root. An expired
  session gets ExpiredToken.

Member roots live in moto's per-account state where moto has a place for them: root
access keys in the member's IAM backend (usable as keys, as real root keys are), root
virtual MFA devices as moto virtual devices assigned to the root ARN; the password,
hardware MFA serials and signing certificates in the organisation sandbox.

Some accounts misbehave on purpose: one is SUSPENDED (closed), one has a service control
policy denying IAM to root, one throttles every IAM call of its root sessions.
"""

from __future__ import annotations

import fnmatch
import json
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from wizard.aws import ConnectionSettings
from wizard.errors import WizardError
from wizard.logs import logger
from wizard.sandbox import start_sandbox

log = logger("rootwizard.org_sandbox")

TASK_POLICIES: dict[str, tuple[str, frozenset[str]]] = {
    # name -> (feature it needs, the IAM actions it allows on arn:aws:iam::*:root)
    "IAMAuditRootUserCredentials": ("RootCredentialsManagement", frozenset({
        "GetAccountSummary", "GetLoginProfile", "ListAccessKeys", "GetAccessKeyLastUsed",
        "ListSigningCertificates", "ListMFADevices", "GetUser"})),
    "IAMCreateRootUserPassword": ("RootCredentialsManagement", frozenset({
        "CreateLoginProfile", "GetLoginProfile"})),
    "IAMDeleteRootUserCredentials": ("RootCredentialsManagement", frozenset({
        "DeleteLoginProfile", "DeleteAccessKey", "DeleteSigningCertificate", "DeactivateMFADevice",
        "ListAccessKeys", "ListSigningCertificates", "GetLoginProfile", "ListMFADevices", "GetUser",
        "GetAccessKeyLastUsed"})),
    "S3UnlockBucketPolicy": ("RootSessions", frozenset()),
    "SQSUnlockQueuePolicy": ("RootSessions", frozenset()),
}
TASK_PREFIX = "arn:aws:iam::aws:policy/root-task/"
MAX_DURATION_S = 900
FEATURES = ("RootCredentialsManagement", "RootSessions")
IAM_PRINCIPAL = "iam.amazonaws.com"
FIRST_MEMBER_ID = 210000000001
DEMO_ORGANIZATION_ID = "o-rootwizard"  # stable, so a resumed demo audit finds its organisation

_CERT_BODY = """-----BEGIN CERTIFICATE-----
MIIBKzCB0aADAgECAgEBMAoGCCqGSM49BAMCMB8xHTAbBgNVBAMMFHNhbmRib3gt
cm9vdC1zaWduaW5nMB4XDTE2MDMwMTAwMDAwMFoXDTI2MDIyNzAwMDAwMFowHzEd
MBsGA1UEAwwUc2FuZGJveC1yb290LXNpZ25pbmcwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASB0pAM2iZyeGKbQtzO7zDqYPkZMQ/19h3M11uPgBZ9H51qYBGczlKs
twkivAPjsW4JRyRkGcluV7EfabTuQLCwMAoGCCqGSM49BAMCA0kAMEYCIQCaPEzP
ApJfLAD5Uhsg+RgjnxXjuQ8J9T6NSQFvxdMQLAIhAKtgCkI7NBj/Np4jZO1dpIH/
h9vjFWJFfC1vTeVbvvgU
-----END CERTIFICATE-----
"""
_SCP_DENY_ROOT_IAM = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "DenyRootIam", "Effect": "Deny", "Action": "iam:*", "Resource": "*",
                   "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}}],
}


# ---- what each member's root holds ----------------------------------------------------------

@dataclass(frozen=True)
class MemberSpec:
    """A member account of the sandbox organisation and its root's credentials.
    ``keys``: (active, days since last use or None); ``throttle``: its root sessions'
    IAM calls are throttled; ``scp_deny``: an SCP denies IAM to its root."""

    name: str
    password: bool = False
    virtual_mfa: int = 0
    hardware_mfa: int = 0
    keys: tuple[tuple[bool, float | None], ...] = ()
    certificates: int = 0
    suspended: bool = False
    scp_deny: bool = False
    throttle: bool = False


DEMO_MEMBERS: tuple[MemberSpec, ...] = (
    MemberSpec("prod-payments", password=True, virtual_mfa=1),
    MemberSpec("prod-web", password=True, keys=((True, 3.0),)),
    MemberSpec("prod-data", password=True, virtual_mfa=1, hardware_mfa=1),
    MemberSpec("legacy-billing", certificates=1, keys=((False, 400.0),)),
    MemberSpec("legacy-crm", password=True),
    MemberSpec("shared-network"),
    MemberSpec("shared-logging"),
    MemberSpec("security-audit"),
    MemberSpec("security-tooling"),
    MemberSpec("dev-team-a", keys=((True, None),)),
    MemberSpec("dev-team-b"),
    MemberSpec("dev-team-c"),
    MemberSpec("staging-web"),
    MemberSpec("staging-data"),
    MemberSpec("sandbox-ml"),
    MemberSpec("sandbox-iot"),
    MemberSpec("analytics"),
    MemberSpec("closed-2023", suspended=True),
    MemberSpec("locked-by-scp", scp_deny=True, password=True),
    MemberSpec("busy-batch", throttle=True),
)


def generated_members(count: int, seed: int = 7) -> tuple[MemberSpec, ...]:
    """``count`` members with the demo's mix of states, repeated (for benchmarks)."""
    rnd = random.Random(seed)
    out = []
    for i in range(count):
        roll = rnd.random()
        if roll < 0.55:
            spec = MemberSpec(f"member-{i:04d}")
        elif roll < 0.75:
            spec = MemberSpec(f"member-{i:04d}", password=True, virtual_mfa=1)
        elif roll < 0.85:
            spec = MemberSpec(f"member-{i:04d}", password=True, keys=((True, 10.0),))
        elif roll < 0.92:
            spec = MemberSpec(f"member-{i:04d}", certificates=1, keys=((False, None), (True, 1.0)))
        elif roll < 0.97:
            spec = MemberSpec(f"member-{i:04d}", password=True)
        else:
            spec = MemberSpec(f"member-{i:04d}", suspended=True)
        out.append(spec)
    return tuple(out)


@dataclass
class _Cert:
    certificate_id: str
    uploaded: datetime
    active: bool = True


@dataclass
class MemberRoot:
    """The parts of a member root that moto has no place for."""

    account_id: str
    created: datetime
    password_created: datetime | None = None
    hardware_mfa: dict[str, datetime] = field(default_factory=dict)  # serial -> enabled
    key_ids: list[str] = field(default_factory=list)  # keys live in moto's IAM backend
    certificates: list[_Cert] = field(default_factory=list)
    throttle: bool = False


@dataclass
class _RootSession:
    account_id: str
    task: str
    allowed: frozenset[str]
    expires: float  # time.monotonic()
    org: OrgSandbox


# ---- the organisation sandbox -----------------------------------------------------------------

class OrgSandbox:
    """A running sandbox organisation. Create with :func:`start_org_sandbox`; ``stop()``
    or use as a context manager. Talk to it like the single-account sandbox:
    ``connection_settings()`` is the management account's operator."""

    def __init__(self, members: tuple[MemberSpec, ...], features: tuple[str, ...],
                 trusted_access: bool) -> None:
        self.specs = members
        self.management = start_sandbox()
        self.account_id = self.management.account_id
        self.region = self.management.region
        self.organization_id = ""
        self.members: dict[str, MemberSpec] = {}  # account id -> spec
        self.roots: dict[str, MemberRoot] = {}
        self.features: set[str] = set()
        self._initial = (features, trusted_access)
        self.lock = threading.RLock()
        self.calls: dict[str, int] = {}  # "service:Action" -> count, for benchmarks

    # -- the single-account sandbox's public face --
    @property
    def endpoint_url(self) -> str:
        return self.management.endpoint_url

    def connection_settings(self, **overrides: Any) -> ConnectionSettings:
        return self.management.connection_settings(**overrides)

    def session(self) -> Any:
        return self.management.session()

    def now(self) -> datetime:
        return self.management.now()

    def account_ids(self, name: str | None = None) -> list[str]:
        """Member account IDs (or the one named ``name``), in creation order."""
        return [a for a, s in self.members.items() if name is None or s.name == name]

    def account_id_of(self, name: str) -> str:
        ids = self.account_ids(name)
        if not ids:
            raise KeyError(name)
        return ids[0]

    def stop(self) -> None:
        _release(self)
        self.management.stop()

    def __enter__(self) -> OrgSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- seeding --
    def _seed(self) -> None:
        org = self.session().client("organizations", endpoint_url=self.endpoint_url)
        self.organization_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
        features, trusted = self._initial
        if trusted:
            org.enable_aws_service_access(ServicePrincipal=IAM_PRINCIPAL)
        self.features = set(features)
        scp_id = None
        for spec in self.specs:
            status = org.create_account(AccountName=spec.name, Email=f"aws+{spec.name}@example.com")
            account_id = status["CreateAccountStatus"]["AccountId"]
            self.members[account_id] = spec
            self._seed_root(account_id, spec)
            if spec.suspended:
                org.close_account(AccountId=account_id)
            if spec.scp_deny:
                if scp_id is None:
                    scp_id = org.create_policy(
                        Name="DenyRootIam", Description="Deny IAM to root principals",
                        Type="SERVICE_CONTROL_POLICY", Content=json.dumps(_SCP_DENY_ROOT_IAM),
                    )["Policy"]["PolicySummary"]["Id"]
                org.attach_policy(PolicyId=scp_id, TargetId=account_id)

    def _seed_root(self, account_id: str, spec: MemberSpec) -> None:
        from moto.iam.models import AccessKey, AccessKeyLastUsed, iam_backends

        backend: Any = iam_backends[account_id]["global"]  # moto's models are loosely typed
        key_class: Any = AccessKey
        now = self.now()
        root = MemberRoot(account_id, created=now - timedelta(days=900), throttle=spec.throttle)
        if spec.password:
            root.password_created = now - timedelta(days=800)
        for n in range(spec.virtual_mfa):
            device = backend.create_virtual_mfa_device(f"root-mfa-{n + 1}", "/")
            device.enable_date = _naive(now - timedelta(days=300))
            device.user = {"Path": "/", "UserId": account_id, "Arn": f"arn:aws:iam::{account_id}:root",
                           "CreateDate": _naive(root.created)}
        for n in range(spec.hardware_mfa):
            root.hardware_mfa[f"GAHT{account_id[-6:]}{n:02d}"] = now - timedelta(days=200)
        for active, used in spec.keys:
            key = key_class(user_name=None, prefix="AKIA", account_id=account_id,
                            status="Active" if active else "Inactive")
            key.create_date = _naive(now - timedelta(days=1000))
            if used is not None:
                key.last_used = AccessKeyLastUsed(_naive(now - timedelta(days=used)), "ec2", "us-east-1")
            backend.access_keys[key.access_key_id] = key
            root.key_ids.append(key.access_key_id)
        for n in range(spec.certificates):
            root.certificates.append(_Cert(f"{account_id}ROOTSIGNINGCERT{n:02d}", now - timedelta(days=1200)))
        self.roots[account_id] = root

    # -- what the handlers consult --
    def _org_backend(self) -> Any:
        from moto.organizations.models import organizations_backends

        return organizations_backends[self.account_id]["aws"]

    def _account(self, account_id: str) -> Any | None:
        backend = self._org_backend()
        return next((a for a in backend.accounts if a.id == account_id), None)

    def _delegated_admin(self, account_id: str) -> bool:
        backend = self._org_backend()
        return any(a.account.id == account_id and IAM_PRINCIPAL in a.services
                   for a in getattr(backend, "admins", []))

    def _trusted_access(self) -> bool:
        return any(s.get("ServicePrincipal") == IAM_PRINCIPAL for s in self._org_backend().services)

    def _scp_denies(self, account_id: str, action: str, principal_arn: str) -> bool:
        """Whether a service control policy on the account (or its parent OU chain)
        denies ``action`` to ``principal_arn``. Supports Action/NotAction wildcards and
        ArnLike/StringLike on aws:PrincipalArn; other conditions do not match."""
        backend = self._org_backend()
        account = self._account(account_id)
        if account is None:
            return False
        policies = list(account.attached_policies)
        parent = account.parent_id
        for _ in range(6):
            ou = next((o for o in backend.ou if o.id == parent), None)
            if ou is None:
                break
            policies += list(getattr(ou, "attached_policies", []))
            parent = getattr(ou, "parent_id", None)
        for policy in policies:
            if policy.type != "SERVICE_CONTROL_POLICY":
                continue
            doc = json.loads(policy.content or "{}")
            statements = doc.get("Statement", [])
            for st in statements if isinstance(statements, list) else [statements]:
                if st.get("Effect") != "Deny" or not _matches(st.get("Action"), action):
                    continue
                if _condition_matches(st.get("Condition"), principal_arn):
                    return True
        return False


def _matches(patterns: Any, action: str) -> bool:
    if patterns is None:
        return False
    pats = [patterns] if isinstance(patterns, str) else list(patterns)
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in pats)


def _condition_matches(condition: Any, principal_arn: str) -> bool:
    if not condition:
        return True
    for op, clause in condition.items():
        if op not in ("ArnLike", "StringLike", "ArnEquals", "StringEquals"):
            return False
        for key, values in clause.items():
            if key.lower() != "aws:principalarn":
                return False
            vals = [values] if isinstance(values, str) else list(values)
            if not any(fnmatch.fnmatchcase(principal_arn, v) for v in vals):
                return False
    return True


def _naive(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(tzinfo=None)


# ---- errors, as botocore's models name them ----------------------------------------------------

def _sandbox_error_class() -> type:
    from moto.core.exceptions import ServiceException

    class SandboxError(ServiceException):
        """An AWS error code the service model does not list (AccessDenied, Throttling,
        ExpiredToken: common to every AWS API)."""

    return SandboxError


SandboxError: Any = None

def _error(code: str, message: str, status: int = 400) -> Exception:
    err: Any = SandboxError(code, message)
    err.code = code
    err.http_status_code = status
    return err


def _access_denied(message: str) -> Exception:
    return _error("AccessDenied", message, 403)


# ---- the handlers ------------------------------------------------------------------------------

_ORGS: dict[str, OrgSandbox] = {}  # management account id -> sandbox
_SESSIONS: dict[str, _RootSession] = {}  # root-session access key id -> session
_REGISTRY = threading.Lock()
_SAVED: dict[type, Any] = {}


def _org_of(account_id: str) -> OrgSandbox | None:
    """The running organisation sandbox ``account_id`` belongs to (as management, member
    or delegated administrator)."""
    for org in list(_ORGS.values()):
        if account_id == org.account_id or account_id in org.members:
            return org
    return None


def _caller_org(response: Any, *, enable: bool = False) -> OrgSandbox:
    """The checks iam:ListOrganizationsFeatures and the Enable/Disable calls share."""
    account_id = response.get_current_account()
    org = _org_of(account_id)
    if org is None:
        raise _error("OrganizationNotFoundException", "No organization is associated with your account.")
    backend = org._org_backend()
    if backend.org is None or backend.org.feature_set != "ALL":
        raise _error("OrganizationNotInAllFeaturesModeException",
                     "The organization does not have all features enabled.")
    if not org._trusted_access():
        raise _error("ServiceAccessNotEnabledException",
                     "Trusted access is not enabled for IAM in Organizations.")
    is_mgmt = account_id == org.account_id
    if not is_mgmt and not org._delegated_admin(account_id):
        raise _error("AccountNotManagementOrDelegatedAdministratorException",
                     "The account making the request is not the management account or the "
                     "delegated administrator for centralized root access.")
    if enable and not is_mgmt:
        raise _error("CallerIsNotManagementAccountException",
                     "The account making the request is not the management account for the organization.")
    return org


def _features_result(org: OrgSandbox) -> Any:
    from moto.core.responses import ActionResult

    return ActionResult({"OrganizationId": org.organization_id,
                         "EnabledFeatures": [f for f in FEATURES if f in org.features]})


def _org_feature_action(response: Any, action: str) -> Any:
    if action == "ListOrganizationsFeatures":
        org = _caller_org(response)
        return _features_result(org)
    enable = action.startswith("Enable")
    feature = "RootCredentialsManagement" if "Credentials" in action else "RootSessions"
    org = _caller_org(response, enable=enable)
    with org.lock:
        (org.features.add if enable else org.features.discard)(feature)
    return _features_result(org)


_ORG_FEATURE_ACTIONS = {
    "ListOrganizationsFeatures", "EnableOrganizationsRootCredentialsManagement",
    "EnableOrganizationsRootSessions", "DisableOrganizationsRootCredentialsManagement",
    "DisableOrganizationsRootSessions",
}


def _assume_root(response: Any) -> Any:
    from moto.core.responses import ActionResult
    from moto.iam.models import AccessKey, iam_backends

    caller_key = response.get_access_key()
    if caller_key in _SESSIONS:
        raise _access_denied("A root session cannot call sts:AssumeRoot.")
    caller = response.get_current_account()
    org = _org_of(caller)
    target = str(response._get_param("TargetPrincipal") or "")
    task_arn = str((response._get_params().get("TaskPolicyArn") or {}).get("arn") or "")
    duration = int(response._get_param("DurationSeconds") or MAX_DURATION_S)
    if duration < 0 or duration > MAX_DURATION_S:
        raise _error("ValidationError", f"DurationSeconds must be between 0 and {MAX_DURATION_S}.")
    if org is None or (caller != org.account_id and not org._delegated_admin(caller)):
        raise _access_denied(f"User: {caller} is not authorized to perform: sts:AssumeRoot: the caller "
                             "must be the management account or the IAM delegated administrator.")
    account_id = target.rsplit(":", 1)[-1] if target.startswith("arn:") else target
    if account_id.endswith("root"):  # arn:aws:iam::123456789012:root
        account_id = target.split(":")[4]
    task = task_arn[len(TASK_PREFIX):] if task_arn.startswith(TASK_PREFIX) else ""
    if task not in TASK_POLICIES:
        raise _error("ValidationError", f"TaskPolicyArn {task_arn!r} is not a root task policy.")
    feature, allowed = TASK_POLICIES[task]
    with org.lock:
        org.calls["sts:AssumeRoot"] = org.calls.get("sts:AssumeRoot", 0) + 1
        if feature not in org.features:
            raise _access_denied(f"sts:AssumeRoot with {task} needs the {feature} feature "
                                 "of centralized root access.")
    account = org._account(account_id)
    if account_id == org.account_id or account is None or account_id not in org.members:
        raise _access_denied(f"sts:AssumeRoot: {target} is not a member account of this organization.")
    if account.status != "ACTIVE":
        raise _access_denied(f"sts:AssumeRoot: account {account_id} is {account.status}.")
    key_class: Any = AccessKey  # moto's models are loosely typed
    key = key_class(user_name=None, prefix="ASIA", account_id=account_id)
    iam_backends[account_id]["global"].access_keys[key.access_key_id] = key
    token = secrets.token_urlsafe(96)
    with _REGISTRY:
        _SESSIONS[key.access_key_id] = _RootSession(account_id, task, allowed,
                                                    time.monotonic() + duration, org)
    expires = datetime.now(UTC) + timedelta(seconds=duration)
    return ActionResult({"Credentials": {"AccessKeyId": key.access_key_id,
                                         "SecretAccessKey": key.secret_access_key,
                                         "SessionToken": token, "Expiration": expires},
                         "SourceIdentity": ""})


def _root_call(response: Any, session: _RootSession, action: str) -> Any:
    """An IAM call made with a root session: the gates, then the handler."""
    org = session.org
    with org.lock:
        org.calls[f"iam:{action}"] = org.calls.get(f"iam:{action}", 0) + 1
        root = org.roots.get(session.account_id)
    if time.monotonic() > session.expires:
        raise _error("ExpiredToken", "The security token included in the request is expired")
    if root is not None and root.throttle:
        raise _error("Throttling", "Rate exceeded")
    root_arn = f"arn:aws:iam::{session.account_id}:root"
    if action not in session.allowed:
        raise _access_denied(f"User: {root_arn} is not authorized to perform: iam:{action} on resource: "
                             f"{root_arn} because no session policy allows the iam:{action} action")
    if org._scp_denies(session.account_id, f"iam:{action}", root_arn):
        raise _access_denied(f"User: {root_arn} is not authorized to perform: iam:{action} on resource: "
                             f"{root_arn} with an explicit deny in a service control policy")
    handler = _ROOT_HANDLERS.get(action)
    if handler is None or root is None:
        raise _access_denied(f"iam:{action} is not available to a root session in the sandbox.")
    with org.lock:
        return handler(response, org, root)


def _root_devices(org: OrgSandbox, root: MemberRoot) -> list[tuple[str, datetime | None]]:
    from moto.iam.models import iam_backends

    backend = iam_backends[root.account_id]["global"]
    arn = f"arn:aws:iam::{root.account_id}:root"
    virtual = [(serial, d.enable_date) for serial, d in backend.virtual_mfa_devices.items()
               if isinstance(d.user, dict) and d.user.get("Arn") == arn]
    return virtual + [(s, _naive(t)) for s, t in root.hardware_mfa.items()]


def _root_keys(root: MemberRoot) -> list[Any]:
    from moto.iam.models import iam_backends

    backend = iam_backends[root.account_id]["global"]
    return [backend.access_keys[k] for k in root.key_ids if k in backend.access_keys]


def _h_summary(response: Any, org: OrgSandbox, root: MemberRoot) -> Any:
    from moto.core.responses import ActionResult
    from moto.iam.models import iam_backends

    summary = dict(iam_backends[root.account_id]["global"].get_account_summary().summary_map)
    devices = _root_devices(org, root)
    summary.update(AccountMFAEnabled=int(bool(devices)), AccountAccessKeysPresent=int(bool(_root_keys(root))),
                   AccountPasswordPresent=int(root.password_created is not None),
                   AccountSigningCertificatesPresent=int(bool(root.certificates)))
    return ActionResult({"SummaryMap": summary})


def _login_profile(root: MemberRoot) -> dict[str, Any]:
    return {"UserName": root.account_id, "CreateDate": root.password_created, "PasswordResetRequired": False}


def _h_get_login_profile(response: Any, org: OrgSandbox, root: MemberRoot) -> Any:
    from moto.core.responses import ActionResult

    if root.password_created is None:
        raise _error("NoSuchEntity", f"Login Profile for User {root.account_id} cannot be found.", 404)
    return ActionResult({"LoginProfile": _login_profile(root)})


def _h_create_login_profile(response: Any, org: OrgSandbox, root: MemberRoot) -> Any:
    from moto.core.responses import ActionResult

    if response._get_param("Password") is not None:
        raise _error("ValidationError", "Password must be omitted in an AssumeRoot session.")
    if root.password_created is not None:
        raise _error("EntityAlreadyExists", f"Login Profile for user {root.account_id} already exists.", 409)
    root.password_created = org.now()
    return ActionResult({"LoginProfile": {**_login_profile(root), "PasswordResetRequired": True}})


def _h_delete_login_profile(response: Any, org: OrgSandbox, root: MemberRoot) -> Any:
    from moto.core.responses import EmptyResult

    if root.password_created is None:
        raise _error("NoSuchEntity", f"Login Profile for User {root.account_id} cannot be found.", 404)
    root.password_created = None
    return EmptyResult()


def _h_list_access_keys(response: Any, org: OrgSandbox, root: MemberRoot) -> Any:
    from moto.core.responses import ActionResult

    keys = [{"AccessKeyId": k.access_key_id, "Status": k.status, "CreateDate": k.create_date}
            for k in _root_keys(root)]
    return ActionResult({"AccessKeyMetadata": keys, "IsTruncated": False})


def _h_key_last_used(response: Any, org: OrgSandbox, root: MemberRoot) -> Any:
    from moto.core.responses import ActionResult

    key_id = response._get_param("AccessKeyId")
    key = next((k for k in _root_keys(root) if k.access_key_id == key_id), None)
    if key is None:
        raise _error("NoSuchEntity", f"The Access Key with id {key_id} cannot be found", 404)
    used = key.last_used
    if used is None:
        last = {"ServiceName": "N/A", "Region": "N/A"}
    else:
        last = {"LastUsedDate": used.timestamp, "ServiceName": used.service, "Region": used.region}
    return ActionResult({"AccessKeyLastUsed": last})


def _h_delete_access_key(response: Any, org: OrgSandbox, root: MemberRoot) -> Any:
    from moto.core.responses import EmptyResult
    from moto.iam.models import iam_backends

    key_id = response._get_param("AccessKeyId")
    if key_id not in root.key_ids:
        raise _error("NoSuchEntity", f"The Access Key with id {key_id} cannot be found", 404)
    root.key_ids.remove(key_id)
    iam_backends[root.account_id]["global"].access_keys.pop(key_id, None)
    return EmptyResult()


def _h_list_certificates(response: Any, org: OrgSandbox, root: MemberRoot) -> Any:
    from moto.core.responses import ActionResult

    certs = [{"UserName": root.account_id, "CertificateId": c.certificate_id, "CertificateBody": _CERT_BODY,
              "Status": "Active" if c.active else "Inactive", "UploadDate": _naive(c.uploaded)}
             for c in root.certificates]
    return ActionResult({"Certificates": certs, "IsTruncated": False})


def _h_delete_certificate(response: Any, org: OrgSandbox, root: MemberRoot) -> Any:
    from moto.core.responses import EmptyResult

    cert_id = response._get_param("CertificateId")
    cert = next((c for c in root.certificates if c.certificate_id == cert_id), None)
    if cert is None:
        raise _error("NoSuchEntity", f"The Certificate with id {cert_id} cannot be found.", 404)
    root.certificates.remove(cert)
    return EmptyResult()


def _h_list_mfa(response: Any, org: OrgSandbox, root: MemberRoot) -> Any:
    from moto.core.responses import ActionResult

    devices = [{"UserName": root.account_id, "SerialNumber": s, "EnableDate": t}
               for s, t in _root_devices(org, root)]
    return ActionResult({"MFADevices": devices, "IsTruncated": False})


def _h_deactivate_mfa(response: Any, org: OrgSandbox, root: MemberRoot) -> Any:
    from moto.core.responses import EmptyResult
    from moto.iam.models import iam_backends

    serial = response._get_param("SerialNumber")
    if serial in root.hardware_mfa:
        del root.hardware_mfa[serial]
        return EmptyResult()
    device = iam_backends[root.account_id]["global"].virtual_mfa_devices.get(serial)
    if device is None or not isinstance(device.user, dict) or not device.user.get("Arn", "").endswith(":root"):
        raise _error("NoSuchEntity", f"MFA Device with serial number {serial} does not exist.", 404)
    device.user, device.enable_date = None, None  # the virtual device stays, unassigned (as in AWS)
    return EmptyResult()


_ROOT_HANDLERS = {
    "GetAccountSummary": _h_summary,
    "GetLoginProfile": _h_get_login_profile,
    "CreateLoginProfile": _h_create_login_profile,
    "DeleteLoginProfile": _h_delete_login_profile,
    "ListAccessKeys": _h_list_access_keys,
    "GetAccessKeyLastUsed": _h_key_last_used,
    "DeleteAccessKey": _h_delete_access_key,
    "ListSigningCertificates": _h_list_certificates,
    "DeleteSigningCertificate": _h_delete_certificate,
    "ListMFADevices": _h_list_mfa,
    "DeactivateMFADevice": _h_deactivate_mfa,
}


def _respond(response: Any, produce: Any) -> Any:
    """Serialise an ActionResult or a ServiceException the way moto's call_action does."""
    from moto.core.exceptions import ServiceException
    from moto.core.responses import ActionResult

    try:
        result = produce()
    except ServiceException as exc:
        status, headers, body = response.serialized(ActionResult(exc))
        status = getattr(exc, "http_status_code", status)
        headers["status"] = status
        headers, body = response._enrich_response(headers, body)
        return status, headers, body
    status, headers, body = response.serialized(result)
    headers, body = response._enrich_response(headers, body)
    return status, headers, body


def _iam_call_action(self: Any) -> Any:
    action = self._get_action()
    session = _SESSIONS.get(self.get_access_key())
    if session is not None:
        return _respond(self, lambda: _root_call(self, session, action))
    if action in _ORG_FEATURE_ACTIONS:
        return _respond(self, lambda: _org_feature_action(self, action))
    return _previous(type(self), self)


def _sts_call_action(self: Any) -> Any:
    if self._get_action() == "AssumeRoot":
        return _respond(self, lambda: _assume_root(self))
    return _previous(type(self), self)


def _previous(cls: type, response: Any) -> Any:
    saved = _SAVED.get(cls)
    if saved is not None:
        return saved(response)
    from moto.core.responses import BaseResponse

    return BaseResponse.call_action(response)


_ADDED_PRINCIPALS: list[list[str]] = []
_COMMON_CODES = ("AccessDenied", "Throttling", "ExpiredToken")
_ADDED_CODES: list[str] = []


def _install() -> None:
    global SandboxError
    from moto.core import errors as moto_errors

    if SandboxError is None:
        SandboxError = _sandbox_error_class()
    # moto warns when a code is not in the service model; AWS's common errors never are.
    for code in _COMMON_CODES:
        if code not in moto_errors.COMMON_ERROR_CODES:
            moto_errors.COMMON_ERROR_CODES.append(code)
            _ADDED_CODES.append(code)
    from moto.iam.responses import IamResponse
    from moto.organizations.models import FakeDelegatedAdministrator, FakeServiceAccess
    from moto.sts.responses import TokenResponse

    # moto does not know IAM as a trusted service or a delegated-administrator service.
    for known in (FakeServiceAccess.TRUSTED_SERVICES, FakeDelegatedAdministrator.SUPPORTED_SERVICES):
        if IAM_PRINCIPAL not in known:
            known.append(IAM_PRINCIPAL)
            _ADDED_PRINCIPALS.append(known)

    for cls, func in ((IamResponse, _iam_call_action), (TokenResponse, _sts_call_action)):
        _SAVED[cls] = cls.__dict__.get("call_action")
        cls.call_action = func  # type: ignore[method-assign]


def _uninstall() -> None:
    for cls, saved in _SAVED.items():
        if saved is None:
            delattr(cls, "call_action")
        else:
            setattr(cls, "call_action", saved)  # noqa: B010
    _SAVED.clear()
    for known in _ADDED_PRINCIPALS:
        known.remove(IAM_PRINCIPAL)
    _ADDED_PRINCIPALS.clear()
    from moto.core import errors as moto_errors

    for code in _ADDED_CODES:
        moto_errors.COMMON_ERROR_CODES.remove(code)
    _ADDED_CODES.clear()


def _release(org: OrgSandbox) -> None:
    from moto.core.base_backend import BackendDict
    from moto.organizations.models import organizations_backends

    with _REGISTRY:
        if _ORGS.get(org.account_id) is not org:
            return
        del _ORGS[org.account_id]
        for key in [k for k, s in _SESSIONS.items() if s.org is org]:
            del _SESSIONS[key]
        for account_id in org.members:
            organizations_backends.master_accounts.pop(account_id, None)
            for backend_dict in list(BackendDict._instances):  # type: ignore[misc]  # moto keeps no type
                backend_dict.pop(account_id, None)
        organizations_backends.master_accounts.pop(org.account_id, None)
        if not _ORGS:
            _uninstall()


def _deterministic_ids(first: int) -> Any:
    """Member account IDs 210000000001, ... (stable across runs, so a resumed audit and
    `--accounts` name the same accounts in every sandbox)."""
    counter = iter(range(first, 10**12))

    def make() -> str:
        while True:
            candidate = f"{next(counter):012d}"
            if _org_of(candidate) is None:
                return candidate

    return make


_SEED_LOCK = threading.Lock()


def start_org_sandbox(members: tuple[MemberSpec, ...] | None = None, *,
                      features: tuple[str, ...] = FEATURES, trusted_access: bool = True) -> OrgSandbox:
    """Start the management-account sandbox, make it an organisation with ``members``
    (default: the demo's twenty) and install the handlers. ``features`` are the root
    features enabled at start; ``trusted_access`` whether IAM trusted access is on."""
    import moto.organizations.utils as org_utils

    org = OrgSandbox(members if members is not None else DEMO_MEMBERS, features, trusted_access)
    try:
        with _REGISTRY:
            if not _ORGS:
                _install()
            _ORGS[org.account_id] = org
        with _SEED_LOCK:
            originals = org_utils.make_random_account_id, org_utils.make_random_org_id
            org_utils.make_random_account_id = _deterministic_ids(FIRST_MEMBER_ID)
            if not any(o.organization_id == DEMO_ORGANIZATION_ID for o in _ORGS.values()):
                org_utils.make_random_org_id = lambda: DEMO_ORGANIZATION_ID
            try:
                org._seed()
            finally:
                org_utils.make_random_account_id, org_utils.make_random_org_id = originals
    except BaseException:
        org.stop()
        raise
    if not org.members:
        raise WizardError("The sandbox organisation has no member accounts.")
    return org
