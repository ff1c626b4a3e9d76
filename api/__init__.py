"""The HTTP API (FastAPI) and the cyclist web page."""
