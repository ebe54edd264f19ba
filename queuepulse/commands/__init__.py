"""CLI sub-commands: one module per command group, each exposing ``register(subparsers)``.

Modules import their heavy dependencies (bytewax, uvicorn, psycopg) inside the handler, so
``queuepulse --help`` stays fast.
"""
