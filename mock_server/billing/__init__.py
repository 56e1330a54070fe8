"""Who may call and what it costs: accounts in open or strict key mode (`accounts.py`), the
key and its account (`keys.py`), the credit ledger that holds, captures and releases
(`credits.py`), and per-key rate limits on the mock's clock (`ratelimit.py`).

May import `core/` and `settings/`; never another capability, the emulator, Flask or the HTTP
layer.
"""
