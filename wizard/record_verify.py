"""``rootwizard verify``: check a completion record, then whether what it claims still holds.

First the record itself (format and version, the body hash, the SSH signature when there
is one); then a fresh read of the account (wizard.after_state) compared, step by step,
with the evidence the record holds. Each step is **still true**, **changed** (what the
record shows → what AWS shows now), **cannot verify** (confirmed by the operator, or the
caller lacks the permission: named), or **no claim** (a read, a skipped or pending step).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.after_state import AfterState
from wizard.record import body_hash, canonical, verify_record
from wizard.signing import SIG_SUFFIX, SignatureCheck
from wizard.text import md, md_code, visible

STILL_TRUE, CHANGED, CANNOT_VERIFY, NO_CLAIM = "still_true", "changed", "cannot_verify", "no_claim"
LABELS = {STILL_TRUE: "still true", CHANGED: "CHANGED", CANNOT_VERIFY: "cannot verify", NO_CLAIM: "no claim"}
EXIT_OK, EXIT_DRIFT = 0, 1
# Statuses that claim something about the account.
CLAIMS = ("done", "confirmed", "not_applicable")
SUMMARY_SOURCE = "iam:GetAccountSummary"
SUMMARY_LABELS = {
    "AccountMFAEnabled": "root MFA enabled",
    "AccountAccessKeysPresent": "root access keys present",
    "AccountPasswordPresent": "root password present",
    "AccountSigningCertificatesPresent": "root signing certificates present",
}


@dataclass(frozen=True)
class Check:
    what: str
    verdict: str
    before: Any = None
    now: Any = None
    source: str = ""
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"what": self.what, "verdict": self.verdict, "before": self.before, "now": self.now,
                "source": self.source, "detail": self.detail}

    def text(self) -> str:
        if self.verdict == CHANGED:
            body = f"{self.what}: {_show(self.before)} → {_show(self.now)}"
        elif self.verdict == STILL_TRUE:
            body = f"{self.what}: {_show(self.now)}"
        else:
            body = self.what
        extra = [x for x in (self.detail, f"from {self.source}" if self.source else "") if x]
        return visible(body + (f" ({'; '.join(extra)})" if extra else ""))


@dataclass(frozen=True)
class StepResult:
    id: str
    title: str
    recorded: str        # the record's status label
    verdict: str
    checks: tuple[Check, ...] = ()
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "recorded": self.recorded, "verdict": self.verdict,
                "note": self.note, "checks": [c.to_json() for c in self.checks]}


@dataclass(frozen=True)
class Integrity:
    record_version: int
    body_sha256: str
    hash_ok: bool
    signature_file: str | None          # the .sig beside the record, when there is one
    signature: SignatureCheck | None    # None: not checked
    signature_note: str

    @property
    def ok(self) -> bool:
        return self.hash_ok and (self.signature is None or self.signature.ok) and \
            not self.signature_note.startswith("MISSING")

    @property
    def failure(self) -> str | None:
        """Why the record itself fails its check (None when it passes)."""
        if not self.hash_ok:
            return "The record was changed after it was exported: its body does not match its hash."
        if not self.ok:
            return f"The signature check failed: {self.signature_note}."
        return None

    def text_lines(self, record: str, subject: str, exported_at: str | None) -> list[str]:
        """The head of a verify report (a failed check first, plainly)."""
        first = [] if self.ok else [f"FAILED: {self.failure}"]
        return first + [visible(f"Record: {record} (record version {self.record_version}, {subject}, "
                                 f"exported {exported_at or 'unknown'})"),
                        "Body hash: " + ("OK" if self.hash_ok else "MISMATCH: the body was changed after export")
                        + f" ({self.body_sha256 or 'no hash'})",
                        visible(f"Signature: {self.signature_note}")]

    def markdown_lines(self, record: str, exported_at: str | None) -> list[str]:
        return [f"- Record: {md(record)} (record version {self.record_version}, exported "
                f"{md(exported_at or 'unknown')})",
                f"- Body hash: {'OK' if self.hash_ok else '**MISMATCH**: the body was changed after export'} "
                f"({md_code(self.body_sha256)})",
                f"- Signature: {md(self.signature_note)}"]

    def to_json(self) -> dict[str, Any]:
        return {"record_version": self.record_version, "body_sha256": self.body_sha256,
                "hash_ok": self.hash_ok, "signature_file": self.signature_file,
                "signature": None if self.signature is None else self.signature.to_json(),
                "signature_note": self.signature_note}


class VerdictReport:
    """What every verify result shares: counts by verdict, drift, outcome and exit code."""

    integrity: Integrity
    OK_TEXT = "Every verifiable step still holds."

    def verdicts(self) -> list[str]:
        raise NotImplementedError

    def drift_text(self) -> str:
        return "Drift: the account no longer matches the record."

    @property
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(LABELS, 0)
        for v in self.verdicts():
            out[v] += 1
        return out

    @property
    def drift(self) -> bool:
        return CHANGED in self.verdicts()

    @property
    def exit_code(self) -> int:
        return EXIT_DRIFT if self.drift or not self.integrity.ok else EXIT_OK

    @property
    def outcome(self) -> str:
        return self.integrity.failure or (self.drift_text() if self.drift else self.OK_TEXT)


@dataclass(frozen=True)
class VerifyResult(VerdictReport):
    record: str
    account_id: str
    exported_at: str | None
    integrity: Integrity
    read_at: str | None = None
    caller_arn: str | None = None
    steps: tuple[StepResult, ...] = ()
    findings: tuple[Check, ...] = ()
    missing: dict[str, str] = field(default_factory=dict)

    def verdicts(self) -> list[str]:
        return [s.verdict for s in self.steps]

    @property
    def drift(self) -> bool:
        return super().drift or any(f.verdict == CHANGED for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {"record": self.record, "account_id": self.account_id, "exported_at": self.exported_at,
                "integrity": self.integrity.to_json(), "read_at": self.read_at, "caller_arn": self.caller_arn,
                "steps": [s.to_json() for s in self.steps], "findings": [f.to_json() for f in self.findings],
                "missing_permissions": dict(self.missing), "counts": self.counts,
                "outcome": self.outcome, "exit_code": self.exit_code}

    def text_lines(self) -> list[str]:
        lines = self.integrity.text_lines(self.record, f"account {self.account_id}", self.exported_at)
        if self.read_at:
            lines.append(visible(f"AWS read at {self.read_at} as {self.caller_arn}"))
        lines.append("")
        for s in self.steps:
            lines.append(visible(f"{s.title}: {LABELS[s.verdict]} (recorded: {s.recorded})"
                                  + (f", {s.note}" if s.note else "")))
            lines += [f"    {c.text()}" for c in s.checks]
        if self.findings:
            lines.append("Findings closed in the record:")
            lines += [f"    {f.text()}" for f in self.findings]
        return [*lines, "", tally(self.outcome, self.counts)]

    def to_markdown(self) -> str:
        lines = [f"# Drift report: AWS account {md(self.account_id)}", "",
                 *self.integrity.markdown_lines(self.record, self.exported_at),
                 f"- Account read at {md(self.read_at)} as {md(self.caller_arn)}", "",
                 f"**{md(self.outcome)}**", "",
                 "| Step | Recorded | Now | What AWS shows |", "|---|---|---|---|"]
        for s in self.steps:
            lines.append("| " + " | ".join((md(s.title), md(s.recorded), md(LABELS[s.verdict]),
                                             "<br>".join(md(c.text()) for c in s.checks) or md(s.note))) + " |")
        if self.findings:
            lines += ["", "## Findings closed in the record", ""]
            lines += [f"- {md(LABELS[f.verdict])}: {md(f.text())}" for f in self.findings]
        return "\n".join(lines) + "\n"


def tally(outcome: str, c: Mapping[str, int]) -> str:
    """A verify report's last line: the outcome and the count of each verdict."""
    return (f"{outcome} ({c[STILL_TRUE]} still true, {c[CHANGED]} changed, {c[CANNOT_VERIFY]} cannot verify, "
            f"{c[NO_CLAIM]} no claim)")


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) if value else "none"
    return str(value)


# -- integrity ---------------------------------------------------------------------------------


def check_integrity(record: Mapping[str, Any], path: Path, allowed_signers: Path | None,
                    verify_signature: Callable[..., SignatureCheck] | None = None) -> Integrity:
    from wizard import signing

    verify_signature = verify_signature or signing.verify
    hash_ok = verify_record(record)
    sig_path = path.with_name(path.name + SIG_SUFFIX)
    has_sig = sig_path.is_file()
    check: SignatureCheck | None = None
    if has_sig and allowed_signers is not None:
        check = verify_signature(canonical(record["body"]), sig_path, allowed_signers)
        note = check.message
    elif has_sig:
        note = f"present ({sig_path.name}), not checked: pass --allowed-signers FILE to check it"
    elif allowed_signers is not None:
        note = f"MISSING: no signature file {sig_path.name} beside the record"
    else:
        note = "none (the record is not signed)"
    return Integrity(int(record["record_version"]), str(record.get("body_sha256") or ""), hash_ok,
                     str(sig_path) if has_sig else None, check, note)


# -- comparison ----------------------------------------------------------------------------------


def _denied(what: str, part: str, now: AfterState, source: str) -> Check:
    permission = now.missing.get(part, source)
    return Check(what, CANNOT_VERIFY, source=source, detail=f"the caller may not read it: needs {permission}")


def _summary_checks(keys: Mapping[str, Any], now: AfterState) -> list[Check]:
    out = []
    for key, before in keys.items():
        what = f"{SUMMARY_LABELS[key]} ({key})"
        if now.root is None:
            out.append(_denied(what, "root", now, SUMMARY_SOURCE))
            continue
        if key not in now.root:
            out.append(Check(what, CANNOT_VERIFY, before, None, SUMMARY_SOURCE, f"AWS did not report {key}"))
            continue
        value = now.root[key]
        out.append(Check(what, STILL_TRUE if value == before else CHANGED, before, value, SUMMARY_SOURCE))
    return out


def _policy_checks(expected: Mapping[str, Any], now: AfterState) -> list[Check]:
    source = "iam:GetAccountPasswordPolicy"
    if now.policy_present is None:
        return [_denied("password policy", "password_policy", now, source)]
    if not now.policy_present:
        return [Check("password policy", CHANGED, "set", "no policy (the AWS default applies)", source)]
    current = now.password_policy or {}
    return [Check(f"password policy {name}", STILL_TRUE if current.get(name) == value else CHANGED,
                  value, current.get(name), source) for name, value in expected.items()]


def _contact_checks(present: Mapping[str, Any], now: AfterState) -> list[Check]:
    source = "account:GetAlternateContact"
    if now.alternate_contacts is None:
        return [_denied("alternate contacts", "alternate_contacts", now, source)]
    return [Check(f"{t.lower()} alternate contact set", STILL_TRUE if now.alternate_contacts.get(t) == bool(v)
                  else CHANGED, bool(v), now.alternate_contacts.get(t), source) for t, v in present.items()]


def _enrolled(evidence: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(user, serial) pairs an IAM MFA step recorded: one enrolment, or a list of them."""
    pairs = []
    if evidence.get("user") and evidence.get("serial"):
        pairs.append((str(evidence["user"]), str(evidence["serial"])))
    for e in evidence.get("enrolled") or ():
        if isinstance(e, Mapping) and e.get("user") and e.get("serial"):
            pairs.append((str(e["user"]), str(e["serial"])))
    return pairs


def _mfa_checks(evidence: Mapping[str, Any], before_state: Mapping[str, Any] | None,
                now: AfterState) -> list[Check]:
    source = "iam:ListMFADevices"
    out = []
    for user, serial in _enrolled(evidence):
        what = f"{user}'s MFA device {serial}"
        if now.users is None:
            out.append(_denied(what, "users.mfa_devices" if "users.mfa_devices" in now.missing else "users",
                               now, source))
            continue
        u = now.user(user)
        found = u is not None and serial in u.mfa_devices
        out.append(Check(what, STILL_TRUE if found else CHANGED, "assigned",
                         "assigned" if found else ("user deleted" if u is None else "not assigned"), source))
    before = (before_state or {}).get("console_users_without_mfa")
    if before is not None:
        what = "console users without MFA"
        src = "iam:ListUsers, iam:GetLoginProfile, iam:ListMFADevices"
        if now.console_users_without_mfa is None:
            out.append(_denied(what, "users", now, src))
        else:
            new = [n for n in now.console_users_without_mfa if n not in before]
            out.append(Check(what, CHANGED if new else STILL_TRUE, sorted(before),
                             sorted(now.console_users_without_mfa), src,
                             f"new: {', '.join(new)}" if new else ""))
    return out


OPERATOR_ONLY = "confirmed by the operator; no AWS API shows it"


def compare_step(step: Mapping[str, Any], before_state: Mapping[str, Any] | None, now: AfterState) -> StepResult:
    sid, status = str(step.get("id")), str(step.get("status"))
    title, recorded = str(step.get("title") or sid), str(step.get("status_label") or status)
    raw = step.get("evidence")
    evidence: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    before_root = (before_state or {}).get("root") or {}

    def result(checks: list[Check], note: str = "", operator_claim: bool = False) -> StepResult:
        if any(c.verdict == CHANGED for c in checks):
            verdict = CHANGED
        elif operator_claim or not checks or any(c.verdict == CANNOT_VERIFY for c in checks):
            verdict = CANNOT_VERIFY
        else:
            verdict = STILL_TRUE
        return StepResult(sid, title, recorded, verdict, tuple(checks), note)

    if sid == "summary":
        return StepResult(sid, title, recorded, NO_CLAIM, note="the record itself (checked above)")
    if sid in ("connect", "credential_report"):
        return StepResult(sid, title, recorded, NO_CLAIM, note="a read, not a change to the account")
    if status == "retired":
        return StepResult(sid, title, recorded, NO_CLAIM, note="retired by AWS: nothing to re-check")
    if status not in CLAIMS:
        why = f"reason: {step.get('reason')}" if step.get("reason") else f"{recorded}: nothing was claimed"
        return StepResult(sid, title, recorded, NO_CLAIM, note=why)

    recorded_keys = {k: evidence[k] for k in SUMMARY_LABELS if isinstance(evidence.get(k), int)}
    if sid == "root_mfa":
        return result(_summary_checks(recorded_keys or {"AccountMFAEnabled": 1}, now))
    if sid == "root_access_keys":
        keys = dict(recorded_keys or {"AccountAccessKeysPresent": 0})
        if "AccountSigningCertificatesPresent" in before_root:
            keys.setdefault("AccountSigningCertificatesPresent", before_root["AccountSigningCertificatesPresent"])
        return result(_summary_checks(keys, now))
    if sid == "root_password":
        keys = dict(recorded_keys)
        if not keys and "AccountPasswordPresent" in before_root:
            keys["AccountPasswordPresent"] = before_root["AccountPasswordPresent"]
        checks = _summary_checks(keys, now)
        if status == "confirmed":
            checks.append(Check("that the root password was changed", CANNOT_VERIFY, detail=OPERATOR_ONLY))
        return result(checks, operator_claim=status == "confirmed")
    if sid == "password_policy":
        expected = evidence.get("after")
        if not isinstance(expected, Mapping):
            return result([Check("password policy", CANNOT_VERIFY, detail="the record holds no applied policy")])
        return result(_policy_checks(expected, now))
    if sid == "alternate_contacts":
        present = evidence.get("present")
        if not isinstance(present, Mapping):
            return result([Check("alternate contacts", CANNOT_VERIFY, detail=OPERATOR_ONLY)], operator_claim=True)
        return result(_contact_checks(present, now))
    if sid == "iam_user_mfa":
        checks = _mfa_checks(evidence, before_state, now)
        return result(checks or [Check("IAM user MFA", CANNOT_VERIFY, detail="the record names no device")])
    if recorded_keys:  # e.g. not_applicable: root credentials removed
        return result(_summary_checks(recorded_keys, now))
    return result([Check(title, CANNOT_VERIFY, detail=OPERATOR_ONLY)], operator_claim=True)


OpenFindings = Callable[[AfterState], list[dict[str, Any]]]


def compare(record: Mapping[str, Any], now: AfterState,
            open_now: OpenFindings | None = None) -> tuple[list[StepResult], list[Check]]:
    """Each step of the record against ``now``; and the findings the record shows closed
    that are open again (when the record has a residual-risk list and ``open_now``)."""
    body = record["body"]
    before_state = body.get("after_state") if isinstance(body.get("after_state"), Mapping) else None
    steps = [compare_step(s, before_state, now) for s in body.get("steps") or () if isinstance(s, Mapping)]
    findings: list[Check] = []
    residual = body.get("residual_risk")
    if open_now is not None and isinstance(residual, list):
        was_open = {f.get("id") for f in residual if isinstance(f, Mapping)}
        for f in open_now(now):
            if f["id"] not in was_open:
                findings.append(Check(f"{f['title']} [{f['id']}]", CHANGED, "closed", "open",
                                      "live reads", ", ".join(map(str, f.get("subjects") or []))))
    return steps, findings


def verify(record: Mapping[str, Any], path: Path, now: AfterState, caller_arn: str, integrity: Integrity,
           open_now: OpenFindings | None = None) -> VerifyResult:
    steps, findings = compare(record, now, open_now)
    return VerifyResult(record=str(path), account_id=str(record["body"]["account_id"]),
                        exported_at=record.get("exported_at") or record["body"].get("exported_at"),
                        integrity=integrity, read_at=now.read_at, caller_arn=caller_arn,
                        steps=tuple(steps), findings=tuple(findings), missing=dict(now.missing))


__all__ = ["CANNOT_VERIFY", "CHANGED", "NO_CLAIM", "STILL_TRUE", "Check", "Integrity", "StepResult",
           "VerdictReport", "VerifyResult", "body_hash", "check_integrity", "compare", "compare_step", "tally",
           "verify"]
