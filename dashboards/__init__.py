"""Grafana dashboards and provisioning for mobility officers."""
