"""The transform's producer passes Cosmos's dbt callback only the events a sensor or the log needs
(dbt's own event messages, as dbtRunner hands them to callbacks)."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from dbt.events import core_types_pb2 as events

from culturewatch.orchestration.cosmos_setup import WarehouseProducer, _heard_only

WATCHED = frozenset({"model.culturewatch.runs"})


def _event(kind: str, name: str, level: str = "info", node: str | None = None):
    event = getattr(events, f"{kind}Msg")()
    event.info.name, event.info.level, event.info.msg = name, level, f"{name} of {node}"
    if node is not None:
        event.data.node_info.unique_id = node
    return event


@pytest.mark.parametrize(
    ("event", "heard"),
    [
        (_event("NodeFinished", "NodeFinished", node="model.culturewatch.runs"), True),
        (_event("NodeStart", "NodeStart", node="model.culturewatch.runs"), False),  # not an end
        (_event("NodeFinished", "NodeFinished", node="model.culturewatch.stg_raw__responses"), False),
        (_event("SkippingDetails", "SkippingDetails", node="model.culturewatch.runs"), True),
        (_event("MainReportVersion", "MainReportVersion"), True),  # no node, info: versions, summary
        (_event("MainReportVersion", "MainReportVersion", level="debug"), False),
    ],
)
def test_only_what_a_sensor_or_the_log_needs_reaches_cosmos(event, heard: bool) -> None:
    received = []
    _heard_only(received.append, WATCHED)(event)
    assert received == ([event] if heard else [])


def test_an_unwatched_nodes_result_line_is_logged_without_cosmos(caplog: pytest.LogCaptureFixture) -> None:
    received = []
    result = _event("LogModelResult", "LogModelResult", node="model.culturewatch.stg_raw__responses")
    with caplog.at_level(logging.INFO, logger="culturewatch.orchestration.cosmos_setup"):
        _heard_only(received.append, WATCHED)(result)
    assert received == [] and "LogModelResult of model.culturewatch.stg_raw__responses" in caplog.text


def test_every_callback_cosmos_registers_is_wrapped_once() -> None:
    # WarehouseProducer's property, on a plain holder (the producer is made by Cosmos, then recast)
    callbacks = WarehouseProducer.__dict__["_dbt_runner_callbacks"]
    producer = SimpleNamespace(watched_nodes=WATCHED, _dbt_runner_callbacks=None)
    assert callbacks.__get__(producer) is None
    received = []
    callbacks.__set__(producer, [*(callbacks.__get__(producer) or []), received.append])  # as Cosmos does
    callbacks.__set__(producer, [*callbacks.__get__(producer)])  # read back and set again
    [callback] = callbacks.__get__(producer)
    callback(_event("NodeStart", "NodeStart", node="model.culturewatch.runs"))
    callback(_event("NodeFinished", "NodeFinished", node="model.culturewatch.runs"))
    assert [event.info.name for event in received] == ["NodeFinished"]
