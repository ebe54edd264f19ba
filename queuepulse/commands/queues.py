"""``queuepulse queues``: queue configuration as code (list, show, export, plan, apply) and
agents' queue login, over the PBX's XAPI."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from queuepulse.commands.run import add_target_options, settings_from_args
from queuepulse.errors import ConfigError, QueuepulseError

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_USAGE = 0, 1, 2, 2

_FILE_HELP = (
    "The file is YAML: a 'queues' list; each queue has its extension number (a quoted string) "
    "and the fields it manages: name, polling_strategy, sla_time, ring_timeout, master_timeout, "
    "wrap_up_time (seconds), max_callers_in_queue, priority_queue, agent_availability_mode, "
    "auto_logout_missed_calls, announce_queue_position, announcement_interval, "
    "announce_estimated_wait_time, announce_estimated_wait_time_interval, callback_enable_time, "
    "callback_offer_only, callback_prefix, recording, notify_codes, agents (extension numbers, "
    "or {number, skill_group}) and managers. A field left out is never changed."
)


def register(subparsers: Any) -> None:
    """Add ``queues`` and its sub-commands."""
    parser = subparsers.add_parser(
        "queues", help="queue configuration as code: list, show, export, plan, apply, agents",
        description=(
            "Read and change the PBX's call queues through its XAPI. Writes need an API client "
            "whose 3CX role may change queues and users (System Owner or Admin); give apply "
            "its own client (QUEUEPULSE_PBX__CLIENT_ID/SECRET), separate from the monitoring "
            "one: 3CX keeps one token per client. Every change is recorded in the database "
            "table queue_config_changes (who = the client id, when, queue, field, old, new, "
            "outcome)."
        ),
    )
    sub = parser.add_subparsers(dest="queues_command", metavar="ACTION", required=True)

    p = sub.add_parser("list", help="every queue's configuration beside today's live figures",
                       description="One line per queue: configuration and, when the database "
                       "answers, calls waiting now and today's offered/answered/SLA (UTC day).")
    _common(p)
    p.set_defaults(handler=_handle_list)

    p = sub.add_parser("show", help="one queue in full: fields, members, live figures",
                       description="Every settable field of QUEUE, its agents (skill group, "
                       "logged in or out) and managers, and today's live figures.")
    p.add_argument("queue", metavar="QUEUE", help="the queue's extension number")
    _common(p)
    p.set_defaults(handler=_handle_show)

    p = sub.add_parser("export", help="write the PBX's queues as a queues file (YAML)",
                       description="Write the PBX's queues (all, or the QUEUE numbers given) "
                       "as a queues file: settable fields only, fixed order, members by "
                       "extension number. " + _FILE_HELP)
    p.add_argument("queues", nargs="*", metavar="QUEUE", help="only these queue numbers")
    p.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    add_target_options(p)
    p.set_defaults(handler=_handle_export)

    p = sub.add_parser("plan", help="show what apply would change (exit 0 none, 2 changes)",
                       description="Compare a queues file with the PBX field by field. Exit "
                       "code 0 = no changes, 2 = changes, 1 = error (the file is invalid, the "
                       "PBX cannot be read). " + _FILE_HELP)
    _file_options(p)
    p.set_defaults(handler=_handle_plan)

    p = sub.add_parser("apply", help="make the PBX's queues match a queues file",
                       description="Validate the file (every problem at once, with its line; "
                       "nothing is applied unless it is valid), show the plan, ask (unless "
                       "--yes), then write queue by queue. Each queue is read again just before "
                       "it is written and apply stops if it changed since the plan. The first "
                       "failure stops the run; the report says what was applied and what not, "
                       "and running apply again completes it. Exit 0 = applied (or nothing to "
                       "do), 1 = a change failed, was refused or not attempted, 2 = bad file, "
                       "settings or answer. " + _FILE_HELP)
    _file_options(p)
    p.add_argument("--yes", "-y", action="store_true", help="do not ask before applying")
    p.add_argument("--dry-run", action="store_true", help="show the plan and stop (as plan)")
    p.add_argument("--force", action="store_true",
                   help="delete queues even with calls waiting (the callers are cut off)")
    p.add_argument("--no-audit", action="store_true",
                   help="apply without recording the changes in the database (not advised)")
    p.set_defaults(handler=_handle_apply)

    p = sub.add_parser("agents", help="log agents in or out of their queues",
                       description="Set agents' queue login state (3CX's per-user QueueStatus: "
                       "in or out of all their queues). Each change is logged and audited.")
    agents_sub = p.add_subparsers(dest="agents_command", metavar="ACTION", required=True)
    for name, what in (("login", "log in"), ("logout", "log out")):
        a = agents_sub.add_parser(name, help=f"{what} the given agents",
                                  description=f"{what.capitalize()} each AGENT (extension "
                                  "number) of its queues. Exit 0 when every agent is done, 1 "
                                  "otherwise.")
        a.add_argument("agents", nargs="+", metavar="AGENT", help="extension numbers")
        a.add_argument("--no-audit", action="store_true",
                       help="do not record the changes in the database")
        add_target_options(a)
        a.set_defaults(handler=_handle_agents, logged_in=name == "login")


def _common(p: argparse.ArgumentParser) -> None:
    add_target_options(p)
    p.add_argument("--no-db", action="store_true",
                   help="do not read live figures from the database")


def _file_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-f", "--file", type=Path, required=True, help="the queues file (YAML)")
    p.add_argument("queues", nargs="*", metavar="QUEUE",
                   help="limit the plan to these queue numbers")
    p.add_argument("--prune", action="store_true",
                   help="delete PBX queues the file does not list (only with this option)")
    add_target_options(p)


# --- helpers ---------------------------------------------------------------------------------

def _client(settings: Any) -> Any:
    from queuepulse.xapi.client import XapiClient

    settings.pbx.require_client_secret()
    return XapiClient(settings.pbx)


def _load_file(path: Path) -> tuple[Any, list[str]]:
    from queuepulse.domain.queue_file import parse_queue_file

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the queues file {path}: {exc.strerror or exc}") from None
    parsed, problems = parse_queue_file(text, str(path))
    return parsed, [str(p) for p in problems]


def _print_problems(problems: Sequence[str], path: Path) -> None:
    print(f"queuepulse: {path} has {len(problems)} problem(s); nothing was applied:",
          file=sys.stderr)
    for line in problems:
        print(f"  {line}", file=sys.stderr)


async def _checked_plan(args: argparse.Namespace, xapi: Any) -> tuple[Any, list[str]]:
    """Parse, read the PBX, check members; (plan, problems)."""
    from queuepulse.domain.queue_file import check_agents
    from queuepulse.queue_admin import plan, read_pbx

    parsed, problems = _load_file(args.file)
    state = await read_pbx(xapi)
    problems += [str(p) for p in check_agents(parsed, state.users, str(args.file))]
    problems.sort(key=_line_of)
    if problems:
        return None, problems
    return plan(parsed.queues, state.queues, prune=args.prune,
                only=args.queues or None), []


def _line_of(problem: str) -> int:
    try:
        return int(problem.split(":", 2)[1])
    except (IndexError, ValueError):
        return 0


def _audit_sink(settings: Any) -> tuple[Any, Any]:
    """(sink, writer): the audit writer, checked reachable before the PBX is touched."""
    from queuepulse.store.db import DatabaseUnavailableError, connect
    from queuepulse.store.writers import BatchWriter

    try:  # fail now, not after the first write to the PBX
        with connect(settings.db.dsn, autocommit=True, application_name="queuepulse-queues") as c:
            row = c.execute("SELECT to_regclass('public.queue_config_changes')").fetchone()
    except DatabaseUnavailableError as exc:
        raise ConfigError(
            f"changes are audited in the database, which cannot be reached: {exc} "
            "Nothing was written to the PBX; fix QUEUEPULSE_DB__DSN / --dsn, or pass --no-audit "
            "to change the PBX without an audit trail."
        ) from None
    if row is None or row[0] is None:
        raise ConfigError("the database has no queue_config_changes table (the audit): run "
                          "'queuepulse db upgrade' first, or pass --no-audit. Nothing was "
                          "written to the PBX.")
    writer = BatchWriter.from_dsn(settings.db.dsn)

    def sink(rows: list[dict[str, Any]]) -> None:
        writer.write({"queue_config_changes": rows})

    return sink, writer


# --- handlers --------------------------------------------------------------------------------

def _handle_export(args: argparse.Namespace) -> int:
    return asyncio.run(_export(args))


async def _export(args: argparse.Namespace) -> int:
    from queuepulse.domain.queue_file import dump_queue_file
    from queuepulse.queue_admin import read_pbx

    settings = settings_from_args(args)
    async with _client(settings) as xapi:
        state = await read_pbx(xapi)
    queues = state.queues
    if args.queues:
        missing = sorted(set(args.queues) - {q.number for q in queues})
        if missing:
            raise ConfigError(f"no queue {', '.join(missing)} on PBX {settings.pbx.pbx_id}")
        queues = tuple(q for q in queues if q.number in set(args.queues))
    header = (f"# queues of PBX {settings.pbx.pbx_id} ({settings.pbx.url}), exported by "
              "queuepulse queues export\n")
    text = dump_queue_file(queues, header)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {len(queues)} queue(s) to {args.output}", file=sys.stderr)
    return EXIT_OK


def _handle_plan(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_plan(args))
    except QueuepulseError as exc:  # plan's contract: 1 = error (2 means "changes")
        print(f"queuepulse: error: {exc}", file=sys.stderr)
        return EXIT_ERROR


async def _plan(args: argparse.Namespace) -> int:
    from queuepulse.queue_admin import plan_lines

    settings = settings_from_args(args)
    async with _client(settings) as xapi:
        the_plan, problems = await _checked_plan(args, xapi)
    if problems:
        _print_problems(problems, args.file)
        return EXIT_ERROR
    print("\n".join(plan_lines(the_plan)))
    return EXIT_OK if the_plan.empty else EXIT_CHANGES


def _handle_apply(args: argparse.Namespace) -> int:
    return asyncio.run(_apply(args))


async def _apply(args: argparse.Namespace) -> int:
    from queuepulse.domain.rules import Rules
    from queuepulse.queue_admin import QueueApplier, plan_lines

    settings = settings_from_args(args)
    async with _client(settings) as xapi:
        the_plan, problems = await _checked_plan(args, xapi)
        if problems:
            _print_problems(problems, args.file)
            return EXIT_USAGE
        print("\n".join(plan_lines(the_plan)))
        if the_plan.empty or args.dry_run:
            return EXIT_OK
        if not args.yes and not _confirm():
            print("nothing applied", file=sys.stderr)
            return EXIT_ERROR
        sink, writer = (None, None) if args.no_audit else _audit_sink(settings)
        try:
            applier = QueueApplier(xapi, audit=sink,
                                   rules=Rules.from_settings(settings.rules, settings.privacy))
            report = await applier.apply(the_plan, force=args.force)
        finally:
            if writer is not None:
                writer.close()
    for r in report.results:
        line = f"{r.outcome:>13}  {r.change.action} queue {r.change.number}"
        print(line + (f": {r.error}" if r.error else ""))
    print(f"apply: {report.count('applied')} applied, {report.count('failed')} failed, "
          f"{report.count('refused')} refused, {report.count('unknown')} unknown, "
          f"{report.count('not_attempted')} not attempted (run {report.run_id})")
    if not report.ok:
        print("queuepulse: not everything was applied; fix the cause and run apply again "
              "(it plans only what is left)", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _confirm() -> bool:
    if not sys.stdin.isatty():
        raise ConfigError("apply asks before writing, but standard input is not a terminal; "
                          "pass --yes to apply without asking (or --dry-run to only look)")
    answer = input("Apply these changes to the PBX? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _handle_agents(args: argparse.Namespace) -> int:
    return asyncio.run(_agents(args))


async def _agents(args: argparse.Namespace) -> int:
    from queuepulse.queue_admin import set_agents_queue_status

    settings = settings_from_args(args)
    sink, writer = (None, None) if args.no_audit else _audit_sink(settings)
    try:
        async with _client(settings) as xapi:
            results = await set_agents_queue_status(xapi, args.agents, args.logged_in,
                                                    audit=sink)
    finally:
        if writer is not None:
            writer.close()
    state = "logged in" if args.logged_in else "logged out"
    for number, outcome, error in results:
        print(f"{number}: {state}" if outcome == "applied" else f"{number}: {outcome}: {error}")
    return EXIT_OK if all(o == "applied" for _, o, _ in results) else EXIT_ERROR


def _handle_list(args: argparse.Namespace) -> int:
    return asyncio.run(_list(args, None))


def _handle_show(args: argparse.Namespace) -> int:
    return asyncio.run(_list(args, args.queue))


async def _list(args: argparse.Namespace, one: str | None) -> int:
    from queuepulse.queue_admin import read_pbx

    settings = settings_from_args(args)
    async with _client(settings) as xapi:
        state = await read_pbx(xapi)
    queues = state.queues
    if one is not None:
        queues = tuple(q for q in queues if q.number == one)
        if not queues:
            raise ConfigError(f"no queue {one} on PBX {settings.pbx.pbx_id}")
    live: dict[str, dict[str, Any]] = {}
    note = ""
    if not args.no_db:
        live, note = _live_figures(settings, [q.number for q in queues])
    if one is None:
        _print_list(queues, state, live)
    else:
        _print_show(queues[0], state, live.get(one))
    if note:
        print(note, file=sys.stderr)
    return EXIT_OK


def _live_figures(settings: Any, numbers: list[str]) -> tuple[dict[str, dict[str, Any]], str]:
    """Calls waiting now and today's (UTC) offered/answered/SLA per queue, from the database."""
    import psycopg

    from queuepulse.store.db import DatabaseUnavailableError, connect

    try:
        conn = connect(settings.db.dsn, autocommit=True, connect_timeout_s=3,
                       application_name="queuepulse-queues")
    except DatabaseUnavailableError as exc:
        return {}, f"(no live figures: {exc})"
    sql = """
        SELECT q.dn,
               (SELECT waiting FROM queue_live l WHERE l.pbx_id = %(pbx)s AND l.queue_dn = q.dn
                 AND l.ts > now() - INTERVAL '2 minutes' ORDER BY ts DESC LIMIT 1),
               k.offered, k.answered, k.abandoned, k.sla_pct
        FROM unnest(%(dns)s::text[]) AS q(dn)
        LEFT JOIN LATERAL (
            SELECT sum(offered)::int AS offered, sum(answered)::int AS answered,
                   sum(abandoned)::int AS abandoned,
                   round((100.0 * sum(answered_in_sla) / NULLIF(
                       sum(answered) + sum(abandoned) - sum(short_abandoned), 0))::numeric, 1)
                       AS sla_pct
            FROM queue_kpi_1m m
            WHERE m.pbx_id = %(pbx)s AND m.queue_dn = q.dn
              AND m.bucket >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
        ) k ON true"""
    try:
        with conn:
            rows = conn.execute(sql, {"pbx": settings.pbx.pbx_id, "dns": numbers}).fetchall()
    except psycopg.Error as exc:  # live figures are extra: say why they are missing
        return {}, f"(no live figures: {type(exc).__name__}: {str(exc).splitlines()[0]})"
    return {r[0]: {"waiting": r[1], "offered": r[2], "answered": r[3], "abandoned": r[4],
                   "sla_pct": r[5]} for r in rows}, ""


def _fmt(value: Any) -> str:
    from queuepulse.domain.queue_config import show_value

    return "-" if value is None else show_value(value).strip("'")


def _print_list(queues: Sequence[Any], state: Any, live: dict[str, dict[str, Any]]) -> None:
    head = (f"{'QUEUE':<8} {'NAME':<20} {'STRATEGY':<16} {'SLA':>4} {'RING':>4} {'MASTER':>6} "
            f"{'WRAP':>4} {'MAX':>4} {'AGENTS IN/ALL':>13} {'WAIT':>4} {'OFFER':>5} {'ANS':>5} "
            f"{'SLA%':>5}")
    print(head)
    for q in queues:
        v = q.values
        agents = q.agents or ()
        logged = sum(1 for m in agents
                     if (u := state.users.get(m.number)) is not None
                     and u.queue_status == "LoggedIn")
        f = live.get(q.number, {})
        print(f"{q.number:<8} {_fmt(v.get('name'))[:20]:<20} "
              f"{_fmt(v.get('polling_strategy'))[:16]:<16} {_fmt(v.get('sla_time')):>4} "
              f"{_fmt(v.get('ring_timeout')):>4} {_fmt(v.get('master_timeout')):>6} "
              f"{_fmt(v.get('wrap_up_time')):>4} {_fmt(v.get('max_callers_in_queue')):>4} "
              f"{f'{logged}/{len(agents)}':>13} {_fmt(f.get('waiting')):>4} "
              f"{_fmt(f.get('offered')):>5} {_fmt(f.get('answered')):>5} "
              f"{_fmt(f.get('sla_pct')):>5}")


def _print_show(q: Any, state: Any, live: dict[str, Any] | None) -> None:
    from queuepulse.domain.queue_config import FIELDS

    print(f"queue {q.number} (Id {q.queue_id})")
    for spec in FIELDS:
        print(f"  {spec.key:<40} {_fmt(q.values.get(spec.key)):<20} # {spec.help}")
    print("  agents:")
    for m in q.agents or ():
        user = state.users.get(m.number)
        name = user.display_name if user is not None else "?"
        status = user.queue_status if user is not None else "unknown"
        skill = f" skill group {m.skill_group}" if m.skill_group else ""
        print(f"    {m.number:<8} {name or '':<24} {status}{skill}")
    print("  managers: " + (", ".join(q.managers or ()) or "-"))
    if live:
        print(f"  now: {_fmt(live.get('waiting'))} waiting; today (UTC): "
              f"{_fmt(live.get('offered'))} offered, {_fmt(live.get('answered'))} answered, "
              f"{_fmt(live.get('abandoned'))} abandoned, SLA {_fmt(live.get('sla_pct'))} %")
