"""A self-signed certificate for 127.0.0.1 (openssl), playing a deployment's certificate chain and key."""

from __future__ import annotations

from pathlib import Path

from tests.support.processes import Processes


def self_signed_certificate(directory: Path, processes: Processes) -> tuple[Path, Path]:
    """``(fullchain.pem, privkey.pem)`` in ``directory``, valid one day for 127.0.0.1 and localhost."""
    cert, key = directory / "fullchain.pem", directory / "privkey.pem"
    processes.run(
        [
            *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
            *("-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
        ],
        check=True,
        timeout_s=30,
    )
    return cert, key
