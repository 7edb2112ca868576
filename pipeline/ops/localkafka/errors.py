"""The local broker's one error: ``BrokerError``, a start-up error the CLI prints as one line."""

from __future__ import annotations

from processors.errors import StartupError


class BrokerError(StartupError):
    """The local broker could not be prepared, started or stopped."""
