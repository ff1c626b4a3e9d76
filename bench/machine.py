"""The machine a benchmark ran on: cores, CPU model, memory, Python and the server versions."""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from importlib import metadata

import psutil


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version_of(command: list[str], pattern: str) -> str:
    if shutil.which(command[0]) is None and not os.path.exists(f"/usr/sbin/{command[0]}"):
        return "not installed"
    binary = shutil.which(command[0]) or f"/usr/sbin/{command[0]}"
    try:
        done = subprocess.run([binary, *command[1:]], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    found = re.search(pattern, done.stdout + done.stderr)
    return found.group(1) if found else "unknown"


def describe() -> dict[str, str]:
    """The facts that make a figure comparable."""
    memory_gib = psutil.virtual_memory().total / 1024**3
    return {
        "cores": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "ram": f"{memory_gib:.1f} GiB",
        "python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "os": f"{platform.system()} {platform.release()}",
        "mosquitto": _version_of(["mosquitto", "-h"], r"mosquitto version (\S+)"),
        "influxd": _version_of(["influxd", "version"], r"InfluxDB v?(\S+)"),
        "paho-mqtt": metadata.version("paho-mqtt"),
        "pydantic": metadata.version("pydantic"),
        "uvicorn": metadata.version("uvicorn"),
    }


def machine_lines() -> list[str]:
    facts = describe()
    return [
        f"machine: {facts['cores']} cores, {facts['cpu']}, {facts['ram']} RAM, {facts['os']}",
        f"software: {facts['python']}, mosquitto {facts['mosquitto']}, influxd {facts['influxd']}, "
        f"paho-mqtt {facts['paho-mqtt']}, pydantic {facts['pydantic']}, uvicorn {facts['uvicorn']}",
    ]
