"""One progress line per step of the load, on the `pmps.progress` logger (shown by `pmps load`)."""


import logging

import dagster as dg

PROGRESS_LOGGER = "pmps.progress"


@dg.success_hook
def report_step_done(context: dg.HookContext) -> None:
    logging.getLogger(PROGRESS_LOGGER).info(f"  done  {context.step_key}")


@dg.failure_hook
def report_step_failed(context: dg.HookContext) -> None:
    logging.getLogger(PROGRESS_LOGGER).info(f"  FAIL  {context.step_key}")
