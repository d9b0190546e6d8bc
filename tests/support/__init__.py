"""Test support: the real servers the integration tests start, and waits with deadlines."""
