"""Synthetic credential reports for tests and benchmarks (not part of the app)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from wizard.credreport import (
    NA,
    NO_INFORMATION,
    NOT_SUPPORTED,
    REPORT_COLUMNS,
    ROOT_USER,
    format_report_csv,
)
from wizard.credreport.analysis import _utc
from wizard.errors import InputError


def _stamp(when: datetime) -> str:
    return when.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def generate_synthetic_report(n_users: int, now: datetime, seed: int = 0) -> str:
    """A valid AWS-format credential report with a root row and ``n_users`` IAM users.
    Users cycle through eight profiles, so any ``n_users >= 8`` holds every kind of row:
    console with and without MFA, never-used passwords, removed passwords that keep a
    last-used date, 0/1/2 keys active and inactive, never-used keys, keys last used on a
    non-regional service (region N/A), IAM paths in ARNs, signing certificates."""
    if n_users < 0:
        raise InputError("The number of users cannot be negative.", field="n_users")
    now = _utc(now)
    rng = random.Random(seed)
    account = f"{rng.randrange(10**11, 10**12):012d}"

    def ago(low: int, high: int) -> datetime:
        return now - timedelta(days=low, seconds=rng.randrange((high - low) * 86400 + 1))

    def after(start: datetime) -> str:
        return _stamp(start + (now - start) * rng.random())

    def blank(user: str, arn: str) -> dict[str, str]:
        row = dict.fromkeys(REPORT_COLUMNS, NA)
        row.update(user=user, arn=arn, user_creation_time=_stamp(ago(1000, 1500)), password_enabled="false",
                   mfa_active="false", access_key_1_active="false", access_key_2_active="false",
                   cert_1_active="false", cert_2_active="false")
        return row

    def key(row: dict[str, str], n: int, active: bool, used: bool, region: str = "us-east-1",
            service: str = "iam") -> None:
        p = f"access_key_{n}_"
        rotated = ago(100, 900) if rng.random() < 0.5 else ago(0, 99)
        row.update({p + "active": "true" if active else "false", p + "last_rotated": _stamp(rotated)})
        if used:
            row.update({p + "last_used_date": after(rotated), p + "last_used_region": region,
                        p + "last_used_service": service})

    def password(row: dict[str, str], used: bool) -> None:
        changed = ago(0, 900)
        row.update(password_enabled="true", password_last_changed=_stamp(changed),
                   password_last_used=after(changed) if used else NO_INFORMATION)

    root = blank(ROOT_USER, f"arn:aws:iam::{account}:root")
    root.update(password_enabled=NOT_SUPPORTED, password_last_changed=NOT_SUPPORTED,
                password_next_rotation=NOT_SUPPORTED, password_last_used=_stamp(ago(0, 200)),
                mfa_active=rng.choice(("true", "false")))
    if rng.random() < 0.5:
        key(root, 1, rng.random() < 0.5, True)
    rows = [root]
    for i in range(n_users):
        kind = i % 8
        path = "service/" if kind == 6 else ("team/dev/" if rng.random() < 0.2 else "")
        name = f"{'svc' if kind == 6 else 'user'}-{i:05d}"
        row = blank(name, f"arn:aws:iam::{account}:user/{path}{name}")
        row["mfa_active"] = "true" if kind in (0, 7) or (kind == 4 and rng.random() < 0.5) else "false"
        if kind == 0:  # console, MFA, one key in use
            password(row, True)
            key(row, 1, True, True)
        elif kind == 1:  # console without MFA, password never used
            password(row, False)
        elif kind == 2:  # console password removed; the last-used date stays
            row["password_last_used"] = _stamp(ago(30, 400))
        elif kind == 4:  # two active keys, the second never used
            password(row, True)
            key(row, 1, True, True)
            key(row, 2, True, False)
        elif kind == 5:  # an inactive key beside a key last used on S3 (no region)
            key(row, 1, False, True)
            key(row, 2, True, True, region=NA, service="s3")
        elif kind == 6:  # a service user under an IAM path
            key(row, 1, True, True, service="sts")
        elif kind == 7:  # MFA without console, a signing certificate
            row.update(cert_1_active="true", cert_1_last_rotated=_stamp(ago(0, 700)))
        rows.append(row)
    return format_report_csv(rows)
