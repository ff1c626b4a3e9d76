"""ridebuy: smart bike parkings and bike counters, from MQTT to InfluxDB, a live API and Grafana."""

__version__ = "0.1.0"
