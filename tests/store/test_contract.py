"""The store contract, run against every backend of tests/store/conftest.py (BACKENDS)."""

from tests.store.contract import StoreContract


class TestStoreContract(StoreContract):
    """Every test of the contract, for each value of the ``store`` fixture."""
