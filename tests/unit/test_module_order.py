"""tests/module_order.py: the long modules' order under pytest-xdist's hand-out rule."""

from __future__ import annotations

from tests.module_order import best_order, makespan


def test_a_worker_holds_the_next_module_while_it_runs_a_one_test_module() -> None:
    # a (one test) and b (four) go out first; the worker on a, holding one unfinished test, gets c
    # at once, though the worker on b is free after 4 s: 20 s, not the 14 s of handing c out late
    modules = {"a": [10.0], "b": [1.0, 1.0, 1.0, 1.0], "c": [10.0]}
    assert makespan(["a", "b", "c"], modules) == 20.0
    assert makespan(["a", "c", "b"], modules) == 14.0
    assert best_order(modules) == ["a", "c", "b"]


def test_two_modules_on_two_workers_end_with_the_longer() -> None:
    assert makespan(["a", "b"], {"a": [5.0], "b": [7.0]}) == 7.0
    assert best_order({"a": [5.0], "b": [7.0]}) == ["b", "a"]  # a tie: longest first


def test_many_modules_or_one_worker_go_longest_first() -> None:
    many = {f"m{index}": [float(index)] for index in range(10)}
    assert best_order(many) == [f"m{index}" for index in reversed(range(10))]
    assert best_order({"a": [1.0], "b": [2.0]}, workers=1) == ["b", "a"]
