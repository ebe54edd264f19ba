"""Shared panel factories: every dashboard builds its panels from these few shapes.

Each factory returns a foundation-SDK builder with the datasource, title, description, unit
and target already set, so a panel function only says what is special about its panel.
Layout is explicit (``grid_pos``) so that regenerated JSON is byte-for-byte stable.
"""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders import bargauge, common, heatmap, stat, statetimeline, table
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import timeseries as ts
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm

from queuepulse.grafana.ids import DATASOURCE_TYPE, DATASOURCE_UID
from queuepulse.grafana.sqlquery import SqlQueryBuilder

Step = tuple[float | None, str]

# Colour steps used across dashboards (the first step's value is the base, None).
GOOD_HIGH_PCT: tuple[Step, ...] = ((None, "red"), (70.0, "orange"), (80.0, "green"))
BAD_HIGH_WAIT_S: tuple[Step, ...] = ((None, "green"), (30.0, "orange"), (60.0, "red"))
BAD_HIGH_COUNT: tuple[Step, ...] = ((None, "green"), (1.0, "orange"), (5.0, "red"))
NEUTRAL: tuple[Step, ...] = ((None, "blue"),)
GOOD_HIGH_COUNT: tuple[Step, ...] = ((None, "red"), (1.0, "green"))


def datasource() -> dm.DataSourceRef:
    """Reference to the provisioned QueuePulse TimescaleDB datasource."""
    return dm.DataSourceRef(type_val=DATASOURCE_TYPE, uid=DATASOURCE_UID)


def thresholds(steps: Sequence[Step]) -> dash.ThresholdsConfig:
    """Absolute colour thresholds from (value, colour) steps."""
    return (
        dash.ThresholdsConfig()
        .mode(dm.ThresholdsMode.ABSOLUTE)
        .steps([dm.Threshold(value=value, color=colour) for value, colour in steps])
    )


def pos(x: int, y: int, w: int, h: int) -> dm.GridPos:
    """Grid position (24 columns wide)."""
    return dm.GridPos(h=h, w=w, x=x, y=y)


def stat_panel(
    title: str,
    description: str,
    target: SqlQueryBuilder,
    unit: str,
    grid: dm.GridPos,
    steps: Sequence[Step] = NEUTRAL,
    *,
    per_row: bool = False,
) -> stat.Panel:
    """A big number (or one tile per result row with ``per_row``), coloured by thresholds."""
    reduce = common.ReduceDataOptions().calcs(["lastNotNull"]).values(per_row)
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(datasource())
        .with_target(target)
        .unit(unit)
        .grid_pos(grid)
        .thresholds(thresholds(steps))
        .color_mode(cm.BigValueColorMode.BACKGROUND)
        .graph_mode(cm.BigValueGraphMode.NONE)
        .text_mode(cm.BigValueTextMode.VALUE_AND_NAME if per_row else cm.BigValueTextMode.AUTO)
        .justify_mode(cm.BigValueJustifyMode.CENTER)
        .reduce_options(reduce)
        .no_value("0")
    )


def timeseries_panel(
    title: str,
    description: str,
    targets: Sequence[SqlQueryBuilder],
    unit: str,
    grid: dm.GridPos,
    steps: Sequence[Step] = NEUTRAL,
    *,
    bars: bool = False,
) -> ts.Panel:
    """A time-series graph; targets must use the ``time_series`` format."""
    panel = (
        ts.Panel()
        .title(title)
        .description(description)
        .datasource(datasource())
        .unit(unit)
        .grid_pos(grid)
        .thresholds(thresholds(steps))
        .min(0)
        .legend(
            common.VizLegendOptions()
            .display_mode(cm.LegendDisplayMode.TABLE)
            .placement(cm.LegendPlacement.BOTTOM)
            .show_legend(True)
            .calcs(["mean", "max"])
        )
        .tooltip(
            common.VizTooltipOptions()
            .mode(cm.TooltipDisplayMode.MULTI)
            .sort(cm.SortOrder.DESCENDING)
        )
    )
    if bars:
        panel = panel.draw_style(cm.GraphDrawStyle.BARS).fill_opacity(60)
    else:
        panel = panel.fill_opacity(10).line_width(2)
    for target in targets:
        panel = panel.with_target(target)
    return panel


def table_panel(
    title: str,
    description: str,
    target: SqlQueryBuilder,
    grid: dm.GridPos,
    unit: str = "none",
    steps: Sequence[Step] = NEUTRAL,
) -> table.Panel:
    """A table with a header, filterable columns and per-column overrides added by callers."""
    return (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(datasource())
        .with_target(target)
        .unit(unit)
        .grid_pos(grid)
        .thresholds(thresholds(steps))
        .show_header(True)
        .filterable(True)
    )


def coloured(steps: Sequence[Step], unit: str) -> list[dm.DynamicConfigValue]:
    """Override properties: colour a table column's cell background by thresholds."""
    return [
        dm.DynamicConfigValue(id_val="unit", value=unit),
        dm.DynamicConfigValue(
            id_val="thresholds",
            value=thresholds(steps).build(),
        ),
        dm.DynamicConfigValue(
            id_val="custom.cellOptions",
            value=cm.TableColoredBackgroundCellOptions(
                mode=cm.TableCellBackgroundDisplayMode.BASIC
            ),
        ),
    ]


def unit_only(unit: str) -> list[dm.DynamicConfigValue]:
    """Override properties: just a unit for a table column."""
    return [dm.DynamicConfigValue(id_val="unit", value=unit)]


def heatmap_rows_panel(
    title: str, description: str, target: SqlQueryBuilder, grid: dm.GridPos, unit: str
) -> heatmap.Panel:
    """A heatmap of pre-bucketed rows (one numeric column per bucket, no client-side calc)."""
    return (
        heatmap.Panel()
        .title(title)
        .description(description)
        .datasource(datasource())
        .with_target(target)
        .grid_pos(grid)
        .unit(unit)
        .calculate(False)
        .show_value(cm.VisibilityMode.AUTO)
    )


def state_timeline_panel(
    title: str,
    description: str,
    target: SqlQueryBuilder,
    grid: dm.GridPos,
    partition_by: str,
    colours: Sequence[tuple[str, str]],
) -> statetimeline.Panel:
    """A state timeline: one row per value of ``partition_by``; states coloured by mapping."""
    mapping = dm.ValueMap(
        options={
            state: dm.ValueMappingResult(text=state, color=colour, index=index)
            for index, (state, colour) in enumerate(colours)
        }
    )
    return (
        statetimeline.Panel()
        .title(title)
        .description(description)
        .datasource(datasource())
        .with_target(target)
        .grid_pos(grid)
        .mappings([mapping])
        .merge_values(True)
        .show_value(cm.VisibilityMode.NEVER)
        .with_transformation(
            dm.DataTransformerConfig(
                id_val="partitionByValues",
                options={"fields": [partition_by], "keepFields": False},
            )
        )
    )


def bargauge_panel(
    title: str,
    description: str,
    target: SqlQueryBuilder,
    unit: str,
    grid: dm.GridPos,
    steps: Sequence[Step] = NEUTRAL,
) -> bargauge.Panel:
    """Horizontal bars, one per result row (rankings)."""
    return (
        bargauge.Panel()
        .title(title)
        .description(description)
        .datasource(datasource())
        .with_target(target)
        .unit(unit)
        .grid_pos(grid)
        .thresholds(thresholds(steps))
        .orientation(cm.VizOrientation.HORIZONTAL)
        .display_mode(cm.BarGaugeDisplayMode.GRADIENT)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(True))
        .min(0)
    )


def link(title: str, url: str, *more: tuple[str, str]) -> list[dm.DynamicConfigValue]:
    """Override properties: data links on a table column (``${__data.fields.X}`` in a url
    refers to a column of the clicked row); ``more`` adds further (title, url) links."""
    links = [{"title": t, "url": u} for t, u in ((title, url), *more)]
    return [dm.DynamicConfigValue(id_val="links", value=links)]


def text_colours(colours: Sequence[tuple[str, str]]) -> list[dm.DynamicConfigValue]:
    """Override properties: colour a text column's cell background by its value."""
    mapping = dm.ValueMap(
        options={
            state: dm.ValueMappingResult(text=state, color=colour, index=index)
            for index, (state, colour) in enumerate(colours)
        }
    )
    return [
        dm.DynamicConfigValue(id_val="mappings", value=[mapping]),
        dm.DynamicConfigValue(
            id_val="custom.cellOptions",
            value=cm.TableColoredBackgroundCellOptions(
                mode=cm.TableCellBackgroundDisplayMode.BASIC
            ),
        ),
    ]


def value_text(value: str, text: str, colour: str) -> dm.ValueMap:
    """A value mapping: show ``text`` in ``colour`` for exactly ``value``."""
    return dm.ValueMap(options={value: dm.ValueMappingResult(text=text, color=colour, index=0)})
