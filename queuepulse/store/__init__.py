"""queuepulse.store."""
