"""The four clinic exports, one module per source: its pandera schema (polars backend), how
its accepted rows are typed, and its SourceSpec. Depends on nothing in pipelines/ but core."""

from pipelines.core.reference import SOURCES
from schemas import medications, patients, procedures, questionnaires
from schemas.source import SourceSpec

_SPECS = {module.SPEC.name: module.SPEC
          for module in (patients, procedures, questionnaires, medications)}

# source name -> its spec, in the order of core.reference.SOURCES (the order loads run in)
SOURCE_SPECS: dict[str, SourceSpec] = {name: _SPECS[name] for name in SOURCES}
