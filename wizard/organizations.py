"""Centralized root access for AWS Organizations: where the account stands, the
organisation's readiness, every member's root credentials, and their removal.

Pure domain: functions take a wizard.aws.AwsAccess and return typed data; nothing here
prints, asks or writes a file. The calls and their order follow AWS (AWS-FACTS §3):

1. organizations:DescribeOrganization -> id, feature set, management account.
2. iam:ListOrganizationsFeatures -> "RootCredentialsManagement" (and "RootSessions").
3. organizations:ListAccounts (NextToken) -> members; the management account and
   non-ACTIVE accounts are skipped, each with the reason.
4. per member: sts:AssumeRoot (regional endpoint) with the IAMAuditRootUserCredentials
   task policy, then GetAccountSummary, GetLoginProfile, ListAccessKeys (+
   GetAccessKeyLastUsed), ListSigningCertificates and ListMFADevices, all without a
   UserName (the session is the member's root).
5. remediation: a session with IAMDeleteRootUserCredentials -> DeleteAccessKey,
   DeleteSigningCertificate, DeleteLoginProfile, DeactivateMFADevice; then a new audit
   session reads the account back. IAMCreateRootUserPassword -> CreateLoginProfile
   without a password ("allow password recovery").
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from wizard import errors
from wizard.aws import AwsAccess, run_pool

IAM_PRINCIPAL = "iam.amazonaws.com"
FEATURE_CREDENTIALS = "RootCredentialsManagement"
FEATURE_SESSIONS = "RootSessions"
ROOT_FEATURES = (FEATURE_CREDENTIALS, FEATURE_SESSIONS)
TASK_POLICY_PREFIX = "arn:aws:iam::aws:policy/root-task/"
TASK_AUDIT = TASK_POLICY_PREFIX + "IAMAuditRootUserCredentials"
TASK_DELETE = TASK_POLICY_PREFIX + "IAMDeleteRootUserCredentials"
TASK_CREATE_PASSWORD = TASK_POLICY_PREFIX + "IAMCreateRootUserPassword"
SESSION_SECONDS = 900  # AssumeRoot's maximum (and default)

# Verdicts (the `verdict` values of `org audit --json`).
NO_ROOT_CREDENTIALS = "no_root_credentials"
CREDENTIALS_PRESENT = "credentials_present"
SKIPPED = "skipped"
ERROR = "error"
VERDICTS = (NO_ROOT_CREDENTIALS, CREDENTIALS_PRESENT, SKIPPED, ERROR)
VERDICT_LABELS = {NO_ROOT_CREDENTIALS: "no root credentials", CREDENTIALS_PRESENT: "credentials present",
                  SKIPPED: "skipped", ERROR: "error"}

# What `org remediate --delete` can remove, in the order it is removed.
DELETABLE = ("keys", "certificates", "password", "mfa")
DELETE_ORDER = DELETABLE
_ACCOUNT_ID = re.compile(r"^\d{12}$")


def parse_account_ids(text: str) -> list[str]:
    """``--accounts ID,ID``: 12-digit account IDs, order kept, duplicates dropped."""
    ids: list[str] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if not _ACCOUNT_ID.match(part):
            raise errors.InputError(f"not an AWS account ID: {part!r} (12 digits)", field="accounts")
        if part not in ids:
            ids.append(part)
    if not ids:
        raise errors.InputError("no account ID given (--accounts ID,ID,...)", field="accounts")
    return ids


def parse_delete(text: str | None) -> list[str]:
    """``--delete password,keys,certificates,mfa`` (default: all four), in removal order."""
    if text is None:
        return list(DELETE_ORDER)
    asked = {p.strip() for p in text.split(",") if p.strip()}
    unknown = sorted(asked - set(DELETABLE))
    if unknown or not asked:
        raise errors.InputError(f"--delete takes {','.join(('password', 'keys', 'certificates', 'mfa'))}"
                                f"{': unknown ' + ', '.join(unknown) if unknown else ''}", field="delete")
    return [k for k in DELETE_ORDER if k in asked]


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return None if value is None else str(value)


def utc_now_iso() -> str:
    return _iso(datetime.now(timezone.utc)) or ""


# Errors whose AWS message says more than ours (an SCP's explicit deny, a suspended account).
_KEEP_AWS_MESSAGE = {"AccessDenied", "AccessDeniedException"}


def _error_text(err: BaseException) -> tuple[str, str]:
    """(code, one-line text) for a per-account error row."""
    if isinstance(err, errors.AwsError):
        text = err.aws_message if err.code in _KEEP_AWS_MESSAGE and err.aws_message else err.message
        return err.code or type(err).__name__, f"{err.action + ': ' if err.action else ''}{text}"
    if isinstance(err, errors.WizardError):
        return type(err).__name__, err.message
    return type(err).__name__, f"unexpected {type(err).__name__}"


# ---- where the connected account stands --------------------------------------------------

@dataclass(frozen=True)
class OrgPosition:
    """standalone | management | member | unknown (AccessDenied or another error: the
    caller may not call DescribeOrganization; ``detail`` says why)."""

    kind: str
    account_id: str
    organization_id: str | None = None
    management_account_id: str | None = None
    all_features: bool | None = None
    detail: str = ""

    @property
    def can_manage_roots_centrally(self) -> bool:
        return self.kind == "management"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "account_id": self.account_id, "organization_id": self.organization_id,
                "management_account_id": self.management_account_id, "all_features": self.all_features,
                "detail": self.detail}


def describe_account_org(aws: AwsAccess, account_id: str | None = None) -> OrgPosition:
    """Standalone, management or member account, from organizations:DescribeOrganization.
    "Not in an organization" and AccessDenied are normal answers, not errors."""
    account_id = account_id or aws.identity().account_id
    try:
        org = aws.call("organizations", "describe_organization")["Organization"]
    except errors.AccessDeniedError as err:
        return OrgPosition("unknown", account_id, detail=f"{err.action} is not allowed for this caller")
    except errors.AwsError as err:
        if err.code == "AWSOrganizationsNotInUseException":
            return OrgPosition("standalone", account_id, detail="not in an organization")
        raise
    mgmt = str(org.get("MasterAccountId", ""))
    return OrgPosition("management" if mgmt == account_id else "member", account_id,
                       organization_id=org.get("Id"), management_account_id=mgmt or None,
                       all_features=org.get("FeatureSet") == "ALL")


# ---- organisation readiness (org status / org enable) ------------------------------------

@dataclass(frozen=True)
class PlannedCall:
    """One call `org enable` would make, as the operator could type it."""

    action: str  # "organizations:EnableAWSServiceAccess"
    operation: str  # boto3's name: "enable_aws_service_access"
    params: dict[str, str]
    cli: str  # the AWS CLI equivalent
    why: str

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "params": dict(self.params), "cli": self.cli, "why": self.why}


ENABLE_TRUSTED_ACCESS = PlannedCall(
    "organizations:EnableAWSServiceAccess", "enable_aws_service_access", {"ServicePrincipal": IAM_PRINCIPAL},
    f"aws organizations enable-aws-service-access --service-principal {IAM_PRINCIPAL}",
    "trusted access for IAM in Organizations")
ENABLE_CREDENTIALS = PlannedCall(
    "iam:EnableOrganizationsRootCredentialsManagement", "enable_organizations_root_credentials_management", {},
    "aws iam enable-organizations-root-credentials-management",
    "RootCredentialsManagement: audit and remove member root credentials")
ENABLE_SESSIONS = PlannedCall(
    "iam:EnableOrganizationsRootSessions", "enable_organizations_root_sessions", {},
    "aws iam enable-organizations-root-sessions",
    "RootSessions: privileged root actions in member accounts (unlock S3/SQS policies)")


@dataclass
class OrgStatus:
    organization_id: str | None
    management_account_id: str | None
    caller_account_id: str
    caller_arn: str
    in_organization: bool
    all_features: bool | None
    trusted_access_iam: bool | None  # None: could not be read (only the management account can)
    caller_role: str  # management | delegated_administrator | member | standalone
    enabled_features: list[str] = field(default_factory=list)
    features_error: str | None = None
    missing: list[str] = field(default_factory=list)
    calls: list[PlannedCall] = field(default_factory=list)

    @property
    def ready_for_audit(self) -> bool:
        return (self.caller_role in ("management", "delegated_administrator")
                and FEATURE_CREDENTIALS in self.enabled_features)

    @property
    def complete(self) -> bool:
        return not self.missing

    def to_json(self) -> dict[str, Any]:
        return {
            "organization_id": self.organization_id,
            "management_account_id": self.management_account_id,
            "caller_account_id": self.caller_account_id,
            "caller_arn": self.caller_arn,
            "caller_role": self.caller_role,
            "in_organization": self.in_organization,
            "all_features": self.all_features,
            "trusted_access_iam": self.trusted_access_iam,
            "features": list(self.enabled_features),
            "features_error": self.features_error,
            "ready_for_audit": self.ready_for_audit,
            "missing": list(self.missing),
            "calls": [c.to_json() for c in self.calls],
        }


def _list_features(aws: AwsAccess) -> tuple[list[str], str | None]:
    try:
        r = aws.call("iam", "list_organizations_features")
    except errors.AwsError as err:
        return [], f"{err.code}: {err.message}"
    return sorted(str(f) for f in r.get("EnabledFeatures", [])), None


def _is_delegated_admin(aws: AwsAccess, account_id: str) -> bool | None:
    """Whether ``account_id`` is a delegated administrator for IAM (None: not readable)."""
    try:
        for admin in aws.paginate_token("organizations", "list_delegated_administrators",
                                        "DelegatedAdministrators", ServicePrincipal=IAM_PRINCIPAL):
            if admin.get("Id") == account_id:
                return True
    except errors.AwsError:
        return None
    return False


def read_status(aws: AwsAccess) -> OrgStatus:
    """The organisation's readiness for centralized root access, and the calls that
    would complete it (`org status`)."""
    me = aws.identity()
    pos = describe_account_org(aws, me.account_id)
    if pos.kind == "unknown":
        raise errors.AccessDeniedError(
            f"This caller may not read the organization ({pos.detail}).", code="AccessDenied",
            action="organizations:DescribeOrganization",
            hint="Use credentials of the management account or of the IAM delegated administrator.")
    status = OrgStatus(pos.organization_id, pos.management_account_id, me.account_id, me.arn,
                       pos.kind != "standalone", pos.all_features, None,
                       "standalone" if pos.kind == "standalone" else pos.kind)
    if pos.kind == "standalone":
        status.missing.append("this account is not in an organization (centralized root access "
                              "needs AWS Organizations with all features)")
        return status
    status.enabled_features, status.features_error = _list_features(aws)
    if pos.kind == "management":
        try:
            services = aws.paginate_token("organizations", "list_aws_service_access_for_organization",
                                          "EnabledServicePrincipals")
            status.trusted_access_iam = any(s.get("ServicePrincipal") == IAM_PRINCIPAL for s in services)
        except errors.AwsError:
            status.trusted_access_iam = None
    elif status.features_error is None or _is_delegated_admin(aws, me.account_id):
        # IAM answers ListOrganizationsFeatures to the management account and the IAM
        # delegated administrator only.
        status.caller_role = "delegated_administrator"
    if status.features_error and "ServiceAccessNotEnabled" in status.features_error:
        status.trusted_access_iam = False
    if not pos.all_features:
        status.missing.append("the organization is not in all-features mode (enable all features "
                              "in the Organizations console; every member must accept)")
    if status.caller_role == "member":
        status.missing.append("the caller is neither the management account nor the IAM delegated "
                              "administrator: run from one of them")
    if status.trusted_access_iam is False:
        status.missing.append(f"trusted access for {IAM_PRINCIPAL} is not enabled")
        status.calls.append(ENABLE_TRUSTED_ACCESS)
    for feature, call in ((FEATURE_CREDENTIALS, ENABLE_CREDENTIALS), (FEATURE_SESSIONS, ENABLE_SESSIONS)):
        if feature not in status.enabled_features:
            status.missing.append(f"the {feature} feature is not enabled")
            if status.caller_role == "management" and pos.all_features:
                status.calls.append(call)
    return status


def enable(aws: AwsAccess, calls: list[PlannedCall]) -> OrgStatus:
    """Make the planned calls (from the management account), then read the state back."""
    for call in calls:
        aws.call(call.action.partition(":")[0], call.operation, **call.params)
    return read_status(aws)


# ---- the audit ---------------------------------------------------------------------------

@dataclass(frozen=True)
class OrgAccount:
    account_id: str
    name: str
    status: str  # as Organizations reports it: ACTIVE, SUSPENDED, PENDING_CLOSURE


@dataclass
class AccessKeyRow:
    id: str
    status: str
    last_used: str | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "last_used": self.last_used}


@dataclass
class AccountAudit:
    """One account's row. Credential fields are None when they were not read."""

    account_id: str
    name: str
    status: str
    verdict: str
    password_present: bool | None = None
    mfa_devices: int | None = None
    mfa_serial_numbers: list[str] = field(default_factory=list)
    access_keys: list[AccessKeyRow] = field(default_factory=list)
    signing_certificates: int | None = None
    signing_certificate_ids: list[str] = field(default_factory=list)
    error: str | None = None
    error_code: str | None = None
    note: str | None = None
    audited_at: str | None = None
    account_summary: dict[str, int] = field(default_factory=dict)  # the root keys of GetAccountSummary

    @property
    def credentials(self) -> list[str]:
        """What root holds, as `--delete` names it."""
        held = []
        if self.access_keys:
            held.append("keys")
        if self.signing_certificates:
            held.append("certificates")
        if self.password_present:
            held.append("password")
        if self.mfa_devices:
            held.append("mfa")
        return held

    def describe(self) -> str:
        if self.verdict in (SKIPPED, ERROR):
            return (self.note or "") if self.verdict == SKIPPED else f"error: {self.error}"
        if self.verdict == NO_ROOT_CREDENTIALS:
            return "no root credentials"
        parts = []
        if self.password_present:
            parts.append("password")
        if self.mfa_devices:
            parts.append(f"{self.mfa_devices} MFA device{'s' if self.mfa_devices != 1 else ''}")
        for k in self.access_keys:
            parts.append(f"key {k.id} ({k.status.lower()}, last used {k.last_used or 'never'})")
        if self.signing_certificates:
            parts.append(f"{self.signing_certificates} signing certificate"
                         f"{'s' if self.signing_certificates != 1 else ''}")
        return ", ".join(parts + ([self.note] if self.note else []))

    def to_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id, "name": self.name, "status": self.status,
            "verdict": self.verdict, "password_present": self.password_present,
            "mfa_devices": self.mfa_devices,
            "access_keys": [k.to_json() for k in self.access_keys],
            "signing_certificates": self.signing_certificates, "error": self.error,
            # additional keys
            "error_code": self.error_code, "note": self.note,
            "mfa_serial_numbers": list(self.mfa_serial_numbers),
            "signing_certificate_ids": list(self.signing_certificate_ids),
            "audited_at": self.audited_at, "account_summary": dict(self.account_summary),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> AccountAudit:
        verdict = d["verdict"]
        if verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {verdict!r}")
        return cls(
            account_id=str(d["account_id"]), name=str(d.get("name") or ""), status=str(d.get("status") or ""),
            verdict=verdict, password_present=d.get("password_present"), mfa_devices=d.get("mfa_devices"),
            mfa_serial_numbers=[str(s) for s in d.get("mfa_serial_numbers") or []],
            access_keys=[AccessKeyRow(str(k["id"]), str(k["status"]), k.get("last_used"))
                         for k in d.get("access_keys") or []],
            signing_certificates=d.get("signing_certificates"),
            signing_certificate_ids=[str(s) for s in d.get("signing_certificate_ids") or []],
            error=d.get("error"), error_code=d.get("error_code"), note=d.get("note"),
            audited_at=d.get("audited_at"),
            account_summary={str(k): int(v) for k, v in (d.get("account_summary") or {}).items()})


SUMMARY_KEYS = ("AccountPasswordPresent", "AccountMFAEnabled", "AccountAccessKeysPresent",
                "AccountSigningCertificatesPresent")


def verdict_of(password: bool, mfa: int, keys: int, certs: int) -> str:
    """One rule: any password, MFA device, access key (active or not) or signing
    certificate is a root credential."""
    return CREDENTIALS_PRESENT if (password or mfa or keys or certs) else NO_ROOT_CREDENTIALS


def count_verdicts(rows: Iterable[AccountAudit]) -> dict[str, int]:
    counts = dict.fromkeys(VERDICTS, 0)
    for row in rows:
        counts[row.verdict] += 1
    return counts


@dataclass
class OrgAudit:
    organization_id: str | None
    management_account_id: str | None
    caller_arn: str
    features: list[str]
    accounts: list[AccountAudit] = field(default_factory=list)
    started_at: str | None = None
    finished_at: str | None = None
    interrupted: bool = False

    @property
    def counts(self) -> dict[str, int]:
        return count_verdicts(self.accounts)

    @property
    def clean(self) -> bool:
        c = self.counts
        return not self.interrupted and c[CREDENTIALS_PRESENT] == 0 and c[ERROR] == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "organization_id": self.organization_id,
            "management_account_id": self.management_account_id,
            "caller_arn": self.caller_arn,
            "features": list(self.features),
            "accounts": [a.to_json() for a in self.accounts],
            "counts": self.counts,
            # additional keys
            "started_at": self.started_at, "finished_at": self.finished_at,
            "complete": not self.interrupted,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> OrgAudit:
        return cls(d.get("organization_id"), d.get("management_account_id"), str(d.get("caller_arn") or ""),
                   [str(f) for f in d.get("features") or []],
                   [AccountAudit.from_json(a) for a in d.get("accounts") or []],
                   d.get("started_at"), d.get("finished_at"), not d.get("complete", False))


@dataclass(frozen=True)
class AuditContext:
    """What the audit needs to know of the organisation before touching a member."""

    organization_id: str
    management_account_id: str
    caller_arn: str
    caller_account_id: str
    features: list[str]


def prepare_audit(aws: AwsAccess) -> AuditContext:
    """Checks before any member is touched; a missing prerequisite is one clear error."""
    me = aws.identity()
    if me.is_root:
        raise errors.InputError("Root credentials cannot call sts:AssumeRoot: use an IAM user or role "
                                "of the management account or of the IAM delegated administrator.")
    pos = describe_account_org(aws, me.account_id)
    if pos.kind in ("standalone", "unknown"):
        raise errors.WizardError(
            "This account is not in an organization." if pos.kind == "standalone"
            else f"The organization cannot be read: {pos.detail}.",
            hint="Run `rootwizard org status` for what is missing.")
    features, problem = _list_features(aws)
    if problem or FEATURE_CREDENTIALS not in features:
        raise errors.WizardError(
            f"Centralized root access is not ready: {problem or FEATURE_CREDENTIALS + ' is not enabled'}.",
            hint="Run `rootwizard org status` to see what is missing and `rootwizard org enable` to enable it.")
    return AuditContext(pos.organization_id or "", pos.management_account_id or "", me.arn, me.account_id,
                        features)


def list_accounts(aws: AwsAccess) -> Iterator[OrgAccount]:
    """Every account of the organisation (ListAccounts, NextToken, 20 a page)."""
    for a in aws.paginate_token("organizations", "list_accounts", "Accounts", MaxResults=20):
        yield OrgAccount(str(a["Id"]), str(a.get("Name") or ""), str(a.get("Status") or a.get("State") or ""))


def skip_reason(account: OrgAccount, ctx: AuditContext) -> str | None:
    if account.account_id == ctx.management_account_id:
        return ("management account: AssumeRoot reaches member accounts only; secure its own root "
                "with the single-account wizard (rootwizard)")
    if account.status != "ACTIVE":
        return f"account status {account.status or 'unknown'}: only ACTIVE accounts are audited"
    return None


def _read_root(member: AwsAccess) -> dict[str, Any]:
    """The root credentials of the session's account (no UserName anywhere)."""
    summary = member.call("iam", "get_account_summary").get("SummaryMap", {})
    try:
        member.call("iam", "get_login_profile")
        password = True
    except errors.NotFoundError:
        password = False
    keys = []
    for k in member.paginate("iam", "list_access_keys", "AccessKeyMetadata"):
        key_id = str(k["AccessKeyId"])
        last = member.call("iam", "get_access_key_last_used", AccessKeyId=key_id).get("AccessKeyLastUsed", {})
        keys.append(AccessKeyRow(key_id, str(k.get("Status", "")), _iso(last.get("LastUsedDate"))))
    certs = [str(c["CertificateId"]) for c in member.paginate("iam", "list_signing_certificates", "Certificates")]
    mfa = [str(d["SerialNumber"]) for d in member.paginate("iam", "list_mfa_devices", "MFADevices")]
    return {"password": password, "keys": keys, "certs": certs, "mfa": mfa,
            "summary": {k: int(summary[k]) for k in SUMMARY_KEYS if k in summary}}


def audit_account(aws: AwsAccess, account: OrgAccount) -> AccountAudit:
    """One member: an audit root session, then its root credentials. Every AWS error
    becomes the row's error (the run goes on)."""
    row = AccountAudit(account.account_id, account.name, account.status, ERROR, audited_at=utc_now_iso())
    try:
        creds = aws.assume_root(account.account_id, TASK_AUDIT, SESSION_SECONDS)
        found = _read_root(aws.with_credentials(creds))
    except errors.WizardError as err:
        row.error_code, row.error = _error_text(err)
        return row
    row.password_present = found["password"]
    row.access_keys = found["keys"]
    row.signing_certificate_ids = found["certs"]
    row.signing_certificates = len(found["certs"])
    row.mfa_serial_numbers = found["mfa"]
    row.mfa_devices = len(found["mfa"])
    row.account_summary = found["summary"]
    row.verdict = verdict_of(row.password_present, row.mfa_devices, len(row.access_keys),
                             row.signing_certificates)
    # The summary and the lists are two readings of one state: any credential either
    # shows is counted, and a disagreement is said, never smoothed over.
    listed = {"AccountPasswordPresent": row.password_present, "AccountMFAEnabled": bool(row.mfa_devices),
              "AccountAccessKeysPresent": bool(row.access_keys),
              "AccountSigningCertificatesPresent": bool(row.signing_certificates)}
    unlisted = [k for k, v in listed.items() if row.account_summary.get(k) and not v]
    if unlisted:
        row.verdict = CREDENTIALS_PRESENT
        row.note = f"GetAccountSummary reports {', '.join(unlisted)} but the lists show none"
    return row


def skipped_row(account: OrgAccount, reason: str) -> AccountAudit:
    return AccountAudit(account.account_id, account.name, account.status, SKIPPED, note=reason,
                        audited_at=utc_now_iso())


def run_audit(aws: AwsAccess, ctx: AuditContext, accounts: Iterable[OrgAccount], *,
              concurrency: int = 8) -> Generator[AccountAudit, None, None]:
    """Audit ``accounts`` in ``concurrency`` threads; yields each row as it is read (skipped
    accounts first, without any call). Closing the generator stops starting new accounts."""
    aws.pool_size = max(aws.pool_size, concurrency)
    to_audit: list[OrgAccount] = []
    for account in accounts:
        reason = skip_reason(account, ctx)
        if reason:
            yield skipped_row(account, reason)
        else:
            to_audit.append(account)
    rows = audit_accounts(aws, to_audit, concurrency)
    try:
        yield from rows
    finally:
        rows.close()


def audit_accounts(aws: AwsAccess, accounts: Iterable[OrgAccount],
                   concurrency: int) -> Generator[AccountAudit, None, None]:
    """Each account's row as it is read, ``concurrency`` at a time; never raises for one
    account. Closing the generator stops starting new accounts."""
    results = run_pool(lambda a: audit_account(aws, a), accounts, concurrency)
    try:
        for account, result in results:
            if isinstance(result, BaseException):  # a bug, not AWS: keep the run, say what failed
                code, text = _error_text(result)
                result = AccountAudit(account.account_id, account.name, account.status, ERROR,
                                      error=text, error_code=code, audited_at=utc_now_iso())
            yield result
    finally:
        results.close()


# ---- remediation --------------------------------------------------------------------------

@dataclass(frozen=True)
class Removal:
    kind: str  # keys | certificates | password | mfa
    target: str  # key id, certificate id, "login profile", MFA serial number
    action: str  # the IAM action

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "target": self.target, "action": self.action}


@dataclass
class RemovalOutcome:
    removal: Removal
    ok: bool
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {**self.removal.to_json(), "ok": self.ok, "error": self.error}


def plan_removals(row: AccountAudit, kinds: list[str]) -> list[Removal]:
    """What `--delete` removes from this account, read from its current audit row."""
    out: list[Removal] = []
    for kind in DELETE_ORDER:
        if kind not in kinds:
            continue
        if kind == "keys":
            out += [Removal("keys", k.id, "iam:DeleteAccessKey") for k in row.access_keys]
        elif kind == "certificates":
            out += [Removal("certificates", c, "iam:DeleteSigningCertificate") for c in row.signing_certificate_ids]
        elif kind == "password" and row.password_present:
            out.append(Removal("password", "login profile", "iam:DeleteLoginProfile"))
        elif kind == "mfa":
            out += [Removal("mfa", s, "iam:DeactivateMFADevice") for s in row.mfa_serial_numbers]
    return out


def _still_there(removal: Removal, after: AccountAudit) -> bool:
    if removal.kind == "keys":
        return any(k.id == removal.target for k in after.access_keys)
    if removal.kind == "certificates":
        return removal.target in after.signing_certificate_ids
    if removal.kind == "password":
        return bool(after.password_present)
    return removal.target in after.mfa_serial_numbers


@dataclass
class AccountRemediation:
    """Before, what was asked and done, and the account read back after."""

    account_id: str
    name: str
    requested: list[str]
    before: AccountAudit
    planned: list[Removal] = field(default_factory=list)
    outcomes: list[RemovalOutcome] = field(default_factory=list)
    after: AccountAudit | None = None
    error: str | None = None
    started_at: str | None = None
    finished_at: str | None = None

    @property
    def verified(self) -> bool:
        """Every planned removal is gone in the read-back, and nothing failed."""
        if self.error or self.after is None or self.after.verdict == ERROR:
            return False
        return all(o.ok for o in self.outcomes) and not any(_still_there(r, self.after) for r in self.planned)

    def to_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id, "name": self.name, "requested": list(self.requested),
            "before": self.before.to_json(), "planned": [r.to_json() for r in self.planned],
            "outcomes": [o.to_json() for o in self.outcomes],
            "after": self.after.to_json() if self.after else None,
            "verified": self.verified, "error": self.error,
            "started_at": self.started_at, "finished_at": self.finished_at,
        }


def _remove(member: AwsAccess, removal: Removal) -> None:
    if removal.kind == "keys":
        member.call("iam", "delete_access_key", AccessKeyId=removal.target)
    elif removal.kind == "certificates":
        member.call("iam", "delete_signing_certificate", CertificateId=removal.target)
    elif removal.kind == "password":
        member.call("iam", "delete_login_profile")
    else:
        member.call("iam", "deactivate_mfa_device", SerialNumber=removal.target)


def remediate_account(aws: AwsAccess, before: AccountAudit, kinds: list[str]) -> AccountRemediation:
    """Remove ``kinds`` of root credentials seen in ``before`` (this account's audit row,
    read just before), with an IAMDeleteRootUserCredentials session; then read it back
    with a new audit session. Nothing outside ``before.account_id`` is touched."""
    result = AccountRemediation(before.account_id, before.name, list(kinds), before, started_at=utc_now_iso())
    result.planned = plan_removals(before, kinds)
    if result.planned:
        try:
            creds = aws.assume_root(before.account_id, TASK_DELETE, SESSION_SECONDS)
            member = aws.with_credentials(creds)
        except errors.WizardError as err:
            result.error = _error_text(err)[1]
        else:
            for removal in result.planned:
                try:
                    _remove(member, removal)
                    result.outcomes.append(RemovalOutcome(removal, True))
                except errors.NotFoundError:  # gone already: the read-back decides
                    result.outcomes.append(RemovalOutcome(removal, True, "already gone"))
                except errors.WizardError as err:
                    result.outcomes.append(RemovalOutcome(removal, False, _error_text(err)[1]))
    result.after = audit_account(aws, OrgAccount(before.account_id, before.name, before.status))
    result.finished_at = utc_now_iso()
    return result


@dataclass
class PasswordRecovery:
    account_id: str
    before: bool | None
    after: bool | None
    error: str | None = None

    @property
    def verified(self) -> bool:
        return self.error is None and self.after is True

    def to_json(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "password_present_before": self.before,
                "password_present_after": self.after, "verified": self.verified, "error": self.error}


def allow_password_recovery(aws: AwsAccess, account_id: str) -> PasswordRecovery:
    """IAMCreateRootUserPassword: CreateLoginProfile with no password (AWS sets none; the
    holder of the root email then resets it), then GetLoginProfile reads it back."""
    result = PasswordRecovery(account_id, None, None)
    try:
        member = aws.with_credentials(aws.assume_root(account_id, TASK_CREATE_PASSWORD, SESSION_SECONDS))
        try:
            member.call("iam", "get_login_profile")
            result.before = True
        except errors.NotFoundError:
            result.before = False
            member.call("iam", "create_login_profile")
        try:
            member.call("iam", "get_login_profile")
            result.after = True
        except errors.NotFoundError:
            result.after = False
    except errors.WizardError as err:
        result.error = _error_text(err)[1]
    return result


@dataclass
class OrgRemediation:
    """`org remediate`: one entry per named account (h5's record embeds ``to_json()``)."""

    organization_id: str
    management_account_id: str
    caller_arn: str
    accounts: list[AccountRemediation] = field(default_factory=list)
    password_recovery: list[PasswordRecovery] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return all(a.verified for a in self.accounts) and all(p.verified for p in self.password_recovery)

    def to_json(self) -> dict[str, Any]:
        return {"organization_id": self.organization_id, "management_account_id": self.management_account_id,
                "caller_arn": self.caller_arn, "accounts": [a.to_json() for a in self.accounts],
                "password_recovery": [p.to_json() for p in self.password_recovery],
                "verified": self.verified}


class EtaClock:
    """Count and ETA from the accounts finished so far (moving average of the run)."""

    def __init__(self, total: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self.done = 0
        self._clock = clock
        self._start = clock()

    def tick(self, n: int = 1) -> None:
        self.done += n

    @property
    def elapsed(self) -> float:
        return self._clock() - self._start

    @property
    def eta_s(self) -> float | None:
        if self.done == 0 or self.total <= self.done:
            return None if self.done == 0 else 0.0
        return self.elapsed / self.done * (self.total - self.done)


# ---- what the organisation view holds --------------------------------------------------------

@dataclass
class OrgSession:
    """The organisation view's state: AWS access (the management account or the IAM
    delegated administrator), the state folder, and the sandbox organisation with --demo."""

    aws: AwsAccess
    state_dir: Any
    demo: bool = False
    sandbox: Any = None
    context: AuditContext | None = None
    audit: OrgAudit | None = None
    remediations: list[OrgRemediation] = field(default_factory=list)

    def __post_init__(self) -> None:
        from pathlib import Path

        self.state_dir = Path(self.state_dir)
        if self.sandbox is not None:
            self.demo = True

    def connect(self) -> AuditContext:
        """Blocking (a worker): start the sandbox organisation when asked, then check the
        prerequisites (a missing one is a WizardError saying what to run)."""
        if self.demo and self.sandbox is None:
            from wizard.org_sandbox import start_org_sandbox

            self.sandbox = start_org_sandbox()
            self.aws.settings = self.sandbox.connection_settings(max_attempts=3)
        self.context = prepare_audit(self.aws)
        return self.context

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None
