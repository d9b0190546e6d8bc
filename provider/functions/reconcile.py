"""One pass of the replica monitor: which replicas to start and which to retire.

The caller holds the registry's lock and then starts and stops replicas outside it. Crashed
replicas are counted (and a crash loop backs off), a function short of its desired count gets
new replicas of its current generation, a surplus is retired least-busy first, and a rolling
update retires the old generation once the new one serves.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from provider.functions.records import STABLE_AFTER, Function, Instance

log = logging.getLogger(__name__)


def plan_pass(functions: Iterable[Function]) -> tuple[list[tuple[Function, int]], list[Instance]]:
    """(replicas to start as (function, generation), instances to retire); updates counts."""
    to_start: list[tuple[Function, int]] = []
    to_stop: list[Instance] = []
    for function in functions:
        to_stop += _exited(function)
        current = [i for i in function.instances if i.generation == function.generation]
        old = [i for i in function.instances if i.generation != function.generation]
        missing = function.desired - len(current) - function.starting
        if missing > 0 and time.monotonic() < function.next_start:
            missing = 0
        if missing > 0:
            function.starting += missing
            to_start += [(function, function.generation)] * missing
        elif missing < 0 and not function.starting:
            surplus = sorted(current, key=lambda i: i.inflight)[:-missing]
            to_stop += surplus
        if len(current) >= min(function.desired, 1) and not function.starting:
            to_stop += old  # retired once the new generation serves
        for instance in to_stop:
            if instance in function.instances:
                function.instances.remove(instance)
    return to_start, to_stop


def _exited(function: Function) -> list[Instance]:
    """The instances whose replica exited, taken out and counted as restarts."""
    gone = []
    for instance in list(function.instances):
        if not instance.handle.alive():
            function.instances.remove(instance)
            function.restarts += 1
            if time.monotonic() - instance.started_at < STABLE_AFTER:
                function.failed()
            else:
                function.failures = 0
            log.warning("replica %s exited; restarting", instance.name)
            gone.append(instance)  # stopped all the same: releases its sandbox and files
    return gone
