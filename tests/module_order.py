"""The order in which a parallel pytest session hands out its long modules: the one that ends
soonest under pytest-xdist's own hand-out rule, for the modules' measured times (`long(seconds)`).
`make test` and `make test-fast` run more than EXHAUSTIVE_UP_TO long modules, so they hand them out
longest first; the search orders a smaller selection (e.g. `pytest -n 2 tests/e2e`).

pytest-xdist (`--dist loadfile --no-loadscope-reorder`) gives a worker its next module as soon as
the worker holds two unfinished tests or fewer (`_reschedule` in xdist/scheduler/loadscope.py): a
worker that starts a module of one test already holds the module after it. Longest first is then
not the best order: for the end-to-end modules' times of two runs it ended 34 s later on average
than the best one (simulated with `makespan`, which reproduced both runs' ends within 16 s, the
workers' collection). The other modules follow the long ones in file order.
"""

from __future__ import annotations

from itertools import permutations

EXHAUSTIVE_UP_TO = 8  # 8! orders take about a second to simulate; more are handed out longest first


def makespan(order: list[str] | tuple[str, ...], modules: dict[str, list[float]], workers: int = 2) -> float:
    """When the last worker finishes, handing out `order` (a module's tests' seconds in `modules`)."""
    queue = list(order)
    pending: list[list[float]] = [[] for _ in range(workers)]
    clock = [0.0] * workers

    def top_up(worker: int, at_most: int) -> None:
        if queue and len(pending[worker]) <= at_most:
            pending[worker].extend(modules[queue.pop(0)])

    for worker in range(workers):  # xdist's first hand-out: one module each, then topped up
        top_up(worker, 0)
    for worker in range(workers):
        top_up(worker, 2)
    while any(pending):
        end, worker = min((clock[w] + pending[w][0], w) for w in range(workers) if pending[w])
        clock[worker] = end
        pending[worker].pop(0)
        top_up(worker, 2)
    return max(clock)


def best_order(modules: dict[str, list[float]], workers: int = 2) -> list[str]:
    """The long modules' order that ends soonest (ties: the one closest to longest first)."""
    longest_first = sorted(modules, key=lambda name: -sum(modules[name]))
    if len(modules) > EXHAUSTIVE_UP_TO or workers < 2:
        return longest_first
    return list(min(permutations(longest_first), key=lambda order: makespan(order, modules, workers)))
