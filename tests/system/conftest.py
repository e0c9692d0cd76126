"""Fixtures of the system tests: local HTTP servers."""

from tests.support.fixtures import serve  # noqa: F401 - a fixture
