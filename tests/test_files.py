"""wizard.files: regular files only, atomic writes, private folders, stale temporary
files, a log that others cannot read, and errors that name the cause."""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import threading
from pathlib import Path

import pytest

from wizard import cli, files
from wizard.checklist import Checklist, Status
from wizard.files import FileError, atomic_write, read_regular
from wizard.session import SessionStore, list_sessions

ACCOUNT = "123456789012"


def _saved(state: Path) -> SessionStore:
    store = SessionStore(state, ACCOUNT)
    cl = Checklist(account_id=ACCOUNT, caller_arn=f"arn:aws:iam::{ACCOUNT}:user/ops")
    cl.set_status("root_mfa", Status.DONE, evidence={"AccountMFAEnabled": 1}, source="aws")
    store.save(cl)
    return store


def _returns_within(fn, seconds: float = 5.0):
    """Run ``fn`` in a thread; fail (instead of hanging) when it blocks."""
    box: dict = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"blocked for more than {seconds} s"
    if "error" in box:
        raise box["error"]
    return box.get("value")


@pytest.fixture
def fifo(tmp_path):
    made: list[Path] = []

    def make(path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(path)
        made.append(path)
        return path

    yield make
    for p in made:  # release a reader the old code left blocked in open()
        try:
            os.close(os.open(p, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass


# -- atomic writes ------------------------------------------------------------------------

def test_atomic_write_keeps_old_file_when_write_fails(tmp_path, monkeypatch):
    target = tmp_path / "d" / "f.json"
    target.parent.mkdir()
    atomic_write(target, b"old")

    def boom(fd):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(FileError, match="Input/output error"):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in target.parent.iterdir()] == ["f.json"]


def test_atomic_write_refuses_symlink_and_existing_without_overwrite(tmp_path):
    real = tmp_path / "real"
    real.write_text("mine")
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(FileError, match="symbolic link"):
        atomic_write(link, b"x")
    assert real.read_text() == "mine"
    with pytest.raises(FileError) as info:
        atomic_write(real, b"x", overwrite=False)
    assert info.value.errno == errno.EEXIST
    assert real.read_text() == "mine"


def test_a_full_disk_is_named(tmp_path, monkeypatch):
    """ENOSPC from the write itself: the message says so, nothing is left behind, and the
    error is both the app's own and an OSError (callers of either kind handle it)."""
    def full(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", full)
    store = SessionStore(tmp_path, ACCOUNT)
    with pytest.raises(FileError, match="No space left on device") as info:
        store.save_report(b"user,arn\n", None)
    assert isinstance(info.value, OSError) and info.value.errno == errno.ENOSPC
    assert "Unexpected" not in str(info.value) and "OSError" not in str(info.value)
    assert not [p for p in store.folder.iterdir() if p.name.endswith(".tmp")]


# -- regular files only ---------------------------------------------------------------------

@pytest.mark.parametrize("device", ["/dev/null", "/dev/full"])
def test_export_never_replaces_a_device(tmp_path, capsys, device):
    if not os.path.exists(device):
        pytest.skip(f"{device} missing")
    before = os.stat(device)
    _saved(tmp_path)
    for force in ([], ["--force"]):
        assert cli.main(["export", "--state-dir", str(tmp_path), "-o", device, *force]) == 2
        err = capsys.readouterr().err
        assert "not a regular file" in err and "character device" in err
        assert "already exists" not in err
    after = os.stat(device)
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_export_never_replaces_a_fifo(tmp_path, capsys, fifo):
    _saved(tmp_path)
    target = fifo(tmp_path / "out" / "record.json")
    assert _returns_within(lambda: cli.main(["export", "--state-dir", str(tmp_path), "-o", str(target),
                                             "--force"])) == 2
    assert "FIFO" in capsys.readouterr().err
    assert stat.S_ISFIFO(os.lstat(target).st_mode)


def test_a_fifo_session_does_not_block_sessions_export_or_load(tmp_path, capsys, fifo):
    store = SessionStore(tmp_path, ACCOUNT)
    store.prepare()
    fifo(store.path)
    infos = _returns_within(lambda: list_sessions(tmp_path))
    assert "FIFO" in infos[0].problem
    assert _returns_within(lambda: cli.main(["sessions", "--state-dir", str(tmp_path)])) == 0
    assert "FIFO" in capsys.readouterr().out
    assert _returns_within(lambda: cli.main(["export", "--state-dir", str(tmp_path), "--account", ACCOUNT])) == 2
    assert "not a regular file" in capsys.readouterr().err
    with pytest.raises(Exception, match="FIFO"):
        _returns_within(store.load)
    moved = store.move_aside("corrupt")  # kept, like any unreadable session
    assert stat.S_ISFIFO(os.lstat(moved).st_mode)


def test_a_fifo_report_or_log_does_not_block(tmp_path, fifo):
    with pytest.raises(FileError, match="FIFO"):
        _returns_within(lambda: read_regular(fifo(tmp_path / "report.csv")))
    with pytest.raises(FileError, match="FIFO"):
        _returns_within(lambda: files.open_log(fifo(tmp_path / "log.txt")))
    assert _returns_within(lambda: cli.main(["sessions", "--state-dir", str(tmp_path / "s"),
                                             "--log-file", str(tmp_path / "log.txt")])) == 2


def test_read_regular_stops_at_the_limit(tmp_path):
    big = tmp_path / "big"
    big.write_bytes(b"x" * 1001)
    assert read_regular(big, limit=1001) == b"x" * 1001
    with pytest.raises(files.TooLarge, match="larger than 1,000 bytes"):
        read_regular(big, limit=1000)
    if os.path.exists("/dev/zero"):
        with pytest.raises(FileError, match="character device"):
            read_regular("/dev/zero", limit=10)


# -- stale temporary files --------------------------------------------------------------------

def test_stale_temps_are_removed_at_the_next_start_and_export(tmp_path):
    store = SessionStore(tmp_path, ACCOUNT)
    store.prepare()
    killed = [store.folder / ".session.json.abc123.tmp",
              store.folder / ".credential-report-20260101T000000Z-0123456789ab.csv.k9x.tmp"]
    for p in killed:
        p.write_bytes(b"partial")
    held = store.folder / ".session.json.live.tmp"  # a writer still running holds its flock
    held.write_bytes(b"in progress")
    holder = os.open(held, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    other = store.folder / "notes.tmp"  # not one of ours
    other.write_bytes(b"keep")
    try:
        assert store.lock()
        store.unlock()
        assert not any(p.exists() for p in killed)
        assert held.exists() and other.exists()
    finally:
        os.close(holder)

    _saved(tmp_path)
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    left = out_dir / ".record.json.zz12.tmp"
    left.write_bytes(b"partial export")
    unrelated = out_dir / ".other.json.zz12.tmp"
    unrelated.write_bytes(b"someone else's")
    assert cli.main(["export", "--state-dir", str(tmp_path), "-o", str(out_dir / "record.json")]) == 0
    assert not left.exists() and unrelated.exists()
    assert sorted(p.name for p in out_dir.iterdir()) == [".other.json.zz12.tmp", "record.json"]


def test_a_symlinked_temp_is_not_followed(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep")
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / ".x.json.a.tmp").symlink_to(victim)
    assert files.remove_stale_temps(folder, ".x.json.*.tmp") == []
    assert victim.read_text() == "keep"


# -- folders and the log ------------------------------------------------------------------------

def test_parents_created_are_private_even_with_umask_000(tmp_path):
    old = os.umask(0)
    try:
        home = tmp_path / "operator"  # exists: left as it is
        home.mkdir(mode=0o755)
        state = home / ".local" / "state" / "rootwizard"
        _saved(state)
    finally:
        os.umask(old)
    for d in (home / ".local", home / ".local" / "state", state, state / ACCOUNT):
        assert stat.S_IMODE(os.stat(d).st_mode) == 0o700, d
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(state / ACCOUNT / "session.json").st_mode) == 0o600


def test_an_existing_log_is_tightened(tmp_path):
    log = tmp_path / "debug.log"
    log.write_text("earlier run\n")
    os.chmod(log, 0o644)
    with files.open_log(log) as f:
        f.write("line\n")
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    assert log.read_text() == "earlier run\nline\n"
    new = tmp_path / "new.log"
    old = os.umask(0)
    try:
        files.open_log(new).close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(new).st_mode) == 0o600
    link = tmp_path / "link.log"
    link.symlink_to(log)
    with pytest.raises(FileError, match="symbolic link"):
        files.open_log(link)
