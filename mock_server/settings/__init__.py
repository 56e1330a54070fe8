"""The server's settings: `Settings` with its defaults, MOCK_* variables, config files and flags
(`config.py`, `sources.py`), the value types and parsers they share (`values.py`), and who may
reach the control API from where (`exposure.py`).

Read by every capability, so it imports only `core/` (the clock's bounds) and the contract kit;
never Flask, the HTTP layer or a capability.
"""

from mock_server.settings.config import Settings

__all__ = ["Settings"]
