"""The session files: where they are, what they hold, and how they are read.

Layout: ``STATE_DIR/<account_id>/session.json`` (the checklist), ``.../lock`` (held by
the running wizard), credential report copies, and ``session.json.corrupt-*`` files
moved aside when a session cannot be read (kept, never deleted). Folders are 0700,
files 0600; wizard.files does every read and write (atomic, regular files only,
nothing followed through a symlink).

A session file is untrusted input: whatever it holds (numbers of 5,000 digits, deep
nesting, NaN, entries of the wrong type, an unknown status) is a SessionError that
says where, never a crash; evidence and findings are plain JSON of bounded depth.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard.checklist import Checklist, Status, iso, utcnow
from wizard.errors import SessionError
from wizard.files import (
    FileError,
    atomic_write,
    ensure_private_dir,
    fsync_dir,
    open_regular,
    read_regular,
    remove_stale_temps,
    temp_prefix,
)

SCHEMA_VERSION = 1
SESSION_FILE = "session.json"
LOCK_FILE = "lock"
REPORT_PREFIX = "credential-report-"
# Far above any real session (findings of 5,000 users are a few MB): a bigger file is not ours.
MAX_SESSION_BYTES = 64 * 1024 * 1024
# Evidence and findings are flat records of a few levels; deeper nesting is not ours either.
MAX_DEPTH = 16
_ACCOUNT_RE = re.compile(r"^\d{12}$")


def default_state_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--state-dir, else ROOTWIZARD_STATE_DIR, else the platform's user state folder."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("ROOTWIZARD_STATE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_state_dir("rootwizard", appauthor=False))


def _move_aside(path: Path, label: str) -> Path:
    """Rename ``path`` to ``<name>.<label>-<UTC stamp>[-n]`` in its folder (kept, never
    deleted) and return the new path."""
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    dest = path.with_name(f"{path.name}.{label}-{stamp}")
    n = 1
    while dest.exists() or dest.is_symlink():
        n += 1
        dest = path.with_name(f"{path.name}.{label}-{stamp}-{n}")
    os.rename(path, dest)
    fsync_dir(path.parent)
    return dest


# The findings a session keeps (a megabyte of JSON for 5,000 users) are values a change
# replaces whole, never edits (see wizard.context._snapshot): each is encoded once, here,
# not at every save (that took 30 to 40 ms on the UI thread at every step's change).
_ENCODED: dict[int, tuple[Any, str]] = {}
_ENCODED_KEPT = 4
_SHARED_VALUES = ("findings_before", "findings_after")


def _dumps(value: Any) -> str:
    # Compact: json's C encoder only runs without indent. allow_nan=False: never write what
    # parse_session would refuse.
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def encoded(value: Any) -> str:
    """``value`` as session JSON, encoded once per object (kept for the last few)."""
    found = _ENCODED.get(id(value))
    if found is not None and found[0] is value:
        return found[1]
    text = _dumps(value)
    if value is not None:
        _ENCODED[id(value)] = (value, text)  # the value is held: its id is not reused meanwhile
        while len(_ENCODED) > _ENCODED_KEPT:
            del _ENCODED[next(iter(_ENCODED))]
    return text


def session_bytes(checklist: Checklist) -> bytes:
    """The session file's content: what json.dumps of {"schema_version", "session"} writes
    compactly, byte for byte, with the kept findings encoded once (``encoded``)."""
    fields = checklist.to_json()
    session = ",".join(f"{_dumps(k)}:{encoded(v) if k in _SHARED_VALUES else _dumps(v)}"
                       for k, v in fields.items())
    return f'{{"schema_version":{_dumps(SCHEMA_VERSION)},"session":{{{session}}}}}\n'.encode()


@dataclass
class SessionInfo:
    account_id: str
    path: Path
    started_at: str | None
    updated_at: str | None
    done: int
    total: int
    sandbox: bool
    problem: str = ""


class SessionLock:
    """An advisory lock (fcntl.flock) on the account folder: held while the wizard runs,
    released by the kernel when the process dies, however it dies."""

    def __init__(self, folder: Path, name: str = LOCK_FILE) -> None:
        self.path = folder / name
        self._fd: int | None = None

    def acquire(self) -> bool:
        import fcntl

        fd = open_regular(self.path, os.O_RDWR | os.O_CREAT, 0o600, verb="lock")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return False
            raise
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _take(lock: SessionLock, folder: Path, *names: str) -> bool:
    """Acquire ``lock`` (False when another process holds it), then remove the temp files
    of ``names`` in ``folder`` (glob patterns allowed) that no writer holds: what a killed
    write left behind."""
    if not lock.acquire():
        return False
    for name in names:
        remove_stale_temps(folder, f"{temp_prefix(name)}*.tmp")
    return True


class SessionStore:
    """Loads and saves one account's checklist."""

    def __init__(self, state_dir: Path, account_id: str) -> None:
        if not _ACCOUNT_RE.match(account_id):
            raise SessionError(f"Not an AWS account ID: {account_id!r}.")
        self.state_dir = state_dir
        self.account_id = account_id
        self.folder = state_dir / account_id
        self.path = self.folder / SESSION_FILE
        self.read_only = False
        self._lock = SessionLock(self.folder)

    def prepare(self) -> None:
        """The state folder and the account's folder exist, are ours and are 0700."""
        try:
            ensure_private_dir(self.state_dir)
            ensure_private_dir(self.folder)
        except FileError as exc:
            raise SessionError(f"Cannot use the session folder: {exc.message}",
                               hint="Choose another folder with --state-dir or ROOTWIZARD_STATE_DIR, "
                                    "then retry.") from None

    def lock(self) -> bool:
        """Take the account's lock; False when another running wizard holds it."""
        self.prepare()
        # What a killed write left behind: temporary session files and report copies.
        return _take(self._lock, self.folder, SESSION_FILE, f"{REPORT_PREFIX}*")

    def unlock(self) -> None:
        self._lock.release()

    def exists(self) -> bool:
        return self.path.exists() or self.path.is_symlink()

    def load(self) -> Checklist:
        """Read the saved session. Raises SessionError saying what is wrong."""
        return parse_session(read_session_file(self.path), expected_account=self.account_id)

    def save(self, checklist: Checklist) -> None:
        if self.read_only:
            raise SessionError("This session is open read-only; another wizard holds it.")
        if checklist.account_id != self.account_id:
            raise SessionError("Refusing to save another account's session here.")
        self.prepare()
        atomic_write(self.path, session_bytes(checklist))

    def move_aside(self, label: str = "corrupt") -> Path:
        """Move the session file aside (kept, never deleted) and return where it went:
        ``label`` is "corrupt" for an unreadable file, "previous" for one replaced by a
        new session at the operator's request."""
        return _move_aside(self.path, label)

    def save_report(self, content: bytes, generated: str | None) -> Path:
        """Keep a copy of a downloaded credential report (no secrets in it), mode 0600. The
        name holds the generation time and the start of the content's SHA-256, so two
        different reports never share a file and the same report is kept once."""
        import hashlib

        self.prepare()
        stamp = (generated or iso(utcnow()) or "").replace(":", "").replace("-", "").replace("+0000", "Z")
        digest = hashlib.sha256(content).hexdigest()[:12]
        name = f"{REPORT_PREFIX}{re.sub(r'[^0-9A-Za-z]', '', stamp)}-{digest}.csv"
        target = self.folder / name
        atomic_write(target, content)
        return target


class SandboxStore:
    """Where the demo sandbox keeps its account state between runs:
    ``STATE_DIR/<account_id>/sandbox.json`` (no secrets: see wizard.sandbox.state), next to
    the sandbox's session, held with ``sandbox.lock`` by the one process that may write it."""

    FILE, LOCK = "sandbox.json", "sandbox.lock"

    def __init__(self, state_dir: Path, account_id: str) -> None:
        self.sessions = SessionStore(state_dir, account_id)
        self.folder = self.sessions.folder
        self.path = self.folder / self.FILE
        self._lock = SessionLock(self.folder, self.LOCK)

    def lock(self) -> bool:
        """Take the sandbox's lock; False when another running rootwizard holds it."""
        self.sessions.prepare()
        return _take(self._lock, self.folder, self.FILE)

    def unlock(self) -> None:
        self._lock.release()

    def load(self) -> Any:
        """The saved document (JSON), or None when there is none. SessionError when the
        file cannot be read as JSON."""
        if not (self.path.exists() or self.path.is_symlink()):
            return None
        try:
            return json.loads(read_regular(self.path, limit=MAX_SESSION_BYTES).decode("utf-8"),
                              parse_constant=_refuse_constant)
        except FileError as exc:
            raise SessionError(f"Cannot read the saved sandbox state: {exc.message}") from None
        except RecursionError:
            raise SessionError("The saved sandbox state is not valid JSON (nested too deeply).") from None
        except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, NaN/Infinity
            raise SessionError(f"The saved sandbox state is not valid JSON ({exc}).") from None

    def save(self, doc: dict[str, Any]) -> None:
        self.sessions.prepare()
        atomic_write(self.path, json.dumps(doc, separators=(",", ":")).encode("utf-8") + b"\n")

    def set_aside(self, label: str) -> list[Path]:
        """Move the saved state and the sandbox's session aside (kept, never deleted), for a
        fresh sandbox; returns where they went. Hold the sandbox's lock."""
        moved = []
        if self.path.exists() or self.path.is_symlink():
            moved.append(_move_aside(self.path, label))
        if self.sessions.exists():
            moved.append(self.sessions.move_aside(label))
        return moved
def read_session_file(path: Path) -> bytes:
    """The bytes of a session file; SessionError when it cannot be read (not a regular
    file, too large, unreadable), naming the cause."""
    try:
        return read_regular(path, limit=MAX_SESSION_BYTES)
    except FileError as exc:
        raise SessionError(str(exc)) from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_session(raw: bytes, *, expected_account: str | None = None) -> Checklist:
    try:
        doc = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise SessionError("The session file is not UTF-8 text (it may be damaged).") from None
    except json.JSONDecodeError as exc:
        truncated = exc.msg.startswith(("Expecting", "Unterminated")) and exc.pos >= len(raw.rstrip()) - 64
        what = "is truncated" if truncated and raw.lstrip().startswith(b"{") else "is not valid JSON"
        raise SessionError(f"The session file {what} (line {exc.lineno}, column {exc.colno}).") from None
    except RecursionError:
        raise SessionError("The session file is not a rootwizard session (nested too deeply).") from None
    except ValueError as exc:  # NaN/Infinity, an integer of more than 4,300 digits
        raise SessionError(f"The session file is not a rootwizard session ({_short(str(exc), 80)}).") from None
    if not isinstance(doc, dict) or "schema_version" not in doc or not isinstance(doc.get("session"), dict):
        raise SessionError("The session file is not a rootwizard session.")
    version = doc["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SessionError(f"The session file has an invalid schema version ({_short(version)}).")
    if version > SCHEMA_VERSION:
        raise SessionError(f"The session file was written by a newer rootwizard (schema {version}, "
                           f"this version reads {SCHEMA_VERSION}).", hint="Upgrade rootwizard.")
    data: dict[str, Any] = doc["session"]
    account = data.get("account_id")
    if expected_account and account != expected_account:
        raise SessionError(f"The session file holds another account's data ({_short(account)}, "
                           f"expected {expected_account}).")
    _check_session(data)
    try:
        return Checklist.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise SessionError(f"The session file has an invalid entry ({type(exc).__name__}: "
                           f"{_short(str(exc), 80)}).") from None


# -- what a session may hold ---------------------------------------------------------------------

_STATUSES = tuple(s.value for s in Status)
_OPTIONAL_TEXT = (str, type(None))
# Evidence keys the wizard reads back by name (verification, resume), with their types.
EVIDENCE_TYPES: dict[str, tuple[type, ...]] = {
    "after": (dict,), "before": (dict, type(None)), "user": (str,), "serial": (str,), "sha256": (str,),
    "file": _OPTIONAL_TEXT, "generated_time": _OPTIONAL_TEXT, "present": (dict,), "source": (str,),
}


def _short(value: Any, limit: int = 40) -> str:
    """A value quoted for a message: repr (control characters escaped), cut to ``limit``."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _bad(where: str, what: str) -> SessionError:
    return SessionError(f"The session file has an invalid entry: {where} {what}.")


def _expect(obj: dict[str, Any], key: str, types: tuple[type, ...], where: str, *, required: bool = False) -> None:
    if key not in obj:
        if required:
            raise _bad(f"{where}{key}", "is missing")
        return
    value = obj[key]
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        names = " or ".join("null" if t is type(None) else {"str": "text", "dict": "an object", "list": "a list",
                                                              "bool": "true/false"}.get(t.__name__, t.__name__)
                            for t in types)
        raise _bad(f"{where}{key}", f"is {_short(value)}, not {names}")


def _check_json(value: Any, where: str, depth: int = 0) -> None:
    """Plain JSON values only (finite numbers), nested at most MAX_DEPTH levels."""
    if depth > MAX_DEPTH:
        raise _bad(where, f"is nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, float) and not math.isfinite(value):
        raise _bad(where, "is not a finite number")
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_json(item, f"{where}[{i}]", depth + 1)
    elif isinstance(value, dict):
        for k, item in value.items():
            _check_json(item, f"{where}.{k}", depth + 1)


def _check_session(data: dict[str, Any]) -> None:
    """Every entry has the type the wizard relies on; SessionError names the first that does not."""
    _expect(data, "account_id", (str,), "", required=True)
    for key in ("caller_arn", "tool_version"):
        _expect(data, key, _OPTIONAL_TEXT, "")
    for key in ("started_at", "updated_at", "finished_at"):
        _expect(data, key, _OPTIONAL_TEXT, "")
    _expect(data, "sandbox", (bool,), "")
    for key in ("findings_before", "findings_after"):
        _expect(data, key, (dict, type(None)), "")
        _check_json(data.get(key), key)
    _expect(data, "steps", (list,), "")
    for i, step in enumerate(data.get("steps", [])):
        where = f"steps[{i}]."
        if not isinstance(step, dict):
            raise _bad(f"steps[{i}]", f"is {_short(step)}, not an object")
        _expect(step, "id", (str,), where, required=True)
        _expect(step, "status", (str,), where)
        if step.get("status", "pending") not in _STATUSES:
            raise _bad(f"{where}status", f"is {_short(step['status'])}, not one of {', '.join(_STATUSES)}")
        for key in ("changed_at", "changed_by", "evidence_source", "note", "reason", "error"):
            _expect(step, key, _OPTIONAL_TEXT, where)
        _expect(step, "evidence", (dict, type(None)), where)
        evidence = step.get("evidence") or {}
        for key, types in EVIDENCE_TYPES.items():
            _expect(evidence, key, types, f"{where}evidence.")
        _check_json(evidence, f"{where}evidence")


def list_sessions(state_dir: Path) -> list[SessionInfo]:
    out: list[SessionInfo] = []
    if not state_dir.is_dir():
        return out
    for folder in sorted(state_dir.iterdir()):
        path = folder / SESSION_FILE
        if not _ACCOUNT_RE.match(folder.name) or folder.is_symlink() or not (path.exists() or path.is_symlink()):
            continue
        try:
            cl = parse_session(read_session_file(path), expected_account=folder.name)
        except (SessionError, OSError) as exc:
            out.append(SessionInfo(folder.name, path, None, None, 0, 0, False, problem=str(exc)))
            continue
        done, total = cl.progress()
        out.append(SessionInfo(cl.account_id, path, cl.started_at, cl.updated_at, done, total, cl.sandbox))
    return out


# wizard.files owns these; importable from here too, as before it existed.
read_private = read_regular

__all__ = ["SCHEMA_VERSION", "OrgAuditStore", "SandboxStore", "SessionInfo", "SessionLock", "SessionStore",
           "atomic_write", "default_state_dir", "list_sessions", "parse_session", "read_private", "read_regular",
           "read_session_file"]


ORG_AUDIT_FILE = "org-audit.json"
ORG_AUDIT_LOCK = "org-audit.lock"


class OrgAuditStore:
    """The progress of `rootwizard org audit` for one organisation, kept so that
    `--resume` continues where a run stopped: ``STATE_DIR/<management account>/org-audit.json``
    (same folder rules, atomic writes and modes as sessions), and its own lock."""

    def __init__(self, state_dir: Path, management_account_id: str) -> None:
        self._store = SessionStore(state_dir, management_account_id)
        self.path = self._store.folder / ORG_AUDIT_FILE
        self._lock = SessionLock(self._store.folder, ORG_AUDIT_LOCK)

    def lock(self) -> bool:
        """False when another `org audit` of this organisation is running."""
        self._store.prepare()
        return _take(self._lock, self._store.folder, ORG_AUDIT_FILE)

    def unlock(self) -> None:
        self._lock.release()

    def load(self) -> dict[str, Any] | None:
        """The saved progress, or None when there is none. SessionError when unreadable."""
        if not (self.path.exists() or self.path.is_symlink()):
            return None
        try:
            doc = json.loads(read_regular(self.path, limit=MAX_SESSION_BYTES).decode("utf-8"),
                             parse_constant=_refuse_constant)
        except FileError as exc:
            raise SessionError(f"Cannot read the saved organization audit: {exc.message}",
                               hint="Run without --resume to start a new audit.") from None
        except (UnicodeDecodeError, ValueError, RecursionError):  # JSONDecodeError is a ValueError
            raise SessionError(f"The saved organization audit {self.path} is damaged.",
                               hint="Run without --resume to start a new audit.") from None
        if not isinstance(doc, dict) or doc.get("kind") != "org-audit" or not isinstance(doc.get("audit"), dict):
            raise SessionError(f"{self.path} is not a rootwizard organization audit.")
        version = doc.get("schema_version")
        if not isinstance(version, int) or isinstance(version, bool) or version > SCHEMA_VERSION:
            raise SessionError(f"{self.path} was written by a newer rootwizard.", hint="Upgrade rootwizard.")
        return doc

    def save(self, doc: dict[str, Any]) -> None:
        self._store.prepare()
        body = {"schema_version": SCHEMA_VERSION, "kind": "org-audit", **doc}
        atomic_write(self.path, json.dumps(body, separators=(",", ":")).encode("utf-8") + b"\n")

    def save_remediation(self, result: dict[str, Any]) -> Path:
        """Keep one `org remediate` run (before, removals, after) in its own file,
        ``org-remediation-<UTC time>[-n].json``; never overwrites an earlier one."""
        body = json.dumps({"schema_version": SCHEMA_VERSION, "kind": "org-remediation", "remediation": result},
                          indent=1).encode("utf-8") + b"\n"
        return self._save_new("org-remediation", body)

    def save_record(self, text: str) -> Path:
        """An organization completion record (JSON), ``org-record-<UTC time>[-n].json``."""
        return self._save_new("org-record", text.encode("utf-8"))

    def _save_new(self, prefix: str, body: bytes) -> Path:
        self._store.prepare()
        stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
        for n in range(1, 1000):
            target = self._store.folder / f"{prefix}-{stamp}{'' if n == 1 else f'-{n}'}.json"
            try:
                atomic_write(target, body, overwrite=False)
                return target
            except FileError as exc:
                if exc.errno != errno.EEXIST:
                    raise
        raise SessionError(f"Too many {prefix} files for {stamp} in {self._store.folder}.")
