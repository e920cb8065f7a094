"""The `leapocr` command: output, exit codes, the key kept secret, the sandbox."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from leapocr._cli import EXIT_CODES, main
from leapocr.testing import Sandbox

ROOT = Path(__file__).resolve().parent.parent
SECRET = "cli-key-not-a-secret"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox for the module, accepting the test key."""
    with Sandbox() as server:
        server.add_key(SECRET)
        yield server


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox) -> None:
    """The key the command reads, pointed at the sandbox."""
    monkeypatch.setenv("LEAPOCR_API_KEY", SECRET)
    monkeypatch.setenv("LEAPOCR_BASE_URL", sandbox.base_url)


def job(sandbox: Sandbox, **kwargs: object) -> str:
    """A job owned by the command's key."""
    return sandbox.add_job(owner=SECRET, pages=2, **kwargs)  # type: ignore[arg-type]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the command in-process; its exit code, stdout and stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert SECRET not in out + err

    return code, out, err


@pytest.mark.usefixtures("env")
def test_status_prints_one_line_per_job(
    capsys: pytest.CaptureFixture[str], sandbox: Sandbox
) -> None:
    """Without --wait, each job's status is printed once; completed exits 0."""
    first, second = job(sandbox, duration=0.0), job(sandbox, duration=0.0)
    code, out, _ = run(capsys, "status", first, second)
    lines = out.splitlines()
    assert code == 0
    assert [line.split()[:2] for line in lines] == [
        [first, "completed"],
        [second, "completed"],
    ]
    assert "100.0%" in lines[0]
    assert "2/2 pages" in lines[0]


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"duration": 0.0}, 0),
        ({"duration": 0.0, "outcome": "failed"}, 1),
        ({"duration": 0.0, "outcome": "partially_done"}, 1),
        ({"duration": 600.0}, 3),
    ],
)
def test_exit_code_follows_the_status(
    capsys: pytest.CaptureFixture[str],
    sandbox: Sandbox,
    kwargs: dict[str, object],
    code: int,
) -> None:
    """Completed 0, failed or partial 1, still running 3."""
    assert run(capsys, "status", job(sandbox, **kwargs))[0] == code


@pytest.mark.usefixtures("env")
def test_highest_code_wins(
    capsys: pytest.CaptureFixture[str], sandbox: Sandbox
) -> None:
    """With a failed job and a missing one, the not-found code is returned."""
    failed = job(sandbox, duration=0.0, outcome="failed")
    code, out, _ = run(capsys, "status", failed, "job_missing")
    assert code == 5
    assert "NotFoundError" in out


@pytest.mark.usefixtures("env")
def test_refusals_exit_4(
    capsys: pytest.CaptureFixture[str],
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another account's job (403) and a wrong key (401) exit 4."""
    theirs = sandbox.add_job()
    assert run(capsys, "status", theirs)[0] == 4
    monkeypatch.setenv("LEAPOCR_API_KEY", "wrong-key-not-a-secret")
    code, out, _ = run(capsys, "status", job(sandbox))
    assert code == 4
    assert "AuthenticationError" in out
    assert "wrong-key-not-a-secret" not in out


@pytest.mark.usefixtures("env")
def test_malformed_id_exits_5(capsys: pytest.CaptureFixture[str]) -> None:
    """An id the service rejects as malformed (400) exits as not found."""
    assert run(capsys, "status", "not a job id")[0] == 5


@pytest.mark.usefixtures("env")
def test_server_errors_exit_6(
    capsys: pytest.CaptureFixture[str], sandbox: Sandbox
) -> None:
    """A 500 that retrying does not cure exits 6."""
    target = job(sandbox)
    sandbox.inject(500)
    code, out, _ = run(capsys, "status", "--max-retries", "0", target)
    assert code == 6
    assert "InternalServerError" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["status"],
        ["status", "--timeout", "-1", "job_a"],
        ["status", "--max-retries", "x", "job_a"],
        ["status", "--bogus", "job_a"],
        ["sandbox", "--port", "70000"],
        [],
    ],
)
def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    """Unknown options, missing ids and bad numbers exit 2."""
    assert run(capsys, *argv)[0] == 2


def test_missing_key_exits_2_naming_the_variable(
    capsys: pytest.CaptureFixture[str], sandbox: Sandbox
) -> None:
    """Without LEAPOCR_API_KEY, the command says so and exits 2."""
    code, _, err = run(capsys, "status", "--base-url", sandbox.base_url, "job_a")
    assert code == 2
    assert "LEAPOCR_API_KEY" in err


@pytest.mark.usefixtures("env")
def test_bad_base_url_and_job_id_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """A base URL that is not http(s), or an id like "..", is bad usage."""
    assert run(capsys, "status", "--base-url", "ftp://127.0.0.1/", "job_a")[0] == 2
    assert run(capsys, "status", "..")[0] == 2


@pytest.mark.usefixtures("env")
def test_json_lines(capsys: pytest.CaptureFixture[str], sandbox: Sandbox) -> None:
    """--json prints one object per job, errors included."""
    done = job(sandbox, duration=0.0)
    code, out, _ = run(capsys, "status", "--json", done, "job_missing")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 5
    assert records[0]["job_id"] == done
    assert records[0]["status"] == "completed"
    assert records[0]["progress"] == 100.0
    assert records[0]["final"] is True
    assert records[1]["error"]["type"] == "NotFoundError"
    assert records[1]["error"]["status_code"] == 404


@pytest.mark.usefixtures("env")
def test_wait_follows_jobs_to_the_end(
    capsys: pytest.CaptureFixture[str], sandbox: Sandbox
) -> None:
    """--wait prints each change when piped, and exits by the worst ending."""
    good = job(sandbox, duration=0.4)
    bad = job(sandbox, duration=0.2, outcome="failed", error_message="page 2 broke")
    code, out, _ = run(capsys, "status", "--wait", "--poll-interval", "0.1", good, bad)
    assert code == 1
    assert "\x1b[" not in out
    good_lines = [line for line in out.splitlines() if line.startswith(good)]
    assert "completed" in good_lines[-1]
    assert "page 2 broke" in out


@pytest.mark.usefixtures("env")
def test_wait_json_lines(capsys: pytest.CaptureFixture[str], sandbox: Sandbox) -> None:
    """--wait --json prints a record per change, the last one final."""
    target = job(sandbox, duration=0.3)
    code, out, _ = run(
        capsys, "status", "--wait", "--json", "--poll-interval", "0.1", target
    )
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert records[-1]["final"] is True
    assert records[-1]["status"] == "completed"
    assert all(not r["final"] for r in records[:-1])


@pytest.mark.usefixtures("env")
def test_wait_timeout_exits_3(
    capsys: pytest.CaptureFixture[str], sandbox: Sandbox
) -> None:
    """A wait that outlasts --timeout exits 3 and says so."""
    target = job(sandbox, duration=600.0)
    code, out, _ = run(capsys, "status", "--wait", "--timeout", "0.3", target)
    assert code == 3
    assert "JobTimeoutError" in out


class Terminal(io.StringIO):
    """A stdout that says it is a terminal."""

    def isatty(self) -> bool:
        """Pretend to be a terminal."""
        return True


@pytest.mark.usefixtures("env")
def test_wait_on_a_terminal_draws_bars(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a terminal, --wait redraws a progress bar per job in place."""
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("LINES", "40")
    monkeypatch.setenv("TERM", "xterm")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    first, second = job(sandbox, duration=0.4), job(sandbox, duration=0.0)
    assert main(["status", "--wait", "--poll-interval", "0.1", first, second]) == 0
    screen = terminal.getvalue()
    assert "\x1b[2F" in screen
    assert "[" + "#" * 24 + "]" in screen
    last_frame = screen.rsplit("\x1b[2F", 1)[-1]
    assert last_frame.count("completed") == 2
    assert SECRET not in screen


def test_every_exit_code_is_documented() -> None:
    """The help lists each exit code; the README's table matches it."""
    readme = (ROOT / "README.md").read_text()
    for code in EXIT_CODES:
        assert re.search(rf"^\| {code} \|", readme, re.MULTILINE), code


def test_module_and_console_script_run(tmp_path: Path) -> None:
    """`python -m leapocr` and the installed `leapocr` script both answer."""
    script = Path(sys.executable).parent / "leapocr"
    for command in ([sys.executable, "-m", "leapocr"], [str(script)]):
        done = subprocess.run(
            [*command, "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            cwd=tmp_path,
        )
        assert done.returncode == 0
        assert done.stdout.startswith("leapocr ")


def test_sandbox_command_serves_until_interrupted() -> None:
    """`leapocr sandbox` prints its address, key and jobs; Ctrl-C stops it."""
    server = subprocess.Popen(
        [sys.executable, "-m", "leapocr", "sandbox"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("LEAPOCR_")},
    )
    try:
        assert server.stdout is not None
        banner = "".join(next(server.stdout) for _ in range(16))
        url = re.search(r"LEAPOCR_BASE_URL=(\S+)", banner)
        key = re.search(r"LEAPOCR_API_KEY=(\S+)", banner)
        ids = re.findall(r"^  ([0-9a-f-]{36})  ", banner, re.MULTILINE)
        assert url is not None
        assert key is not None
        assert url.group(1).startswith("http://127.0.0.1:")
        assert len(ids) == 5

        env = {**os.environ, "LEAPOCR_API_KEY": key.group(1)}
        command = [sys.executable, "-m", "leapocr", "status"]
        status = subprocess.run(
            [*command, "--base-url", url.group(1), *ids],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env=env,
        )
        assert status.returncode == 3
        assert len(status.stdout.splitlines()) == 5
    finally:
        server.send_signal(signal.SIGINT)
        out, _ = server.communicate(timeout=10)
    assert server.returncode == 0
    assert "sandbox stopped" in out


def test_sandbox_needs_the_testing_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without leapocr[testing], `leapocr sandbox` says what to install."""
    from leapocr._cli_sandbox import serve

    monkeypatch.setitem(sys.modules, "leapocr.testing", None)
    out, err = io.StringIO(), io.StringIO()
    assert serve(0, out, err) == 2
    assert "leapocr[testing]" in err.getvalue()


def test_sandbox_on_a_busy_port_exits_2(sandbox: Sandbox) -> None:
    """A port already taken is reported, not raised."""
    from leapocr._cli_sandbox import serve

    port = int(sandbox.base_url.split(":")[2].split("/")[0])
    out, err = io.StringIO(), io.StringIO()
    assert serve(port, out, err) == 2
    assert f"127.0.0.1:{port}" in err.getvalue()


def test_sandbox_listens_on_the_port_asked() -> None:
    """Sandbox(port=N) serves on 127.0.0.1:N; a port out of range is refused."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with Sandbox(port=port) as server:
        assert server.base_url == f"http://127.0.0.1:{port}/api/v1"
    with pytest.raises(ValueError, match="port"):
        Sandbox(port=70000)
