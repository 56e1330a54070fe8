"""The HTTP layer: thin Flask blueprints that parse a request, call the domain and serialise.

`public.py` and `files.py` serve the API, `control*.py` the control API under /_mock/ (through
`control.Control`), `faults.py` carries out the HTTP-level faults, `envelope.py` builds every
error. May import the domain, `httpd/` (the connection a socket fault acts on) and Flask; nothing
below it imports it.
"""
