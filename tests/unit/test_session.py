"""A load's run from start to end (pipelines/operations/session.py): the load lock is taken
once per load, by `pmps load` or by the run itself; a warehouse held open is waited for."""

from __future__ import annotations

import pytest

from pipelines.core.lock import LoadRunning, load_lock
from pipelines.core.warehouse import WarehouseBusy
from pipelines.operations.session import when_free


def test_the_load_lock_is_held_once_even_in_one_process(tmp_path):
    with load_lock(tmp_path):
        with pytest.raises(LoadRunning, match=r"another load is running \(pid \d+, started"):
            with load_lock(tmp_path):
                pass
    with load_lock(tmp_path):  # released at the end
        pass


def test_a_busy_warehouse_is_tried_again_then_its_error_stands():
    calls = []

    def busy_twice() -> None:
        calls.append(1)
        if len(calls) <= 2:
            raise WarehouseBusy("held by PID 1")

    when_free(busy_twice, retries=2, seconds=0)
    assert len(calls) == 3
    calls.clear()
    with pytest.raises(WarehouseBusy, match="PID 1"):
        when_free(busy_twice, retries=1, seconds=0)
    assert len(calls) == 2
