"""``ridebuy demo``: the whole system in one process, nothing to install (see docs/demo.md)."""
