"""The one module that owns the session files.

Layout: ``STATE_DIR/<account_id>/session.json`` (the checklist), ``.../lock`` (held by
the running wizard), credential report copies, and ``session.json.corrupt-*`` files
moved aside when a session cannot be read (kept, never deleted). Folders are 0700,
files 0600, every write is atomic (temp file in the same folder, fsync, os.replace,
fsync of the folder), and nothing is followed through a symlink.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard.checklist import Checklist, iso, utcnow
from wizard.errors import SessionError

SCHEMA_VERSION = 1
SESSION_FILE = "session.json"
LOCK_FILE = "lock"
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


def _ensure_private_dir(path: Path) -> None:
    if path.is_symlink():
        raise SessionError(f"{path} is a symbolic link; rootwizard will not follow it.",
                           hint="Remove the link or choose another --state-dir.")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = path.stat()
    if st.st_uid != os.getuid():
        raise SessionError(f"{path} belongs to another user.", hint="Choose another --state-dir.")
    if stat.S_IMODE(st.st_mode) != 0o700:
        os.chmod(path, 0o700)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(target: Path, data: bytes, *, overwrite: bool = True) -> None:
    """Write ``data`` to ``target`` atomically with mode 0600. A symlink at ``target`` is
    never followed or replaced; with ``overwrite=False`` an existing file is an error."""
    if target.is_symlink():
        raise SessionError(f"{target} is a symbolic link; rootwizard will not write through it.")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        if overwrite:
            os.replace(tmp, target)
        else:
            os.link(tmp, target)  # fails with EEXIST rather than replacing
            os.unlink(tmp)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(target.parent)


def _move_aside(path: Path, label: str) -> Path:
    """Rename ``path`` to ``<name>.<label>-<UTC stamp>[-n]`` in its folder (kept, never
    deleted) and return the new path."""
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    dest = path.with_name(f"{path.name}.{label}-{stamp}")
    n = 1
    while dest.exists():
        n += 1
        dest = path.with_name(f"{path.name}.{label}-{stamp}-{n}")
    os.rename(path, dest)
    _fsync_dir(path.parent)
    return dest


def read_private(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as f:
        return f.read()


def read_regular(path: Path, limit: int = 256 * 1024 * 1024) -> bytes:
    """Read a file the operator named (a record to verify): a regular file only, never a
    FIFO or device that would block or stream forever; IsADirectoryError for a folder."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        if st.st_size > limit:
            raise OSError(errno.EFBIG, f"larger than {limit // (1024 * 1024)} MB", str(path))
        return f.read(limit + 1)


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

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
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


def _take(lock: SessionLock, path: Path) -> bool:
    """Acquire ``lock`` (False when another process holds it), then remove the temp files
    of ``path``: holding the lock, any of ours is what a killed write left behind."""
    if not lock.acquire():
        return False
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        if stale.is_file() and not stale.is_symlink():
            stale.unlink()
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
        _ensure_private_dir(self.state_dir)
        _ensure_private_dir(self.folder)

    def lock(self) -> bool:
        """Take the account's lock; False when another running wizard holds it."""
        self.prepare()
        return _take(self._lock, self.path)

    def unlock(self) -> None:
        self._lock.release()

    def exists(self) -> bool:
        return self.path.exists() or self.path.is_symlink()

    def load(self) -> Checklist:
        """Read the saved session. Raises SessionError saying what is wrong."""
        return parse_session(read_private(self.path), expected_account=self.account_id)

    def save(self, checklist: Checklist) -> None:
        if self.read_only:
            raise SessionError("This session is open read-only; another wizard holds it.")
        if checklist.account_id != self.account_id:
            raise SessionError("Refusing to save another account's session here.")
        self.prepare()
        body = {"schema_version": SCHEMA_VERSION, "session": checklist.to_json()}
        # Compact: json's C encoder only runs without indent (findings of 5,000 users are big).
        atomic_write(self.path, json.dumps(body, separators=(",", ":")).encode("utf-8") + b"\n")

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
        name = f"credential-report-{re.sub(r'[^0-9A-Za-z]', '', stamp)}-{digest}.csv"
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
        return _take(self._lock, self.path)

    def unlock(self) -> None:
        self._lock.release()

    def load(self) -> Any:
        """The saved document (JSON), or None when there is none. SessionError when the
        file cannot be read as JSON."""
        if not (self.path.exists() or self.path.is_symlink()):
            return None
        try:
            return json.loads(read_private(self.path).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
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


def parse_session(raw: bytes, *, expected_account: str | None = None) -> Checklist:
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SessionError("The session file is not UTF-8 text (it may be damaged).") from None
    except json.JSONDecodeError as exc:
        truncated = exc.msg.startswith(("Expecting", "Unterminated")) and exc.pos >= len(raw.rstrip()) - 64
        what = "is truncated" if truncated and raw.lstrip().startswith(b"{") else "is not valid JSON"
        raise SessionError(f"The session file {what} (line {exc.lineno}, column {exc.colno}).") from None
    if not isinstance(doc, dict) or "schema_version" not in doc or not isinstance(doc.get("session"), dict):
        raise SessionError("The session file is not a rootwizard session.")
    version = doc["schema_version"]
    if not isinstance(version, int) or version < 1:
        raise SessionError(f"The session file has an invalid schema version ({version!r}).")
    if version > SCHEMA_VERSION:
        raise SessionError(f"The session file was written by a newer rootwizard (schema {version}, "
                           f"this version reads {SCHEMA_VERSION}).", hint="Upgrade rootwizard.")
    data: dict[str, Any] = doc["session"]
    account = data.get("account_id")
    if expected_account and account != expected_account:
        raise SessionError(f"The session file holds another account's data ({account!r}, "
                           f"expected {expected_account}).")
    try:
        return Checklist.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise SessionError(f"The session file has an invalid entry ({type(exc).__name__}: {exc}).") from None


def list_sessions(state_dir: Path) -> list[SessionInfo]:
    out: list[SessionInfo] = []
    if not state_dir.is_dir():
        return out
    for folder in sorted(state_dir.iterdir()):
        path = folder / SESSION_FILE
        if not _ACCOUNT_RE.match(folder.name) or folder.is_symlink() or not path.is_file():
            continue
        try:
            cl = parse_session(read_private(path), expected_account=folder.name)
        except (SessionError, OSError) as exc:
            out.append(SessionInfo(folder.name, path, None, None, 0, 0, False, problem=str(exc)))
            continue
        done, total = cl.progress()
        out.append(SessionInfo(cl.account_id, path, cl.started_at, cl.updated_at, done, total, cl.sandbox))
    return out


__all__ = ["SCHEMA_VERSION", "SandboxStore", "SessionStore", "SessionLock", "SessionInfo", "atomic_write",
           "default_state_dir", "list_sessions", "parse_session", "read_private", "read_regular"]


ORG_AUDIT_FILE = "org-audit.json"
ORG_AUDIT_LOCK = "org-audit.lock"


class OrgAuditStore:
    """The progress of `rootwizard org audit` for one organisation, kept so that
    `--resume` continues where a run stopped: ``STATE_DIR/<management account>/org-audit.json``
    (same folder rules, atomic writes and modes as sessions), and its own lock."""

    def __init__(self, state_dir: Path, management_account_id: str) -> None:
        self._store = SessionStore(state_dir, management_account_id)
        self.path = self._store.folder / ORG_AUDIT_FILE
        self._lock = SessionLock(self._store.folder)
        self._lock.path = self._store.folder / ORG_AUDIT_LOCK

    def lock(self) -> bool:
        """False when another `org audit` of this organisation is running."""
        self._store.prepare()
        return self._lock.acquire()

    def unlock(self) -> None:
        self._lock.release()

    def load(self) -> dict[str, Any] | None:
        """The saved progress, or None when there is none. SessionError when unreadable."""
        if not (self.path.exists() or self.path.is_symlink()):
            return None
        try:
            doc = json.loads(read_private(self.path).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise SessionError(f"The saved organization audit {self.path} is damaged.",
                               hint="Run without --resume to start a new audit.") from None
        if not isinstance(doc, dict) or doc.get("kind") != "org-audit" or not isinstance(doc.get("audit"), dict):
            raise SessionError(f"{self.path} is not a rootwizard organization audit.")
        if not isinstance(doc.get("schema_version"), int) or doc["schema_version"] > SCHEMA_VERSION:
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
            except FileExistsError:
                continue
        raise SessionError(f"Too many {prefix} files for {stamp} in {self._store.folder}.")
