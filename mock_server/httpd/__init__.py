"""seedream-mock's own HTTP/1.1 server for its WSGI app (see `server.py` for why it exists).

Plain WSGI: one event-loop thread, llhttp parsing, bounded inputs. It imports neither Flask nor
any other part of `mock_server`; `server.py` at the top hands it the app.
"""

from mock_server.httpd.connection import CONNECTION_KEY, Connection
from mock_server.httpd.journal import ANSWER_KEY, Journal, Journals
from mock_server.httpd.requests import HEADERS_KEY, Limits
from mock_server.httpd.server import HttpServer

__all__ = [
    "ANSWER_KEY",
    "CONNECTION_KEY",
    "HEADERS_KEY",
    "Connection",
    "HttpServer",
    "Journal",
    "Journals",
    "Limits",
]
