"""The one module that owns files on disk.

Every file the wizard reads or writes goes through here, so the same rules hold for
the session, the credential report copies, exports and the log:

- Only regular files. A path is opened with ``O_NOFOLLOW | O_NONBLOCK`` and checked
  with ``fstat`` before a byte is read or written: a symbolic link, FIFO, device,
  socket or folder is refused with a message that says what it is (a FIFO cannot
  block the wizard, ``-o /dev/null`` cannot be replaced).
- Atomic writes: a temporary file in the same folder (``.NAME.XXXX.tmp``, mode 0600,
  locked with ``flock`` while it is written), fsync, rename over the target, fsync of
  the folder. Only a regular file is ever replaced. A temporary file that a killed
  writer left behind (its lock is free) is removed by ``remove_stale_temps``.
- Private folders: folders the wizard creates are 0700 whatever the umask, parents
  included; the folder it keeps sessions in must belong to the user.
- The log file is appended to, created 0600; an existing one that others may read is
  tightened to 0600 (or refused when it belongs to someone else).
- Every failure is a ``FileError`` that names the file and the cause ("No space left
  on device"); it is also an ``OSError`` (errno, strerror, filename) for callers that
  handle those.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from pathlib import Path

from wizard.errors import WizardError

TYPE_CHECKING = False  # as typing.TYPE_CHECKING: `audit --report` reads its file here without typing
if TYPE_CHECKING:
    from typing import IO

_OPEN_FLAGS = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class FileError(WizardError, OSError):
    """A file could not be used. ``str()`` is the operator's message; ``errno``,
    ``strerror`` and ``filename`` are set as on an OSError."""

    def __init__(self, message: str, *, path: str | os.PathLike[str] | None = None,
                 err: int | None = None, cause: str = "", hint: str = "") -> None:
        WizardError.__init__(self, message, hint=hint)
        self.errno = err
        self.strerror = cause or message
        self.filename = None if path is None else os.fspath(path)

    def __reduce__(self):  # noqa: ANN204 - picklable like other exceptions
        return (_rebuild, (self.message, self.filename, self.errno, self.strerror, self.hint))


def _rebuild(message: str, path: str | None, err: int | None, cause: str, hint: str) -> FileError:
    return FileError(message, path=path, err=err, cause=cause, hint=hint)


_KINDS = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def not_regular(path: str | os.PathLike[str], mode: int, verb: str) -> FileError:
    what = kind(mode)
    return FileError(f"{path} is not a regular file ({what}); rootwizard will not {verb} it.",
                     path=path, err=errno.EISDIR if stat.S_ISDIR(mode) else errno.EINVAL,
                     cause=f"not a regular file ({what})")


def failed(path: str | os.PathLike[str], exc: OSError, verb: str) -> FileError:
    """An OSError as a FileError naming the file and the cause."""
    if isinstance(exc, FileError):
        return exc
    if exc.errno == errno.ELOOP:  # O_NOFOLLOW met a symbolic link
        return FileError(f"{path} is a symbolic link; rootwizard will not follow it.", path=path,
                         err=exc.errno, cause="a symbolic link", hint="Remove the link or choose another path.")
    cause = exc.strerror or type(exc).__name__
    return FileError(f"Cannot {verb} {path}: {cause}.", path=path, err=exc.errno, cause=cause)


# -- reading -----------------------------------------------------------------------------------

def open_regular(path: str | os.PathLike[str], flags: int = os.O_RDONLY, mode: int = 0o600,
                 *, verb: str = "read") -> int:
    """An fd of the regular file at ``path`` (never through a symlink, never blocking
    on a FIFO); FileError otherwise. The fd is blocking again once checked."""
    try:
        fd = os.open(path, flags | _OPEN_FLAGS, mode)
    except OSError as exc:
        try:  # a FIFO without a reader (ENXIO), a device, a socket: say what it is
            st = os.lstat(path)
        except OSError:
            st = None
        if st is not None and not stat.S_ISREG(st.st_mode) and not stat.S_ISLNK(st.st_mode):
            raise not_regular(path, st.st_mode, verb) from None
        raise failed(path, exc, verb) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise not_regular(path, st.st_mode, verb)
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    except BaseException as exc:
        os.close(fd)
        if isinstance(exc, OSError):
            raise failed(path, exc, verb) from None
        raise
    return fd


class TooLarge(FileError):
    """A file larger than the reader accepts."""


def read_regular(path: str | os.PathLike[str], *, limit: int | None = None) -> bytes:
    """The bytes of the regular file at ``path``; with ``limit``, at most that many
    bytes are read and a larger file is a TooLarge error (nothing more is read)."""
    fd = open_regular(path)
    try:
        with os.fdopen(fd, "rb") as f:
            data = f.read() if limit is None else f.read(limit + 1)
    except OSError as exc:
        raise failed(path, exc, "read") from None
    if limit is not None and len(data) > limit:
        raise TooLarge(f"{path} is larger than {limit:,} bytes; rootwizard stopped reading it.",
                       path=path, err=errno.EFBIG, cause=f"larger than {limit:,} bytes")
    return data


# -- folders -------------------------------------------------------------------------------------

def make_private_dirs(path: Path) -> None:
    """Create ``path`` and any missing parents with mode 0700 whatever the umask (folders
    that already exist are left as they are)."""
    missing = []
    p = path
    while not (p.exists() or p.is_symlink()):
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for d in reversed(missing):
        try:
            os.mkdir(d, 0o700)
        except FileExistsError:
            continue
        except OSError as exc:
            raise failed(d, exc, "create") from None
        os.chmod(d, 0o700, follow_symlinks=False)  # a umask can only have removed bits


def ensure_private_dir(path: Path) -> None:
    """``path`` exists, is a real folder of this user and has mode 0700."""
    if path.is_symlink():
        raise FileError(f"{path} is a symbolic link; rootwizard will not follow it.", path=path,
                        err=errno.ELOOP, cause="a symbolic link")
    make_private_dirs(path)
    st = path.lstat()
    if not stat.S_ISDIR(st.st_mode):
        raise FileError(f"{path} is not a folder ({kind(st.st_mode)}).", path=path, err=errno.ENOTDIR,
                        cause="not a folder")
    if st.st_uid != os.getuid():
        raise FileError(f"{path} belongs to another user.", path=path, err=errno.EPERM,
                        cause="belongs to another user")
    if stat.S_IMODE(st.st_mode) != 0o700:
        os.chmod(path, 0o700)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- writing -------------------------------------------------------------------------------------

TEMP_SUFFIX = ".tmp"


def temp_prefix(name: str) -> str:
    """The prefix of the temporary files written next to ``name``."""
    return f".{name}."


def check_replaceable(target: Path) -> bool:
    """True when ``target`` exists (it is then a regular file); FileError when it is a
    symlink or anything but a regular file."""
    try:
        st = target.lstat()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise failed(target, exc, "write") from None
    if stat.S_ISLNK(st.st_mode):
        raise FileError(f"{target} is a symbolic link; rootwizard will not write through it.",
                        path=target, err=errno.ELOOP, cause="a symbolic link")
    if not stat.S_ISREG(st.st_mode):
        raise not_regular(target, st.st_mode, "write to")
    return True


def atomic_write(target: Path, data: bytes, *, overwrite: bool = True) -> None:
    """Write ``data`` to ``target`` atomically with mode 0600. Only a regular file is
    replaced; a symlink, FIFO or device at ``target`` is refused whatever ``overwrite``
    says; with ``overwrite=False`` an existing file is a FileError with errno EEXIST."""
    target = Path(target)
    exists = check_replaceable(target)
    if exists and not overwrite:
        raise FileError(f"{target} already exists.", path=target, err=errno.EEXIST, cause="already exists")
    try:
        import tempfile  # not on the offline audit path, which only reads

        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=temp_prefix(target.name), suffix=TEMP_SUFFIX)
    except OSError as exc:
        raise failed(target, exc, "write") from None
    try:
        # Held until the temp file is renamed or removed: a writer that dies leaves an
        # unlocked temp file, which is how remove_stale_temps knows it is stale.
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
        if overwrite:
            check_replaceable(target)  # still a regular file (or nothing) just before the rename
            os.replace(tmp, target)
        else:
            os.link(tmp, target)  # fails with EEXIST rather than replacing
            os.unlink(tmp)
        fsync_dir(target.parent)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, FileExistsError):
            raise FileError(f"{target} already exists.", path=target, err=errno.EEXIST,
                            cause="already exists") from None
        if isinstance(exc, OSError):
            raise failed(target, exc, "write") from None
        raise
    finally:
        os.close(fd)


def remove_stale_temps(folder: Path, pattern: str) -> list[Path]:
    """Remove the temporary files matching ``pattern`` in ``folder`` that no running
    writer holds (their flock is free): what a killed write left behind. Returns them."""
    removed: list[Path] = []
    try:
        candidates = list(folder.glob(pattern))
    except OSError:
        return removed
    for path in candidates:
        if not path.name.endswith(TEMP_SUFFIX):
            continue
        try:
            fd = os.open(path, os.O_RDONLY | _OPEN_FLAGS)
        except OSError:
            continue  # a symlink, gone, or not ours to open
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a writer holds it
            now = os.lstat(path)
            if (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino):
                os.unlink(path)
                removed.append(path)
        except OSError:
            continue
        finally:
            os.close(fd)
    return removed


# -- the log -------------------------------------------------------------------------------------

def open_log(path: str | os.PathLike[str]) -> IO[str]:
    """The log file, opened for appending (UTF-8): created 0600; an existing regular
    file of this user that others can read is tightened to 0600; anything else
    (a symlink, a FIFO, another user's file) is refused."""
    fd = open_regular(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600, verb="write the log to")
    try:
        st = os.fstat(fd)
        if st.st_uid != os.getuid():
            raise FileError(f"{path} belongs to another user; rootwizard will not log to it.", path=path,
                            err=errno.EPERM, cause="belongs to another user")
        if stat.S_IMODE(st.st_mode) & 0o077:
            os.fchmod(fd, 0o600)
    except BaseException as exc:
        os.close(fd)
        if isinstance(exc, OSError):
            raise failed(path, exc, "write the log to") from None
        raise
    return os.fdopen(fd, "a", encoding="utf-8")


__all__ = ["FileError", "TooLarge", "atomic_write", "check_replaceable", "ensure_private_dir", "fsync_dir",
           "make_private_dirs", "open_log", "open_regular", "read_regular", "remove_stale_temps", "temp_prefix"]
