"""AWS that does not answer, answers 429, or breaks off mid-answer: against local
socket servers on 127.0.0.1 (real TCP, real botocore)."""

from __future__ import annotations

import io
import socket
import threading
import time

import pytest

from wizard import cli, errors
from wizard.aws import AwsAccess, ConnectionSettings, Progress

STS_ANSWER = (b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
              b"<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/ops</Arn><UserId>AIDAX</UserId>"
              b"<Account>123456789012</Account></GetCallerIdentityResult>"
              b"<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>")


def _read_request(conn: socket.socket) -> bool:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return False
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        body += conn.recv(65536)
    return True


class Server:
    """A TCP server on 127.0.0.1 answering every request with ``behaviour(conn)``."""

    def __init__(self, behaviour) -> None:
        self.behaviour = behaviour
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.requests = 0
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            if _read_request(conn):
                self.requests += 1
                self.behaviour(conn, self._stop)
        except OSError:
            pass

    def close(self) -> None:
        self._stop.set()
        self.sock.close()
        for c in self._conns:
            try:
                c.close()
            except OSError:
                pass


def never_answers(conn, stop) -> None:
    stop.wait(120)


def answers_429(conn, stop) -> None:
    body = b"<html><body>Too Many Requests</body></html>"
    conn.sendall(b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n"
                 % len(body) + body)
    conn.close()


def half_body_with_length(conn, stop) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n" % len(STS_ANSWER)
                 + STS_ANSWER[:60])
    conn.close()


def half_body_until_close(conn, stop) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nConnection: close\r\n\r\n" + STS_ANSWER[:150])
    conn.close()


def half_chunked(conn, stop) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"400\r\n" + STS_ANSWER[:100])
    conn.close()


def not_aws(conn, stop) -> None:
    body = b"<html><body>Welcome to nginx!<br></body></html>"
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    conn.close()


@pytest.fixture
def server():
    made: list[Server] = []

    def make(behaviour) -> Server:
        s = Server(behaviour)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


def _aws(url: str, **kw) -> AwsAccess:
    settings = dict(endpoint_url=url, region="us-east-1", access_key_id="a", secret_access_key="b",
                    max_attempts=2, connect_timeout=0.5, read_timeout=0.5)
    settings.update(kw)
    return AwsAccess(ConnectionSettings(**settings))


def test_default_wait_for_one_call_stays_under_a_minute():
    s = ConnectionSettings()
    assert s.worst_case_s < 60
    aws = AwsAccess(s)
    config = aws._client("sts").meta.config
    assert config.read_timeout == s.read_timeout and config.connect_timeout == s.connect_timeout
    assert config.retries["total_max_attempts"] == s.max_attempts


def test_an_endpoint_that_never_answers_fails_in_bounded_time_with_progress(server):
    srv = server(never_answers)
    aws = _aws(srv.url, max_attempts=3)
    seen: list[Progress] = []
    aws.observe(seen.append)
    polled: list[Progress] = []

    def poll() -> None:
        while not seen or not seen[-1].done:
            polled.extend(aws.in_flight())
            time.sleep(0.05)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    start = time.monotonic()
    with pytest.raises(errors.EndpointError) as info:
        aws.identity()
    took = time.monotonic() - start
    poller.join(5)
    assert 3 * 0.5 <= took <= aws.settings.worst_case_s + 2.0
    assert srv.requests == 3
    assert [p.attempt for p in seen if not p.done] == [0, 1, 2, 3]
    assert seen[-1].done and aws.in_flight() == []
    assert {p.attempt for p in polled} >= {1, 2, 3}
    assert max(p.elapsed(p.started + 1.7) for p in polled) == pytest.approx(1.7)
    assert "attempt 3 of 3" in seen[-2].text()
    assert info.value.code == "Timeout"
    assert "3 attempts" in str(info.value) and "did not answer" in str(info.value)


@pytest.mark.parametrize("behaviour,cls,code", [
    (answers_429, errors.ThrottledError, "TooManyRequests"),
    (half_body_with_length, errors.EndpointError, "ConnectionBroken"),
    (half_body_until_close, errors.EndpointError, "ConnectionBroken"),
    (half_chunked, errors.EndpointError, "ConnectionBroken"),
    (not_aws, errors.UnsupportedError, "ResponseParserError"),
])
def test_answers_that_are_not_answers(server, behaviour, cls, code):
    srv = server(behaviour)
    with pytest.raises(errors.AwsError) as info:
        _aws(srv.url).identity()
    assert type(info.value) is cls and info.value.code == code
    if behaviour is not not_aws:
        assert "may not implement" not in str(info.value)


def test_cancel_stops_a_waiting_call_at_its_next_attempt(server):
    srv = server(never_answers)
    aws = _aws(srv.url, max_attempts=10, read_timeout=0.5)
    box: dict = {}
    scopes = []

    def run() -> None:
        with aws.cancel_scope() as scope:
            scopes.append(scope)
            try:
                aws.identity()
            except errors.WizardError as exc:
                box["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    while not aws.in_flight():
        time.sleep(0.01)
    cancelled_at = time.monotonic()
    scopes[0].cancel()
    t.join(10)
    assert not t.is_alive()
    assert isinstance(box["error"], errors.CancelledError)
    assert time.monotonic() - cancelled_at < 2.0  # the attempt under way ends; no more (10 x 0.5 s)
    assert srv.requests <= 2
    with aws.cancel_scope() as scope:  # a cancelled scope sends nothing at all
        scope.cancel()
        with pytest.raises(errors.CancelledError):
            aws.identity()
    assert srv.requests <= 2


def test_the_cli_says_it_is_waiting_on_stderr(server, monkeypatch, capsys, tmp_path):
    srv = server(never_answers)
    monkeypatch.setenv("AWS_ENDPOINT_URL", srv.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "a")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "b")
    monkeypatch.setattr(cli.WaitReporter, "QUIET_S", 0.3)
    monkeypatch.setattr(cli.WaitReporter, "EVERY_S", 0.4)
    real = cli.Runtime.settings

    def quick(self):
        s = real(self)
        s.max_attempts, s.connect_timeout, s.read_timeout = 2, 0.5, 0.6
        return s

    monkeypatch.setattr(cli.Runtime, "settings", quick)
    code = cli.main(["password-policy", "--show", "--state-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    waits = [line for line in lines if "Waiting for AWS (iam:GetAccountPasswordPolicy)" in line]
    assert waits and any("attempt 2 of 2" in line for line in waits)
    assert all(line.startswith("rootwizard: ") for line in lines)
    assert "did not answer" in lines[-1] and "2 attempts" in lines[-1]


def test_wait_reporter_lines(server):
    srv = server(never_answers)
    aws = _aws(srv.url, max_attempts=2, read_timeout=0.6)
    out = io.StringIO()
    reporter = cli.WaitReporter(aws, out)
    reporter.QUIET_S, reporter.EVERY_S = 0.2, 0.3
    try:
        with pytest.raises(errors.EndpointError):
            aws.identity()
    finally:
        reporter.close()
    text = out.getvalue()
    assert "attempt 1 of 2" in text and "attempt 2 of 2" in text
    assert text.count("\n") >= 3


def test_cancel_never_throws_away_an_answer_that_arrived(server):
    def slow_answer(conn, stop) -> None:
        time.sleep(0.4)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n"
                     % len(STS_ANSWER) + STS_ANSWER)
        conn.close()

    srv = server(slow_answer)
    aws = _aws(srv.url, read_timeout=5)
    with aws.cancel_scope() as scope:
        # Cancelled once the request is on its way, while the answer is awaited.
        aws.observe(lambda p: p.attempt == 1 and not p.done and threading.Timer(0.1, scope.cancel).start())
        assert aws.identity().account_id == "123456789012"
        assert scope.cancelled
