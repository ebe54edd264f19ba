"""Report rows as pandas DataFrames (the optional ``pandas`` extra).

    pip install 'queuepulse[pandas]'

pandas is imported only when :func:`to_dataframe` is called: queuepulse itself never needs it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from queuepulse.analytics.reports import Row, columns_of
from queuepulse.errors import SetupError

__all__ = ["to_dataframe"]


def to_dataframe(rows: Sequence[Row], row_type: type[Row] | None = None) -> Any:
    """A ``pandas.DataFrame`` of report rows, one column per row field, in report order.

    ``row_type`` gives the columns of an empty result (otherwise taken from the first row).
    Raises :class:`~queuepulse.errors.SetupError` naming the extra when pandas is missing.
    """
    try:
        import pandas
    except ImportError:
        raise SetupError(
            "to_dataframe needs pandas, an optional extra: pip install 'queuepulse[pandas]'"
        ) from None
    kind = row_type or (type(rows[0]) if rows else None)
    columns = columns_of(kind) if kind is not None else []
    return pandas.DataFrame([dataclasses.astuple(r) for r in rows], columns=columns)
