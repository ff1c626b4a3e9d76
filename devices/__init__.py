"""Device contracts: registry, native MQTT topics and payloads, readings, and the live-availability fold.

Nothing in this package does I/O beyond reading the registry file it is asked to load.
"""
