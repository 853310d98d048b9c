"""The sandbox's seed data: a realistically neglected account (root without MFA and with
an old, active access key; about ten IAM users with and without MFA, keys of various
ages; no password policy), and the credential report columns built from it. Times are
days before the sandbox's start."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from wizard.credreport import NA

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
    signing_certificates: int = 0  # the root user's X.509 signing certificates


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


