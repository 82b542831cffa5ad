"""Cohorts to load: the demo shaped like the study (20 patients, :mod:`~pipelines.demo.study`)
and synthetic registries of any size (:mod:`~pipelines.demo.registry`), with planted problems on
request. Both take the study's codes from the seeds (:mod:`~pipelines.demo.codes`)."""
