"""queuepulse.simulator."""
