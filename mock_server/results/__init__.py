"""What a result URL serves: which PNG, until when, and edits drawn from earlier results
(`files.py`); the placeholder renderer and its byte-bounded cache (`images.py`).

May import `core/` and `settings/`; never another capability, the emulator, Flask or the HTTP
layer.
"""
