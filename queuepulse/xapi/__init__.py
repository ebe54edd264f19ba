"""queuepulse.xapi."""
