"""Storage: the schema of DESIGN.md as points, the store interface, and its backends (selected by URL)."""
