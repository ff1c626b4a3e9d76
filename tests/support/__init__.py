"""Test helpers: private Mosquitto and InfluxDB servers on free loopback ports, processes, polling."""
