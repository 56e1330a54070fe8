"""The recording proxy (`seedream-mock proxy`): forwards to a real target, checks each answer
against a profile, records each exchange with keys redacted. Plain WSGI on `httpd/`."""

from mock_server.proxy.server import ProxyServer

__all__ = ["ProxyServer"]
