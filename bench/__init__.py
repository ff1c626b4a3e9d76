"""Benchmarks of ridebuy (issue 8), each a command: ``python -m bench.<name> --help``.

They start private Mosquitto and InfluxDB servers (tests/support) and real ``ridebuy`` processes, and print their
figures together with the machine they ran on. docs/performance.md holds the figures and the targets.
"""
