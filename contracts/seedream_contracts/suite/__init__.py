"""The contract suite: HTTP-only tests that run unchanged against the mock or the real API."""
