"""The local registry's one error: ``RegistryProcessError``, printed by the CLI as one line."""

from __future__ import annotations

from processors.errors import StartupError


class RegistryProcessError(StartupError):
    """The local schema registry could not be installed, started or stopped."""
