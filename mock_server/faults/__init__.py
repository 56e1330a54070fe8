"""Fault injection: the rules and their registry (`rules.py`), the one decision per request that
chooses every layer's action (`decision.py`), and scenario files, checked whole before anything
changes (`scenarios.py`).

May import `core/` and `settings/`; never another capability, the emulator, Flask or the HTTP
layer (the HTTP layer carries out its faults in `api/faults.py`).
"""
