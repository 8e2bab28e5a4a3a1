"""Timeouts of the directory tests: the shared fixtures are in tests/conftest.py."""

from __future__ import annotations

from datetime import timedelta

TIMEOUT = timedelta(seconds=10)  # generous: the machine is slow
SHORT = timedelta(seconds=0.3)  # for the tests that want a lookup to time out
