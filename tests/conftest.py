"""Fixtures shared by the whole suite, and the guard that keeps it on loopback."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class OffLoopbackError(RuntimeError):
    """A test tried to reach a host that is not this machine's loopback."""


def _is_loopback(host: object) -> bool:
    if host in {"localhost", "localhost.", None}:
        return True

    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if isinstance(host, bytes):
        host = host.decode()
    if not _is_loopback(host):
        raise OffLoopbackError(
            f"name lookup of {host!r} refused: tests stay on loopback"
        )

    return _real_getaddrinfo(host, *args, **kwargs)


def _check_address(sock: socket.socket, address: Any) -> None:
    if sock.family in {socket.AF_INET, socket.AF_INET6} and not _is_loopback(
        address[0]
    ):
        raise OffLoopbackError(
            f"connection to {address!r} refused: tests stay on loopback"
        )


def _guarded_connect(sock: socket.socket, address: Any) -> None:
    _check_address(sock, address)
    _real_connect(sock, address)


def _guarded_connect_ex(sock: socket.socket, address: Any) -> int:
    _check_address(sock, address)

    return _real_connect_ex(sock, address)


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> Iterator[None]:
    """Fail any lookup of, or connection to, a host other than loopback."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)
        patch.setattr(socket.socket, "connect", _guarded_connect)
        patch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
        yield


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each test without the caller's LEAPOCR_* variables."""
    import os

    for name in list(os.environ):
        if name.startswith("LEAPOCR_"):
            monkeypatch.delenv(name)


@pytest.fixture
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Back off for milliseconds between retries, not seconds.

    For tests that count attempts over HTTP; how long to back off is tested on
    a fake clock in test_engine.py.
    """
    import leapocr._retry

    monkeypatch.setattr(leapocr._retry, "BACKOFF_BASE", 0.01)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run each async test under asyncio and under trio."""
    backend: str = request.param

    return backend


FAKE_KEY = "test-key-not-a-secret"
Factory = Callable[..., Any]
