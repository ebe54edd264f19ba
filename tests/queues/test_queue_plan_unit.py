"""The pure queue configuration logic: the diff, the file's round trip and its edge cases."""

from __future__ import annotations

import pytest

from queuepulse.domain.queue_config import (
    FieldChange,
    Member,
    QueueConfig,
    config_from_entity,
    plan,
    waiting_by_queue,
)
from queuepulse.domain.queue_file import dump_queue_file, parse_queue_file
from queuepulse.domain.rules import Rules

pytestmark = pytest.mark.unit

ENTITY = {
    "Id": 100001, "Number": "800", "Name": "Sales", "PollingStrategy": "RingAll", "SLATime": 20,
    "RingTimeout": 20, "MasterTimeout": None, "WrapUpTime": 5, "NotifyCodes": ["CallLost"],
    "Agents": [{"Number": "1001", "SkillGroup": None}, {"Number": "1000", "SkillGroup": "A"}],
    "Managers": [{"Number": "1000"}],
}


def test_unstated_fields_and_member_order_are_not_changes() -> None:
    pbx = config_from_entity(ENTITY)
    wanted = QueueConfig("800", {"sla_time": 20, "notify_codes": ["CallLost"]},
                         (Member("1000", "A"), Member("1001")))
    assert plan([wanted], [pbx]).empty


def test_field_by_field_changes() -> None:
    pbx = config_from_entity(ENTITY)
    wanted = QueueConfig("800", {"sla_time": 30, "master_timeout": 0},
                         (Member("1000", "B"),), ("1000",))
    (change,) = plan([wanted], [pbx]).changes
    assert change.action == "update"
    assert change.queue_id == 100001
    assert change.fields == (
        FieldChange("sla_time", 20, 30),
        FieldChange("master_timeout", None, 0),
        FieldChange("agents", (Member("1000", "A"), Member("1001")), (Member("1000", "B"),)),
    )
    assert change.api_body() == {"SLATime": 30, "MasterTimeout": 0,
                                 "Agents": [{"Number": "1000", "SkillGroup": "B"}]}


def test_deletes_only_with_prune_and_only_limits() -> None:
    pbx = [config_from_entity(ENTITY), config_from_entity({**ENTITY, "Id": 2, "Number": "801"})]
    wanted = [QueueConfig("800", {"sla_time": 25}), QueueConfig("802", {"name": "N"})]
    assert [c.action for c in plan(wanted, pbx).changes] == ["create", "update"]
    assert [(c.action, c.number) for c in plan(wanted, pbx, prune=True).changes] == [
        ("create", "802"), ("update", "800"), ("delete", "801")]
    assert [c.number for c in plan(wanted, pbx, prune=True, only=["800"]).changes] == ["800"]


def test_export_parses_back_to_the_same_queues() -> None:
    pbx = config_from_entity(ENTITY)
    text = dump_queue_file([pbx])
    parsed, problems = parse_queue_file(text, "x.yaml")
    assert problems == []
    assert plan(parsed.queues, [pbx]).empty
    assert '  - number: "800"' in text
    assert '    agents:\n      - number: "1000"\n        skill_group: A\n      - "1001"\n' in text
    assert dump_queue_file(parsed.queues) == text


@pytest.mark.parametrize(("text", "line", "message"), [
    ("", 1, "is empty"),
    ("queues: [", 1, "not valid YAML"),
    ("- 1", 1, "expected a mapping"),
    ("queues: {}", 1, "expected a list of queues"),
    ("queuez: []", 1, "unknown key (did you mean queues?)"),
    ("queues:\n  - number: '800'\n    agents: '1000'", 3, "expected a list"),
    ("queues:\n  - number: '800'\n    sla_time: true", 3, "expected a whole number"),
    ("queues:\n  - number: '800'\n    name: [a]", 3, "expected text, got a list"),
    ("queues:\n  - number: '800'\n    agents: [{skill_group: A}]", 3, "number is required"),
])
def test_file_problems(text: str, line: int, message: str) -> None:
    _, problems = parse_queue_file(text, "f.yaml")
    assert problems, text
    assert problems[0].line == line
    assert message in str(problems[0])


def test_waiting_calls_per_queue() -> None:
    rows = [{"Callee": "800 Sales", "Status": "Routing"},
            {"Callee": "800 Sales", "Status": "Talking"},
            {"Callee": "801 Support", "Status": "Ringing"},
            {"Callee": None, "Status": "Routing"}]
    assert waiting_by_queue(rows, Rules()) == {"800": 1, "801": 1}
