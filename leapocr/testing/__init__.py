"""A LeapOCR-compatible sandbox, to test code that waits on jobs, offline.

A `JobBook` holds jobs whose status moves with a clock (pending, processing
page by page, then completed, failed or partially done), checks the API key,
answers 400, 401, 403, 404 and 405 as the service does, and can be told to
misbehave: error statuses with `Retry-After`, malformed bodies, dropped
connections, slow answers, or random faults at a seeded rate.

Serve a book over real HTTP on 127.0.0.1 with `Sandbox` (needs the `testing`
extra, which installs pytest-httpserver), or in-process with
`mock_transport`::

    from leapocr.testing import Sandbox

    with Sandbox() as sandbox:
        job_id = sandbox.add_job(pages=5, duration=2.0)
        sandbox.inject(429, retry_after="1")
        # point a client at sandbox.base_url with sandbox.api_key

The sandbox speaks the wire as the live service does by default; a job added
with `shape="documented"` answers as the documentation shows instead.
"""

from leapocr.testing._jobs import DEFAULT_API_KEY, JobBook, SandboxResponse
from leapocr.testing._mock import mock_transport
from leapocr.testing._server import Sandbox

__all__ = ["DEFAULT_API_KEY", "JobBook", "Sandbox", "SandboxResponse", "mock_transport"]
