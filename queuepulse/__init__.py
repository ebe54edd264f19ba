"""queuepulse: real-time call-queue monitoring and analytics for 3CX v20."""

__version__ = "0.1.0"
