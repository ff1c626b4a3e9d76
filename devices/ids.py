"""Identifier rules shared by topics, the registry and the store."""

import re
from typing import Annotated

from pydantic import StringConstraints

ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
ID_RE = re.compile(ID_PATTERN)

Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
"""A device, parking or counter id: 1-64 characters of ``[A-Za-z0-9._-]`` (docs/design.md)."""
