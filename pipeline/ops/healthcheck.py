"""One HTTP probe of a local process, for a container's HEALTHCHECK: the worker's /healthz,
or the /metrics of `carepipe webhooks` and `carepipe lag-exporter`."""

from __future__ import annotations

import urllib.error
import urllib.request


def probe(port: int, path: str, timeout_s: float = 4.0) -> str | None:
    """None when ``http://127.0.0.1:<port><path>`` answers 2xx, else what went wrong."""
    url = f"http://127.0.0.1:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            response.read()
            return None
    except urllib.error.HTTPError as answer:
        answer.close()
        return f"{url}: HTTP {answer.code}"
    except OSError as exc:
        return f"{url}: {getattr(exc, 'reason', exc)}"
