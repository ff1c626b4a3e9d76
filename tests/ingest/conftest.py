"""Fixtures for ingest tests live in tests/conftest.py (start_ingest, registry_file)."""

from tests.conftest import IngestFactory

__all__ = ["IngestFactory"]
