"""The completion record: what was done to the account, with evidence, as JSON or Markdown.

Record version 2 (``RECORD_VERSION``)::

    {"record_version": 2, "exported_at": "…", "hash_algorithm": "SHA-256",
     "canonicalization": "RFC 8785 (JCS)", "body_sha256": "…", "body": {…}}

The body holds the session state only: no export time, no output format, so the JSON and
the Markdown export of the same state carry the same ``body_sha256``. The hash is the
SHA-256 of the body canonicalised by RFC 8785 (JCS). The body is built so that JCS and
``json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` give the
same bytes: every number is an integer of at most 2**53 - 1 (a fractional value is written
as a string), every key is ASCII, and no text holds U+007F (written as U+FFFD), so ``jq
-jcS .body`` gives them too. Version 1 records (``exported_at`` inside the body, the same
serialisation) still load for ``rootwizard verify``.

The Markdown export ends with the JSON record in a fenced block, so ``verify`` reads it too.
"""

from __future__ import annotations

import errno
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from wizard import __version__
from wizard.checklist import STEPS_BY_ID, Checklist, iso, status_label, utcnow
from wizard.errors import InputError, WizardError
from wizard.files import FileError, atomic_write, read_regular, remove_stale_temps, temp_prefix
from wizard.text import md, md_code

RECORD_VERSION = 2
READABLE_VERSIONS = (1, 2)
HASH_ALGORITHM = "SHA-256"
CANONICALIZATION = "RFC 8785 (JCS)"
SUMMARY_NOTE = ("Closed by exporting this record: its export time and hash are kept outside the "
                "hashed body.")
MD_MARKER = "<!-- rootwizard-record: the JSON record; `rootwizard verify` reads this block -->"
_MAX_INT = 2**53 - 1


class RecordError(InputError):
    """A file that is not a usable completion record (bad input: exit 2)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message, field="record", hint=hint)


# -- canonical form ----------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """The body's data model: dicts with str keys, lists, str, int (|n| < 2**53), bool, None.
    Other numbers become integers when whole, else strings; U+007F and lone surrogates in
    texts become U+FFFD (jq escapes DEL, JCS does not: keep both tools in agreement)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) <= _MAX_INT else str(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) <= _MAX_INT else repr(value)
    if isinstance(value, str):
        text = value.replace("\x7f", "\ufffd")
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace") if any(
            "\ud800" <= c <= "\udfff" for c in text) else text
    if isinstance(value, Mapping):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return _plain(str(value))


def _jcs_order(value: Any) -> Any:
    """Dicts re-inserted in RFC 8785 key order (UTF-16 code units; = code points for ASCII)."""
    if isinstance(value, dict):
        return {k: _jcs_order(value[k]) for k in sorted(value, key=lambda k: k.encode("utf-16-be"))}
    if isinstance(value, list):
        return [_jcs_order(v) for v in value]
    return value


def canonical(body: Mapping[str, Any]) -> bytes:
    """The bytes that are hashed (and signed): RFC 8785 for the body's data model."""
    return json.dumps(_jcs_order(body), separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8", "surrogatepass")


def body_hash(body: Mapping[str, Any]) -> str:
    try:
        return hashlib.sha256(canonical(body)).hexdigest()
    except (ValueError, TypeError):  # a float NaN, a non-JSON value: nothing we wrote
        return ""


# -- building ----------------------------------------------------------------------------------


def _step_entry(cl: Checklist, sid: str) -> dict[str, Any]:
    rec = cl.step(sid)
    if sid == "summary":  # the export itself: its hash cannot be inside what it hashes
        return {"id": sid, "title": STEPS_BY_ID[sid].title, "status": "done",
                "status_label": "done (this record)", "verified_by": "rootwizard", "changed_at": None,
                "changed_by": None, "evidence": {}, "note": SUMMARY_NOTE, "reason": "", "error": ""}
    return {
        "id": sid,
        "title": STEPS_BY_ID[sid].title,
        "status": rec.status.value,
        "status_label": status_label(rec),
        "verified_by": rec.evidence_source,
        "changed_at": rec.changed_at,
        "changed_by": rec.changed_by,
        "evidence": rec.evidence,
        "note": rec.note,
        "reason": rec.reason,
        "error": rec.error,
    }


def completion(cl: Checklist, residual: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The record's one-line outcome. Never "all done" while a critical or high finding is
    open, nor when the after-state (and so the open findings) is unknown."""
    closed, total = cl.progress()
    counts = {s: 0 for s in ("critical", "high", "medium", "low")}
    for f in residual or ():
        counts[f.get("severity", "low")] = counts.get(f.get("severity", "low"), 0) + 1
    serious = counts["critical"] + counts["high"]
    if closed < total:
        verdict = f"Not complete: {closed} of {total} steps closed."
    elif residual is None:
        verdict = f"All {total} steps closed; the after-state was not read, so open findings are unknown."
    elif serious:
        verdict = (f"All {total} steps closed, but {serious} critical or high finding(s) remain open "
                   "(see the residual risk).")
    else:
        verdict = f"All {total} steps closed; no critical or high finding open."
    return {"steps_closed": closed, "steps_total": total, "open_findings": counts,
            "all_done": closed == total and residual is not None and serious == 0, "verdict": verdict}


def build_body(cl: Checklist, residual: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The hashed body: the session state, nothing about this particular export."""
    body = {
        "account_id": cl.account_id,
        "caller_arn": cl.caller_arn,
        "tool": "rootwizard",
        "tool_version": __version__,
        "sandbox": cl.sandbox,
        "started_at": cl.started_at,
        "finished_at": cl.finished_at,
        "completion": completion(cl, residual),
        "steps": [_step_entry(cl, sid) for sid in cl.order()],
        "after_state": cl.after_state,
        "residual_risk": residual,
        "findings_before": cl.findings_before,
        "findings_after": cl.findings_after,
    }
    return _plain(body)


def build_record(cl: Checklist, *, now: str | None = None,
                 residual: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return make_record(build_body(cl, residual), now=now)


def make_record(body: Mapping[str, Any], *, now: str | None = None) -> dict[str, Any]:
    """The record around a body (any kind: one account's session, an organization's audit):
    the body in the data model above, its hash, and the export time outside it."""
    body = _plain(body)
    return {"record_version": RECORD_VERSION, "exported_at": now or iso(utcnow()),
            "hash_algorithm": HASH_ALGORITHM, "canonicalization": CANONICALIZATION,
            "body_sha256": body_hash(body), "body": body}


def verify_record(record: Mapping[str, Any]) -> bool:
    """The body's hash matches ``body_sha256`` (version 1 and 2 hash the same serialisation)."""
    body = record.get("body")
    return isinstance(body, Mapping) and bool(record.get("body_sha256")) and \
        body_hash(body) == record.get("body_sha256")


# -- loading -----------------------------------------------------------------------------------


def _embedded_json(text: str) -> str:
    """The JSON record at the end of a Markdown export."""
    at = text.rfind(MD_MARKER)
    if at < 0:
        raise RecordError("This Markdown file holds no machine-readable record (a version 1 Markdown "
                          "export has none).", hint="Verify the JSON export of the same session instead.")
    m = re.search(r"^```json\n(.*?)^```\s*$", text[at:], re.S | re.M)
    if not m:
        raise RecordError("The record block at the end of this Markdown file is damaged.")
    return m.group(1)


def parse_record(raw: bytes) -> dict[str, Any]:
    """A record from the bytes of a JSON or Markdown export. Raises RecordError saying
    why the file is not a record this version can read."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RecordError("The file is not UTF-8 text, so not a completion record.") from None
    if text.lstrip().startswith("#") or MD_MARKER in text:
        text = _embedded_json(text)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(f"The file is not a completion record: not JSON (line {exc.lineno}, "
                          f"column {exc.colno}).") from None
    if not isinstance(doc, dict) or "record_version" not in doc or not isinstance(doc.get("body"), dict):
        raise RecordError("The file is not a rootwizard completion record.")
    version = doc["record_version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise RecordError(f"The record has an invalid record_version ({version!r}).")
    if version not in READABLE_VERSIONS:
        raise RecordError(f"The record was written by a newer rootwizard (record_version {version}; this "
                          f"version reads {', '.join(map(str, READABLE_VERSIONS))}).", hint="Upgrade rootwizard.")
    body = doc["body"]
    if not isinstance(body.get("account_id"), str) or not isinstance(body.get("steps"), list):
        raise RecordError("The record's body has no account_id or steps.")
    return doc


RECORD_MAX_BYTES = 256 * 1024 * 1024


def read_record(path: Path) -> dict[str, Any]:
    """A record file the operator named: a regular file only (wizard.files), never a FIFO or
    a device that would block or stream forever."""
    try:
        raw = read_regular(path, limit=RECORD_MAX_BYTES)
    except FileError as exc:
        messages = {errno.ENOENT: f"{path}: no such file.", errno.EISDIR: f"{path} is a folder, not a record.",
                    errno.EACCES: f"{path}: permission denied."}
        raise RecordError(messages.get(exc.errno or 0, f"{path} cannot be read: {exc.strerror}.")) from None
    return parse_record(raw)


# -- Markdown ----------------------------------------------------------------------------------

def _value_text(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True)


def _evidence_text(ev: Mapping[str, Any]) -> str:
    return "; ".join(f"{k}: {_value_text(v)}" for k, v in ev.items())


def _findings_lines(title: str, f: Mapping[str, Any] | None) -> list[str]:
    lines = [f"### {title}", ""]
    if not f:
        return lines + ["No credential report was analysed.", ""]
    root = f.get("root", {})
    return lines + [
        f"- Report generated: {md(f.get('generated_time') or 'unknown')}",
        f"- Root MFA active: {'yes' if root.get('mfa_active') else 'no'}",
        f"- Root access keys present: {md(root.get('access_keys_present', 0))} "
        f"(active {md(root.get('access_keys_active', 0))})",
        f"- IAM users: {md(f.get('user_count', 0))}; console users without MFA: "
        f"{len(f.get('console_users_without_mfa', []))}",
        f"- Active access keys older than 90 days: {len(f.get('access_keys_older_than_90_days', []))}",
        f"- Credentials unused for more than 45 days: {len(f.get('unused_credentials_over_45_days', []))}",
        "",
    ]


def _after_lines(a: Mapping[str, Any] | None) -> list[str]:
    if not a:
        return ["Not read: the after-state is read from AWS on the summary screen (or with "
                "`rootwizard export --live`).", ""]
    lines = [f"Read from AWS ({md(a.get('source'))}) at {md(a.get('read_at'))}.", ""]
    root = a.get("root")
    if root is not None:
        lines.append("- Root (iam:GetAccountSummary): " + ", ".join(
            f"{key} {md(root[key]) if key in root else 'not reported'}"
            for key in ("AccountMFAEnabled", "AccountAccessKeysPresent", "AccountPasswordPresent",
                        "AccountSigningCertificatesPresent")))
    if a.get("policy_present") is False:
        lines.append("- Password policy: none (the AWS default applies)")
    elif a.get("password_policy"):
        lines.append("- Password policy: " + ", ".join(f"{md(k)} {md(_value_text(v))}"
                                                       for k, v in a["password_policy"].items()))
    if a.get("alternate_contacts") is not None:
        lines.append("- Alternate contacts: " + ", ".join(
            f"{md(t.lower())} {'set' if v else 'NOT set'}" for t, v in a["alternate_contacts"].items()))
    users = a.get("users")
    if users is not None:
        without = a.get("console_users_without_mfa") or []
        lines.append(f"- IAM users: {len(users)}; console users: {sum(1 for u in users if u.get('console'))}; "
                     f"console users without MFA: {len(without)}"
                     + (f" ({', '.join(md(n) for n in without)})" if without else ""))
    for part, permission in (a.get("missing") or {}).items():
        lines.append(f"- Not read: {md(part)} (needs {md(permission)})")
    rep = a.get("report")
    if rep:
        old = (" **older than the session's last change: it does not show those changes**"
               if rep.get("older_than_changes") else "")
        lines.append(f"- From the credential report generated {md(rep.get('generated_time'))}{old}: root "
                     f"password last used {md(rep.get('root_password_last_used') or 'never / no information')}")
    return lines + [""]


def _residual_lines(residual: list[Mapping[str, Any]] | None) -> list[str]:
    if residual is None:
        return ["Unknown: the after-state was not read.", ""]
    if not residual:
        return ["No finding is open in the after-state.", ""]
    lines = ["| Severity | Finding | Rule | CIS | Affected | Operator's reason |", "|---|---|---|---|---|---|"]
    from wizard.residual import cis_shown, entry_note

    for f in residual:
        cis = f.get("cis")
        affected = "; ".join(x for x in (", ".join(map(str, f.get("subjects") or [])), entry_note(f)) if x)
        lines.append("| " + " | ".join(md(x) for x in (
            f.get("severity"), f.get("title"), f.get("id"), cis_shown(cis if isinstance(cis, Mapping) else None),
            affected, f.get("skip_reason") or "")) + " |")
    return lines + [""]


def to_markdown(record: Mapping[str, Any]) -> str:
    b = record["body"]
    done = b.get("completion") or {}
    lines = [
        f"# AWS account security record: {md(b['account_id'])}",
        "",
        *(["> **SANDBOX**: this record comes from the rootwizard sandbox, not a real AWS account.", ""]
          if b.get("sandbox") else []),
        f"- Account: {md(b['account_id'])}",
        f"- Operator (caller ARN): {md(b['caller_arn'])}",
        f"- Tool: rootwizard {md(b['tool_version'])}",
        f"- Started: {md(b['started_at'])}",
        f"- Finished: {md(b.get('finished_at') or 'not finished')}",
        f"- Exported: {md(record.get('exported_at'))} (record version {md(record['record_version'])}, Markdown; "
        "the JSON export of the same session state has the same body and hash)",
        "",
        "## Outcome",
        "",
        f"**{md(done.get('verdict', ''))}**",
        "",
        "## Steps",
        "",
        "| Step | Outcome | Verified by | When | Evidence | Notes |",
        "|---|---|---|---|---|---|",
    ]
    for s in b["steps"]:
        notes = " ".join(x for x in (s["note"], f"Reason: {s['reason']}" if s["reason"] else "",
                                     f"Error: {s['error']}" if s["error"] else "") if x)
        lines.append("| " + " | ".join(md(x) for x in (
            s["title"], s["status_label"], s["verified_by"] or "", s["changed_at"] or "",
            _evidence_text(s["evidence"]), notes)) + " |")
    lines += ["", "Outcomes: *done (verified)* means the wizard read the result back from AWS; "
              "*confirmed by operator* means no AWS API can show it and the operator confirmed it.", "",
              "## After-state", ""]
    lines += _after_lines(b.get("after_state"))
    lines += ["## Residual risk", ""]
    lines += _residual_lines(b.get("residual_risk"))
    lines += ["## Findings of the credential reports", ""]
    lines += _findings_lines("Before", b.get("findings_before"))
    if b.get("findings_after"):
        lines += _findings_lines("Later report", b.get("findings_after"))
    lines += ["## Integrity", "",
              f"{HASH_ALGORITHM} of the body, canonicalised by {CANONICALIZATION}: "
              + md_code(record['body_sha256']),
              "",
              "The hash shows that the body is unchanged only when compared with a copy of the hash "
              "kept elsewhere (anyone who edits the body can compute a new one); it does not show who "
              "wrote the record. A signature (`rootwizard export --sign KEY`, a `.sig` file beside the "
              "record) shows which SSH key signed the body.",
              "",
              *machine_block(record)]
    return "\n".join(lines)


def machine_block(record: Mapping[str, Any]) -> list[str]:
    """The end of every Markdown export: the JSON record, which ``parse_record`` reads."""
    return ["## Machine-readable record", "", MD_MARKER, "", "```json", to_json_text(record).rstrip("\n"),
            "```", ""]


def to_json_text(record: Mapping[str, Any]) -> str:
    return json.dumps(record, indent=2, ensure_ascii=False) + "\n"


# The export formats (the one registry: the CLI's --format choices come from it).
FORMATS: dict[str, Callable[[Mapping[str, Any]], str]] = {"json": to_json_text, "markdown": to_markdown}


def render(record: Mapping[str, Any], fmt: str) -> str:
    if fmt not in FORMATS:
        raise InputError(f"Unknown format {fmt!r}: use {' or '.join(FORMATS)}.", field="format")
    return FORMATS[fmt](record)


def write_export(text: str, path: Path, *, force: bool = False) -> None:
    """Write an export; an existing file is only replaced with ``force``, and only when
    it is a regular file. Temporary files a killed export left next to it are removed."""
    try:
        remove_stale_temps(path.parent, f"{temp_prefix(path.name)}*.tmp")
        atomic_write(path, text.encode("utf-8"), overwrite=force)
    except FileError as exc:
        if exc.errno == errno.EEXIST:
            raise WizardError(f"{path} already exists.", hint="Use --force to overwrite it.") from None
        raise
    except ValueError:  # e.g. an embedded NUL in the path
        raise WizardError("That is not a usable file name.") from None
