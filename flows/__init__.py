"""Bytewax dataflows: wiring only (sources, sinks, get_flow() per flow)."""
