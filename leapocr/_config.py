"""Client configuration: defaults, environment variables and argument checks.

The environment is read here and nowhere else:

* ``LEAPOCR_API_KEY``: the API key, when ``api_key`` is not given;
* ``LEAPOCR_BASE_URL``: the service's address, when ``base_url`` is not given;
* ``LEAPOCR_LOG``: ``debug`` or ``info`` shows the SDK's own log records on
  standard error (a handler on the ``leapocr`` logger only, never the root).
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
import os
import sys
import warnings
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TextIO

import httpx

from leapocr._throttle import Throttle
from leapocr._version import __version__

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "LOG_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "DEFAULT_WAIT_TIMEOUT",
    "ClientConfig",
    "check_job_id",
    "check_seconds",
    "log_from_environment",
]

API_KEY_ENV = "LEAPOCR_API_KEY"
BASE_URL_ENV = "LEAPOCR_BASE_URL"
LOG_ENV = "LEAPOCR_LOG"
DEFAULT_BASE_URL = "https://api.leapocr.com/api/v1"
#: Seconds one request may take, connecting included.
DEFAULT_TIMEOUT = 30.0
#: Retries of one failed request, on top of the first attempt.
DEFAULT_MAX_RETRIES = 3
#: Seconds `wait_until_done` waits for a job, unless told otherwise.
DEFAULT_WAIT_TIMEOUT = 600.0
USER_AGENT = f"leapocr-python/{__version__}"


@dataclass(frozen=True)
class ClientConfig:
    """What a client was configured with; the key never shows in its repr.

    Attributes:
        api_key: The key sent as ``X-API-Key``.
        base_url: The service's address, without a trailing slash.
        timeout: Seconds one request may take.
        max_retries: Retries of one failed request.
        throttle: The pace every call of the client shares (see `_throttle`).
    """

    api_key: str = field(repr=False)
    base_url: str
    timeout: float
    max_retries: int
    throttle: Throttle = field(default_factory=Throttle, repr=False, compare=False)

    @classmethod
    def resolve(
        cls,
        api_key: str | None,
        *,
        base_url: str | None,
        timeout: float,
        max_retries: int,
        allow_insecure_http: bool = False,
    ) -> ClientConfig:
        """Fill in what the caller left out from the environment, and check it.

        Raises:
            ValueError: An argument is out of range, the key is missing, or the
                key would travel unencrypted to a host other than loopback.
            TypeError: An argument has the wrong type.
        """
        key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        if key is None or not str(key).strip():
            raise ValueError(
                f"no API key: pass api_key=... or set the {API_KEY_ENV} "
                "environment variable"
            )
        if not isinstance(key, str):
            raise TypeError(f"api_key must be a str, not {type(key).__name__}")
        _check_key_text(key.strip())

        url = _base_url(base_url)
        log_from_environment()
        return cls(
            api_key=key.strip(),
            base_url=_check_base_url(url, allow_insecure_http),
            timeout=check_seconds(timeout, "timeout"),
            max_retries=check_count(max_retries, "max_retries"),
        )

    def status_url(self, job_id: str) -> httpx.URL:
        """The address of a job's status, its id encoded as one path segment.

        Raises:
            TypeError: The job id is not a string.
            ValueError: The job id is empty or a path step.
        """
        return _status_url(self.base_url, check_job_id(job_id))


#: How many jobs' addresses are kept parsed, across all clients.
STATUS_URL_CACHE = 512


@functools.lru_cache(maxsize=STATUS_URL_CACHE)
def _status_url(base_url: str, job_id: str) -> httpx.URL:
    # Kept parsed: httpx parses an address given as text on every request, at
    # about the cost of all the SDK's own work, and a job is usually asked
    # about again and again. The generated route builds and encodes the path; the shells
    # send it themselves instead of calling sync_detailed, whose parsing raises
    # KeyError or JSONDecodeError on a bad body before the body is seen. It is
    # imported here, on first use, because the generated package and attrs
    # beneath it would weigh more on `import leapocr` than the rest of the SDK.
    from leapocr_client.api.ocr import get_job_status  # noqa: PLC0415

    path: str = get_job_status._get_kwargs(job_id)["url"]
    try:
        return httpx.URL(base_url + path)
    except httpx.InvalidURL:
        # httpx refuses addresses over 64 KB; no real job id is that long.
        raise ValueError(f"job_id is too long ({len(job_id)} characters)") from None


class APIKeyAuth(httpx.Auth):
    """Adds the API key and the SDK's User-Agent to each request.

    Sent per request rather than stored in the httpx client's headers, so the
    key stays out of the client's repr and off a client the caller lent us.
    """

    def __init__(self, api_key: str) -> None:
        """Keep the key for the requests to come."""
        self._api_key = api_key

    def __repr__(self) -> str:
        """Name the class, never the key."""
        return "APIKeyAuth(api_key=<hidden>)"

    def auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the headers and send the request once."""
        request.headers["X-API-Key"] = self._api_key
        request.headers["User-Agent"] = USER_AGENT
        yield request


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is when a record comes.

    Test runners and daemons swap ``sys.stderr`` after the client was built.
    """

    def emit(self, record: logging.LogRecord) -> None:
        """Write the record to the current standard error."""
        self.stream = sys.stderr
        super().emit(record)


_LOG_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_LOG_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


def log_from_environment() -> None:
    """Show the SDK's log records on standard error if ``LEAPOCR_LOG`` asks.

    Only the ``leapocr`` logger is touched, and it gets one handler however
    many clients are built; the level follows the variable's latest value.
    An unknown value is reported with a `RuntimeWarning` and otherwise ignored,
    so a typo in a logging switch never stops an application.
    """
    value = os.environ.get(LOG_ENV, "").strip().lower()
    if not value:
        return

    level = _LOG_LEVELS.get(value)
    if level is None:
        choices = ", ".join(_LOG_LEVELS)
        warnings.warn(
            f"{LOG_ENV}={value!r} is not one of {choices}; ignored",
            RuntimeWarning,
            stacklevel=4,
        )
        return

    logger = logging.getLogger("leapocr")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter(_LOG_FORMAT))
        logger.addHandler(handler)
    logger.setLevel(level)


def check_job_id(job_id: object) -> str:
    """Return the job id if it can name a job, or raise.

    Raises:
        TypeError: It is not a string.
        ValueError: It is empty, blank, or a path step such as ``..``.
    """
    if not isinstance(job_id, str):
        raise TypeError(f"job_id must be a str, not {type(job_id).__name__}")
    if not job_id.strip():
        raise ValueError("job_id must not be empty")
    # "." and ".." survive percent-encoding and would move up the URL's path.
    if job_id in {".", ".."}:
        raise ValueError(f"job_id {job_id!r} is not a job id")
    try:
        job_id.encode()
    except UnicodeEncodeError:
        raise ValueError(f"job_id {job_id!r} is not valid Unicode text") from None

    return job_id


#: The longest span of seconds any option takes (about a year): sockets and
#: thread waits overflow on spans far beyond it, and no wait needs more.
MAX_SECONDS = 365 * 24 * 3600.0


def check_seconds(value: object, name: str, *, allow_none: bool = False) -> float:
    """Return ``value`` as positive finite seconds, or raise naming ``name``."""
    if value is None and allow_none:
        return math.inf
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number of seconds, not {value!r}")
    # Compared before float(): an int of hundreds of digits overflows it.
    if not 0 < value <= MAX_SECONDS:
        raise ValueError(
            f"{name} must be a positive number of seconds up to {MAX_SECONDS:g}, "
            f"not {str(value)[:40]}"
        )

    return float(value)


def check_count(value: object, name: str) -> int:
    """Return ``value`` as a count of zero or more, or raise naming ``name``."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{name} must be a whole number, not {value!r}")
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be zero or more, not {value!r}")

    return value


def _check_key_text(key: str) -> None:
    # httpx would refuse such a key only when sending, in an error whose
    # message or arguments quote the header value: refuse it here, unquoted.
    if not all("!" <= char <= "~" for char in key):
        raise ValueError(
            "api_key must be printable ASCII without spaces; check the value "
            f"passed or set in {API_KEY_ENV}"
        )


def _base_url(given: object) -> object:
    # An empty value is a mistake, not "use the default": falling back would
    # send the key to the real service when a test meant a local one.
    if given is not None:
        if given == "":
            raise ValueError("base_url is empty")
        return given

    from_environment = os.environ.get(BASE_URL_ENV)
    if from_environment is not None and not from_environment.strip():
        raise ValueError(f"{BASE_URL_ENV} is set but empty")

    return from_environment or DEFAULT_BASE_URL


def _check_base_url(url: object, allow_insecure_http: bool) -> str:
    if not isinstance(url, str):
        raise TypeError(f"base_url must be a str, not {type(url).__name__}")

    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise ValueError(f"base_url is not a valid address: {error}") from None
    if parsed.scheme not in {"http", "https"} or not parsed.host:
        raise ValueError(f"base_url must be an http(s) address, not {url!r}")
    if parsed.query or parsed.fragment or parsed.userinfo:
        raise ValueError("base_url must not carry a query, a fragment or credentials")
    if parsed.scheme == "http" and not (allow_insecure_http or _loopback(parsed.host)):
        raise ValueError(
            f"base_url {url!r} would send the API key unencrypted; use https, "
            "or pass allow_insecure_http=True"
        )

    return url.rstrip("/")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
