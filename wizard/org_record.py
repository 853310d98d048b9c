"""The organization completion record, and its check by ``rootwizard verify``.

A record (wizard.record: version 2, RFC 8785-hashed body, optional SSH signature) whose
body has ``"kind": "organization"``: one section per member account (its verdict, what
was read, and the before/after of any remediation) and a summary (counts by verdict,
accounts skipped or not read and why). ``account_id`` is the management account and
``steps`` is empty, so the record loads wherever a single-account record does.

``verify`` re-audits each account the record makes a claim about (AssumeRoot with
IAMAuditRootUserCredentials, as ``org audit``) and says per account: still true, changed
(recorded → now), cannot verify (the error named) or no claim (skipped / not read).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard import __version__
from wizard.errors import InputError
from wizard.record import (
    CANONICALIZATION,
    HASH_ALGORITHM,
    machine_block,
    make_record,
    to_json_text,
)
from wizard.record_verify import (
    CANNOT_VERIFY,
    CHANGED,
    LABELS,
    NO_CLAIM,
    STILL_TRUE,
    Check,
    Integrity,
    VerdictReport,
    tally,
)
from wizard.text import md, visible

KIND = "organization"
CLAIMED = ("no_root_credentials", "credentials_present")  # verdicts that say what root holds
AUDIT_SOURCE = "sts:AssumeRoot (IAMAuditRootUserCredentials)"
MARKDOWN_SUFFIXES = (".md", ".markdown")


def is_org_record(record: Mapping[str, Any]) -> bool:
    body = record.get("body")
    return isinstance(body, Mapping) and body.get("kind") == KIND


# -- building ----------------------------------------------------------------------------------


def _section(row: Mapping[str, Any], remediation: Mapping[str, Any] | None) -> dict[str, Any]:
    """One account: the state the record claims is the read-back after a remediation, else the audit's."""
    state = (remediation or {}).get("after") or row
    return {"account_id": row["account_id"], "name": row.get("name") or "", "status": row.get("status") or "",
            "verdict": state["verdict"], "read": dict(state), "remediation": remediation}


def build_org_body(audit: Mapping[str, Any] | None = None, remediations: list[Mapping[str, Any]] | None = None,
                   *, sandbox: bool = False) -> dict[str, Any]:
    """The hashed body from ``OrgAudit.to_json()`` and/or ``OrgRemediation.to_json()``s (the
    latest remediation of an account wins; accounts only remediated get their own section)."""
    remediations = remediations or []
    source = audit or (remediations[-1] if remediations else None)
    if source is None:
        raise InputError("Nothing to record: audit the organization first.", field="record")
    by_account: dict[str, Mapping[str, Any]] = {}
    for run in remediations:
        for r in run.get("accounts") or ():
            by_account[str(r["account_id"])] = r
    sections = [_section(row, by_account.pop(str(row["account_id"]), None))
                for row in (audit or {}).get("accounts") or ()]
    sections += [_section(r["before"], r) for r in by_account.values()]
    sections.sort(key=lambda s: s["account_id"])
    counts: dict[str, int] = {}
    for s in sections:
        counts[s["verdict"]] = counts.get(s["verdict"], 0) + 1
    summary = {
        "accounts": len(sections),
        "counts": counts,
        "skipped": [{"account_id": s["account_id"], "reason": s["read"].get("note") or ""}
                    for s in sections if s["verdict"] == "skipped"],
        "not_read": [{"account_id": s["account_id"], "error": s["read"].get("error") or ""}
                     for s in sections if s["verdict"] == "error"],
        "remediated": [s["account_id"] for s in sections if s["remediation"]],
        "remediations_verified": all(bool(s["remediation"].get("verified")) for s in sections if s["remediation"]),
        "audit_complete": bool(audit.get("complete", True)) if audit else None,
    }
    return {
        "kind": KIND,
        "account_id": source.get("management_account_id") or "",
        "organization_id": source.get("organization_id") or "",
        "management_account_id": source.get("management_account_id") or "",
        "caller_arn": source.get("caller_arn") or "",
        "features": list((audit or {}).get("features") or []),
        "tool": "rootwizard",
        "tool_version": __version__,
        "sandbox": sandbox,
        "started_at": (audit or {}).get("started_at"),
        "finished_at": (audit or {}).get("finished_at"),
        "steps": [],
        "accounts": sections,
        "password_recovery": [p for run in remediations for p in run.get("password_recovery") or ()],
        "summary": summary,
    }


def build_org_record(audit: Mapping[str, Any] | None = None, remediations: list[Mapping[str, Any]] | None = None,
                     *, sandbox: bool = False, now: str | None = None) -> dict[str, Any]:
    return make_record(build_org_body(audit, remediations, sandbox=sandbox), now=now)


def format_for(path: Path) -> str:
    return "markdown" if path.suffix.lower() in MARKDOWN_SUFFIXES else "json"


def export_org_record(record: dict[str, Any], path: Path, *, force: bool = False,
                      sign_key: str | None = None) -> Path | None:
    """Write the record (Markdown for ``.md``, else JSON) and its signature when asked.
    Returns the signature's path."""
    from wizard.record_flow import write_record

    text = to_org_markdown(record) if format_for(path) == "markdown" else to_json_text(record)
    return write_record(record, text, path, force=force, sign_key=sign_key)


def export_session_record(session: Any) -> tuple[Path, str]:
    """Blocking: the organization view's record (its audit and remediations) as JSON in the
    state folder, ``STATE_DIR/<management account>/org-record-<UTC time>.json``. Returns
    the file and the body's hash."""
    from wizard.session import OrgAuditStore

    if session.context is None or (session.audit is None and not session.remediations):
        raise InputError("Nothing to record yet: audit the organization first.", field="record")
    record = build_org_record(session.audit.to_json() if session.audit else None,
                              [r.to_json() for r in session.remediations], sandbox=bool(session.demo))
    store = OrgAuditStore(session.state_dir, session.context.management_account_id)
    return store.save_record(to_json_text(record)), str(record["body_sha256"])


# -- Markdown ----------------------------------------------------------------------------------


def _state_text(row: Mapping[str, Any] | None) -> str:
    """An account row (AccountAudit.to_json()) in words."""
    if not row:
        return "not read"
    verdict = row.get("verdict")
    if verdict == "skipped":
        return f"skipped: {row.get('note') or ''}"
    if verdict == "error":
        return f"not read: {row.get('error') or ''}"
    parts = []
    if row.get("password_present"):
        parts.append("password")
    if row.get("mfa_devices"):
        parts.append(f"{row['mfa_devices']} MFA device(s)")
    parts += [f"access key {k.get('id')} ({str(k.get('status') or '').lower()})" for k in row.get("access_keys") or ()]
    if row.get("signing_certificates"):
        parts.append(f"{row['signing_certificates']} signing certificate(s)")
    return ", ".join(parts) or "no root credentials"


def to_org_markdown(record: Mapping[str, Any]) -> str:
    b = record["body"]
    s = b["summary"]
    lines = [f"# AWS organization security record: {md(b['organization_id'])}", "",
             *(["> **SANDBOX**: this record comes from the rootwizard sandbox organization, not AWS.", ""]
               if b.get("sandbox") else []),
             f"- Organization: {md(b['organization_id'])}; management account {md(b['management_account_id'])}",
             f"- Operator (caller ARN): {md(b['caller_arn'])}",
             f"- Root features enabled: {md(', '.join(b.get('features') or []) or 'not read')}",
             f"- Tool: rootwizard {md(b['tool_version'])}",
             f"- Audit started {md(b.get('started_at') or '-')}, finished {md(b.get('finished_at') or '-')}",
             f"- Exported: {md(record.get('exported_at'))} (record version {md(record['record_version'])}, "
             "Markdown; the JSON export of the same state has the same body and hash)", "",
             "## Summary", "",
             f"{md(s['accounts'])} accounts: " + ", ".join(f"{md(n)} {md(v.replace('_', ' '))}"
                                                           for v, n in sorted(s["counts"].items())), ""]
    lines += [f"- Skipped {md(x['account_id'])}: {md(x['reason'])}" for x in s["skipped"]]
    lines += [f"- Not read {md(x['account_id'])}: {md(x['error'])}" for x in s["not_read"]]
    if s["remediated"]:
        lines.append(f"- Remediated: {md(', '.join(s['remediated']))} (every removal read back: "
                     f"{'yes' if s['remediations_verified'] else 'NO'})")
    lines += ["", "## Accounts", ""]
    for a in b["accounts"]:
        lines += [f"### {md(a['account_id'])} {md(a['name'])}", "",
                  f"- Status: {md(a['status'])}; verdict: **{md(a['verdict'].replace('_', ' '))}**",
                  f"- Read: {md(_state_text(a['read']))} (at {md(a['read'].get('audited_at') or '-')})"]
        rem = a.get("remediation")
        if rem:
            lines += [f"- Before remediation: {md(_state_text(rem.get('before')))}",
                      "- Removed: " + (md("; ".join(f"{o.get('action')} {o.get('target')}"
                                                     + ("" if o.get("ok") else f" FAILED: {o.get('error')}")
                                                     for o in rem.get("outcomes") or ())) or "nothing"),
                      f"- After (read back): {md(_state_text(rem.get('after')))}; verified: "
                      f"{'yes' if rem.get('verified') else 'NO'}"]
        lines.append("")
    for p in b.get("password_recovery") or ():
        lines.append(f"- Password recovery allowed for {md(p.get('account_id'))}: "
                     f"{'verified' if p.get('verified') else 'NOT verified'}")
    lines += ["## Integrity", "",
              f"{HASH_ALGORITHM} of the body, canonicalised by {CANONICALIZATION}: `{md(record['body_sha256'])}`",
              "", "`rootwizard verify` checks the hash (and the signature, a `.sig` file beside the record) "
              "and re-audits each account.", "", *machine_block(record)]
    return "\n".join(lines)


# -- verify ------------------------------------------------------------------------------------


def _keys(row: Mapping[str, Any]) -> list[str]:
    return sorted(f"{k.get('id')} ({k.get('status')})" for k in row.get("access_keys") or ())


COMPARED = (
    ("root password present", lambda r: r.get("password_present"), "iam:GetLoginProfile"),
    ("root MFA devices", lambda r: sorted(r.get("mfa_serial_numbers") or []) or r.get("mfa_devices"),
     "iam:ListMFADevices"),
    ("root access keys", _keys, "iam:ListAccessKeys"),
    ("root signing certificates", lambda r: sorted(r.get("signing_certificate_ids") or [])
     or r.get("signing_certificates"), "iam:ListSigningCertificates"),
    ("verdict", lambda r: r.get("verdict"), AUDIT_SOURCE),
)


@dataclass(frozen=True)
class AccountResult:
    account_id: str
    name: str
    recorded: str          # the record's verdict
    verdict: str           # still_true / changed / cannot_verify / no_claim
    checks: tuple[Check, ...] = ()
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "name": self.name, "recorded": self.recorded,
                "verdict": self.verdict, "note": self.note, "checks": [c.to_json() for c in self.checks]}

    def text(self) -> str:
        return visible(f"{self.account_id} {self.name}: {LABELS[self.verdict]} (recorded: "
                        f"{self.recorded.replace('_', ' ')})" + (f", {self.note}" if self.note else ""))


def compare_account(section: Mapping[str, Any], now: Mapping[str, Any] | None) -> AccountResult:
    """One section of the record against the account's row read now (``AccountAudit.to_json()``,
    None when the account is no longer in the organization)."""
    account_id, name, recorded = str(section["account_id"]), str(section.get("name") or ""), str(section["verdict"])
    claimed: Mapping[str, Any] = section.get("read") or {}
    if recorded not in CLAIMED:
        note = (f"skipped at export: {claimed.get('note') or ''}" if recorded == "skipped"
                else f"not read at export: {claimed.get('error') or ''}")
        return AccountResult(account_id, name, recorded, NO_CLAIM, note=note)
    if now is None:
        return AccountResult(account_id, name, recorded, CANNOT_VERIFY,
                             note="no longer an account of the organization")
    if now.get("verdict") not in CLAIMED:
        why = now.get("note") if now.get("verdict") == "skipped" else now.get("error")
        return AccountResult(account_id, name, recorded, CANNOT_VERIFY, note=visible(f"cannot read it now: {why}"))
    checks = tuple(Check(what, STILL_TRUE if get(claimed) == get(now) else CHANGED, get(claimed), get(now), src)
                   for what, get, src in COMPARED)
    verdict = CHANGED if any(c.verdict == CHANGED for c in checks) else STILL_TRUE
    return AccountResult(account_id, name, recorded, verdict, checks)


@dataclass(frozen=True)
class OrgVerifyResult(VerdictReport):
    record: str
    organization_id: str
    exported_at: str | None
    integrity: Integrity
    read_at: str | None = None
    caller_arn: str | None = None
    accounts: tuple[AccountResult, ...] = ()

    OK_TEXT = "Every account the record makes a claim about still matches it."

    def verdicts(self) -> list[str]:
        return [a.verdict for a in self.accounts]

    def drift_text(self) -> str:
        changed = [a.account_id for a in self.accounts if a.verdict == CHANGED]
        return f"Drift: {len(changed)} account(s) no longer match the record: {', '.join(changed)}."

    def to_json(self) -> dict[str, Any]:
        return {"record": self.record, "kind": KIND, "organization_id": self.organization_id,
                "exported_at": self.exported_at, "integrity": self.integrity.to_json(), "read_at": self.read_at,
                "caller_arn": self.caller_arn, "accounts": [a.to_json() for a in self.accounts],
                "counts": self.counts, "outcome": self.outcome, "exit_code": self.exit_code}

    def text_lines(self) -> list[str]:
        lines = self.integrity.text_lines(self.record, f"organization {self.organization_id}", self.exported_at)
        if self.read_at:
            lines.append(visible(f"Accounts re-audited from {self.read_at} as {self.caller_arn}"))
        lines.append("")
        for a in self.accounts:
            lines.append(a.text())
            lines += [f"    {c.text()}" for c in a.checks if c.verdict == CHANGED]
        return [*lines, "", tally(self.outcome, self.counts)]

    def to_markdown(self) -> str:
        lines = [f"# Drift report: AWS organization {md(self.organization_id)}", "",
                 *self.integrity.markdown_lines(self.record, self.exported_at),
                 f"- Accounts re-audited from {md(self.read_at)} as {md(self.caller_arn)}", "",
                 f"**{md(self.outcome)}**", "",
                 "| Account | Name | Recorded | Now | What AWS shows |", "|---|---|---|---|---|"]
        for a in self.accounts:
            shown = "<br>".join(md(c.text()) for c in a.checks if c.verdict == CHANGED) or md(a.note)
            lines.append("| " + " | ".join((md(a.account_id), md(a.name), md(a.recorded.replace("_", " ")),
                                             md(LABELS[a.verdict]), shown)) + " |")
        return "\n".join(lines) + "\n"


def verify_org(record: Mapping[str, Any], path: Path, aws: Any, integrity: Integrity,
               concurrency: int = 8) -> OrgVerifyResult:
    """Blocking: re-audit each account the record makes a claim about and compare."""
    from wizard.organizations import audit_accounts, list_accounts, prepare_audit, utc_now_iso

    body = record["body"]
    ctx = prepare_audit(aws)
    if ctx.organization_id != body.get("organization_id"):
        raise InputError(f"The record is of organization {body.get('organization_id')}, but the credentials are "
                         f"of organization {ctx.organization_id}.", field="record")
    sections = [s for s in body.get("accounts") or () if isinstance(s, Mapping) and "account_id" in s]
    members = {a.account_id: a for a in list_accounts(aws)}
    wanted = [members[str(s["account_id"])] for s in sections
              if s.get("verdict") in CLAIMED and str(s["account_id"]) in members]
    read_at = utc_now_iso()
    aws.pool_size = max(aws.pool_size, concurrency)
    now = {row.account_id: row.to_json() for row in audit_accounts(aws, wanted, concurrency)}
    results = tuple(compare_account(s, now.get(str(s["account_id"]))) for s in sections)
    return OrgVerifyResult(str(path), str(body.get("organization_id")), record.get("exported_at"), integrity,
                           read_at, ctx.caller_arn, results)


__all__ = ["KIND", "AccountResult", "OrgVerifyResult", "build_org_body", "build_org_record", "compare_account",
           "export_org_record", "export_session_record", "is_org_record", "to_org_markdown", "verify_org"]
