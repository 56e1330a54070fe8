"""Callback deliveries: `Webhooks` subscribes to task endings and schedules attempts
(`delivery.py`); the records of each delivery and attempt (`records.py`) and their bounded log
(`log.py`); one POST (`sender.py`), its signature (`signing.py`), its bytes on the wire
(`wire.py`) over a deadline-bound socket (`sockets.py`) kept alive for the next one
(`connections.py`), and the thread pool that sends (`workers.py`).

May import `core/` and `settings/`; never another capability, the emulator, Flask or the HTTP
layer.
"""
