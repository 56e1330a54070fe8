"""The command line: `seedream-mock serve|openapi|verify|...` (`main.py`) and its flags
(`parser.py`).

An entry point at the top of the house: it may import everything below it (the server, the
settings, scenario files), and nothing imports it but `python -m mock_server`.
"""
