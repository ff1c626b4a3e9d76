"""Storage: the schema of docs/design.md as points, the store interface, and its backends (selected by URL)."""
