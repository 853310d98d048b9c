"""The completion record: what was done to the account, with evidence, as JSON or Markdown.

The JSON record is ``{"record_version", "body": {...}, "body_sha256"}``; the hash is the
SHA-256 of the body serialised canonically (``json.dumps(body, sort_keys=True,
separators=(",", ":"), ensure_ascii=False)`` in UTF-8), so any later edit shows.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from wizard import __version__
from wizard.checklist import STATUS_LABELS, STEPS_BY_ID, Checklist, iso, utcnow
from wizard.errors import InputError, WizardError

RECORD_VERSION = 1


def canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def build_record(cl: Checklist, *, now: str | None = None) -> dict[str, Any]:
    steps = []
    for sid in cl.order():
        rec = cl.step(sid)
        steps.append({
            "id": sid,
            "title": STEPS_BY_ID[sid].title,
            "status": rec.status.value,
            "status_label": STATUS_LABELS[rec.status],
            "verified_by": rec.evidence_source,
            "changed_at": rec.changed_at,
            "changed_by": rec.changed_by,
            "evidence": rec.evidence,
            "note": rec.note,
            "reason": rec.reason,
            "error": rec.error,
        })
    body = {
        "account_id": cl.account_id,
        "caller_arn": cl.caller_arn,
        "tool": "rootwizard",
        "tool_version": __version__,
        "sandbox": cl.sandbox,
        "started_at": cl.started_at,
        "finished_at": cl.finished_at,
        "exported_at": now or iso(utcnow()),
        "steps": steps,
        "findings_before": cl.findings_before,
        "findings_after": cl.findings_after,
    }
    return {"record_version": RECORD_VERSION, "body": body,
            "body_sha256": hashlib.sha256(canonical(body)).hexdigest()}


def verify_record(record: dict[str, Any]) -> bool:
    return hashlib.sha256(canonical(record["body"])).hexdigest() == record.get("body_sha256")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _evidence_text(ev: dict[str, Any]) -> str:
    return "; ".join(f"{k}: {json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v}"
                     for k, v in ev.items())


def _findings_lines(title: str, f: dict[str, Any] | None) -> list[str]:
    lines = [f"### {title}", ""]
    if not f:
        return lines + ["No credential report was analysed.", ""]
    root = f.get("root", {})
    lines += [
        f"- Report generated: {f.get('generated_time') or 'unknown'}",
        f"- Root MFA active: {'yes' if root.get('mfa_active') else 'no'}",
        f"- Root access keys present: {root.get('access_keys_present', 0)} (active {root.get('access_keys_active', 0)})",
        f"- IAM users: {f.get('user_count', 0)}; console users without MFA: "
        f"{len(f.get('console_users_without_mfa', []))}",
        f"- Active access keys older than 90 days: {len(f.get('access_keys_older_than_90_days', []))}",
        f"- Credentials unused for more than 45 days: {len(f.get('unused_credentials_over_45_days', []))}",
        "",
    ]
    return lines


def to_markdown(record: dict[str, Any]) -> str:
    b = record["body"]
    lines = [
        f"# AWS account security record: {b['account_id']}",
        "",
        *(["> **SANDBOX**: this record comes from the rootwizard sandbox, not a real AWS account.", ""]
          if b.get("sandbox") else []),
        f"- Account: `{b['account_id']}`",
        f"- Operator (caller ARN): `{b['caller_arn']}`",
        f"- Tool: rootwizard {b['tool_version']}",
        f"- Started: {b['started_at']}",
        f"- Finished: {b.get('finished_at') or 'not finished'}",
        f"- Exported: {b['exported_at']}",
        "",
        "## Steps",
        "",
        "| Step | Outcome | Verified by | When | Evidence | Notes |",
        "|---|---|---|---|---|---|",
    ]
    for s in b["steps"]:
        notes = " ".join(x for x in (s["note"], f"Reason: {s['reason']}" if s["reason"] else "",
                                     f"Error: {s['error']}" if s["error"] else "") if x)
        lines.append("| " + " | ".join(_cell(x) for x in (
            s["title"], s["status_label"], s["verified_by"] or "", s["changed_at"] or "",
            _evidence_text(s["evidence"]), notes)) + " |")
    lines += ["", "Outcomes: *done (verified)* means the wizard read the result back from AWS; "
              "*confirmed by operator* means no AWS API can show it and the operator confirmed it.", "",
              "## Findings", ""]
    lines += _findings_lines("Before", b.get("findings_before"))
    lines += _findings_lines("After", b.get("findings_after"))
    lines += ["## Integrity", "",
              f"SHA-256 of the JSON record body: `{record['body_sha256']}`", ""]
    return "\n".join(lines)


def render(record: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(record, indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return to_markdown(record)
    raise InputError(f"Unknown format {fmt!r}: use json or markdown.", field="format")


def write_export(text: str, path: Path, *, force: bool = False) -> None:
    """Write an export; an existing file is only replaced with ``force``."""
    from wizard.session import atomic_write

    try:
        atomic_write(path, text.encode("utf-8"), overwrite=force)
    except FileExistsError:
        raise WizardError(f"{path} already exists.", hint="Use --force to overwrite it.") from None
    except (FileNotFoundError, NotADirectoryError):
        raise WizardError(f"Cannot write {path}: its folder does not exist.") from None
    except PermissionError:
        raise WizardError(f"Cannot write {path}: permission denied.") from None
    except OSError as exc:
        raise WizardError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    except ValueError:  # e.g. an embedded NUL in the path
        raise WizardError("That is not a usable file name.") from None
