"""queuepulse.domain."""
