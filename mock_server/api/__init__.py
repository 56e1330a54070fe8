"""The HTTP layer: thin Flask blueprints that parse, call the emulator and serialise."""
