"""queuepulse.grafana."""
