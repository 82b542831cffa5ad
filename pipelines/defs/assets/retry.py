"""Retrying a step when another process holds warehouse.duckdb's lock."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from pipelines.core.warehouse import WarehouseBusy
from pipelines.defs.resources import PmpsSettings


@contextmanager
def retry_when_busy(pmps: PmpsSettings) -> Iterator[None]:
    """A held lock is transient: ask Dagster to run the step again a little later. When the
    retries run out, the step fails with the lock holder named in the error."""
    try:
        yield
    except WarehouseBusy as error:
        raise dg.RetryRequested(max_retries=pmps.lock_retries,
                                seconds_to_wait=pmps.lock_retry_seconds) from error
