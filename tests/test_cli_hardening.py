"""The command against servers that misbehave, and callers who make mistakes.

A server's text must not reach a terminal as control sequences; rows follow
the ids asked for whatever id comes back; Ctrl-C ends a wait at once even with
a request in flight; usage mistakes exit 2 with one line and no traceback.
"""

from __future__ import annotations

import io
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from leapocr import JobStatus, LeapOCR
from leapocr._cli import main
from leapocr.testing import Sandbox
from tests.servers import (
    STATUS_BODY,
    RawServer,
    ScriptedServer,
    Seen,
    http_answer,
    json_answer,
    read_request,
    wait_until,
)
from tests.test_waiting import press_ctrl_c

KEY = "hardening-key-not-a-secret"
#: Clears the screen, moves to the line start, rings the bell, forges a line,
#: and a C1 control sequence introducer.
NASTY = "\x1b[2J\rgone\x07\nforged 0 completed\x9b31m"


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The key the command reads."""
    monkeypatch.setenv("LEAPOCR_API_KEY", KEY)


class Terminal(io.StringIO):
    """A stdout that says it is a terminal."""

    def isatty(self) -> bool:
        """Pretend to be a terminal."""
        return True


def use_terminal(monkeypatch: pytest.MonkeyPatch) -> Terminal:
    """Make a terminal of 120 by 40 the command's stdout, for this test only."""
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("LINES", "40")
    monkeypatch.setenv("TERM", "xterm")
    screen = Terminal()
    monkeypatch.setattr(sys, "stdout", screen)

    return screen


def failed_with(message: str) -> Callable[[Seen], Any]:
    """A script answering any job as failed with ``message``, echoing its id."""

    def answer(seen: Seen) -> Any:
        job_id = seen.path.rsplit("/", 1)[-1]
        document = {"id": job_id, "status": "failed", "error_message": message}

        return json_answer(document)

    return answer


def without_the_frame(screen: str) -> str:
    """The text of a live view without the escapes the view itself writes."""
    for own in ("\x1b[2K", "\x1b[1F", "\x1b[2F"):
        screen = screen.replace(own, "")

    return screen


def test_printable_escapes_every_control_character() -> None:
    """ESC, CR, LF, BEL, DEL and C1 controls become visible escapes."""
    from leapocr._cli_output import printable

    assert printable("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert printable("\r\n\x07\x7f\x9b\u2028") == "\\x0d\\x0a\\x07\\x7f\\x9b\\u2028"
    assert printable("plain text, é and 字") == "plain text, é and 字"


@pytest.mark.usefixtures("key")
@pytest.mark.parametrize("wait", [False, True])
def test_plain_output_shows_server_text_escaped(
    capsys: pytest.CaptureFixture[str], wait: bool
) -> None:
    """An error message with control characters is printed escaped, on one line."""
    with ScriptedServer(failed_with(NASTY)) as server:
        argv = ["status", "--base-url", server.base_url, "job_1"]
        code = main([*argv, "--wait"] if wait else argv)
    out, _ = capsys.readouterr()
    assert code == 1
    assert "\x1b" not in out
    assert "\r" not in out
    assert "\x07" not in out
    assert "\x9b" not in out
    assert out.count("\n") == 1
    assert "\\x1b[2J\\x0dgone\\x07\\x0aforged" in out


@pytest.mark.usefixtures("key")
def test_plain_output_escapes_server_error_messages(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The message of an error answer is escaped too."""
    body = {"code": "NOT_FOUND", "error": {"message": NASTY}, "details": None}
    with ScriptedServer([json_answer(body, status=404)]) as server:
        code = main(["status", "--base-url", server.base_url, "job_1"])
    out, _ = capsys.readouterr()
    assert code == 5
    assert "\x1b" not in out
    assert out.count("\n") == 1


@pytest.mark.usefixtures("key")
def test_live_view_shows_server_text_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal, only the view's own escapes reach the screen."""
    terminal = use_terminal(monkeypatch)
    with ScriptedServer(failed_with(NASTY)) as server:
        assert main(["status", "--wait", "--base-url", server.base_url, "job_1"]) == 1
    screen = without_the_frame(terminal.getvalue())
    assert "\x1b" not in screen
    assert "\r" not in screen
    assert "\x07" not in screen
    assert "\\x1b[2J" in screen


@pytest.mark.usefixtures("key")
def test_json_keeps_server_text_as_it_is(capsys: pytest.CaptureFixture[str]) -> None:
    """JSON lines carry the message unchanged, escaped by JSON itself."""
    with ScriptedServer(failed_with(NASTY)) as server:
        assert main(["status", "--json", "--base-url", server.base_url, "job_1"]) == 1
    out, _ = capsys.readouterr()
    assert "\x1b" not in out
    assert json.loads(out)["error_message"] == NASTY


def other_spelling(seen: Seen) -> Any:
    """A completed status for the asked job, its id given back lower-cased."""
    job_id = seen.path.rsplit("/", 1)[-1].lower()
    document = {"id": job_id, "status": "completed"}

    return json_answer(document | {"total_pages": 1, "processed_pages": 1})


@pytest.mark.usefixtures("key")
def test_live_rows_follow_the_ids_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """An answer naming the job otherwise leaves no row waiting and adds none."""
    terminal = use_terminal(monkeypatch)
    with ScriptedServer(other_spelling) as server:
        main(["status", "--wait", "--base-url", server.base_url, "JOB_A", "JOB_B"])
    last_frame = terminal.getvalue().rsplit("\x1b[2F", 1)[-1]
    rows = last_frame.splitlines()
    assert [row.replace("\x1b[2K", "").split()[0] for row in rows] == [
        "JOB_A",
        "JOB_B",
    ]
    assert "waiting" not in last_frame


@pytest.mark.usefixtures("key")
@pytest.mark.parametrize("flags", [[], ["--wait"], ["--json"], ["--wait", "--json"]])
def test_lines_name_the_id_asked(
    capsys: pytest.CaptureFixture[str], flags: list[str]
) -> None:
    """Plain and JSON lines name the job as the user did."""
    with ScriptedServer(other_spelling) as server:
        main(["status", *flags, "--base-url", server.base_url, "JOB_A"])
    out, _ = capsys.readouterr()
    lines = out.splitlines()
    assert lines
    for line in lines:
        named = json.loads(line)["job_id"] if "--json" in flags else line.split()[0]
        assert named == "JOB_A"


@pytest.mark.usefixtures("key")
def test_empty_base_url_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--base-url "" exits 2 rather than falling back to another address."""
    with Sandbox() as sandbox:
        monkeypatch.setenv("LEAPOCR_BASE_URL", sandbox.base_url)
        assert main(["status", "--base-url", "", "job_a"]) == 2
        assert main(["status", "--base-url", " ", "--wait", "job_a"]) == 2
        assert sandbox.requests == 0
    _, err = capsys.readouterr()
    assert "--base-url" in err
    assert "empty" in err


@pytest.mark.usefixtures("key")
@pytest.mark.parametrize(
    "argv",
    [
        ["--base-url", "http://127.0.0.1:abc/", "job_a"],
        ["--base-url", "http://127.0.0.1:9/api/v1", "a" * 100_000],
        ["--base-url", "http://127.0.0.1:9/api/v1", "--timeout", "1e10", "job_a"],
        ["--base-url", "http://127.0.0.1:9/api/v1", "--wait", "a" * 100_000],
    ],
    ids=["bad-port", "huge-id", "huge-timeout", "huge-id-wait"],
)
def test_caller_mistakes_exit_2_in_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """A value the library refuses is bad usage: one short line, no traceback."""
    assert main(["status", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("leapocr: ")
    assert err.count("\n") == 1
    assert len(err) < 300


class Held:
    """Answers a status only once released; counts the requests read."""

    def __init__(self) -> None:
        """Hold every request until `release` is set."""
        self.release = threading.Event()
        self.requests = 0

    def __call__(self, connection: socket.socket, stop: threading.Event) -> None:
        """Read requests on ``connection``; answer each once released."""
        while read_request(connection):
            self.requests += 1
            while not (self.release.wait(0.02) or stop.is_set()):
                pass
            connection.sendall(http_answer(STATUS_BODY))


@pytest.fixture
def held() -> Iterator[tuple[Held, RawServer]]:
    """A server that holds each request until told to answer."""
    behaviour = Held()
    with RawServer(behaviour) as server:
        yield behaviour, server
        behaviour.release.set()


def ctrl_c_once_asked(behaviour: Held) -> threading.Thread:
    """A thread pressing Ctrl-C as soon as the server holds a request."""

    def press() -> None:
        if wait_until(lambda: behaviour.requests >= 1):
            press_ctrl_c()

    thread = threading.Thread(target=press)
    thread.start()

    return thread


def wait_all(client: LeapOCR, on_progress: Callable[[JobStatus], Any]) -> object:
    """Wait on one job with `wait_all`."""
    return client.ocr.wait_all(["job_1"], timeout=60, on_progress=on_progress)


def as_completed(client: LeapOCR, on_progress: Callable[[JobStatus], Any]) -> object:
    """Wait on one job with `as_completed`."""
    return list(client.ocr.as_completed(["job_1"], timeout=60, on_progress=on_progress))


@pytest.mark.parametrize("call", [wait_all, as_completed])
def test_ctrl_c_ends_a_batch_mid_request(
    held: tuple[Held, RawServer],
    call: Callable[[LeapOCR, Callable[[JobStatus], Any]], object],
) -> None:
    """Ctrl-C with a request in flight ends the call at once; nothing follows."""
    behaviour, server = held
    seen: list[JobStatus] = []
    with LeapOCR(KEY, base_url=server.base_url, timeout=20) as client:
        presser = ctrl_c_once_asked(behaviour)
        before = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            call(client, seen.append)
        took = time.monotonic() - before
        presser.join()
        # The request in flight now gets its answer: no report, no new request.
        behaviour.release.set()
        time.sleep(0.3)
    assert took < 5.0
    assert behaviour.requests == 1
    assert seen == []


def test_ctrl_c_ends_status_wait_mid_request(
    held: tuple[Held, RawServer],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`leapocr status --wait` exits 130 at once with a request in flight."""
    behaviour, server = held
    monkeypatch.setenv("LEAPOCR_API_KEY", KEY)
    presser = ctrl_c_once_asked(behaviour)
    before = time.monotonic()
    code = main(["status", "--wait", "--base-url", server.base_url, "job_1"])
    took = time.monotonic() - before
    presser.join()
    behaviour.release.set()
    time.sleep(0.3)
    out, err = capsys.readouterr()
    assert code == 130
    assert took < 5.0
    assert "interrupted" in err
    assert out == ""
    assert behaviour.requests == 1
