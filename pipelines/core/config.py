"""The load's configuration (docs/inputs.md#7-configuration): one YAML file, checked before
anything runs.

Paths follow the precedence flag > environment variable > file > default; the environment is
handed in (pipelines/core/environment.py reads it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from pipelines.core.config_checks import (
    ENGINES,
    EXPORT_FORMATS,
    ConfigError,
    check_date_format,
    check_encoding,
    known_codes,
    label_mapping,
    nonempty_text,
    normalise_label,
    parse_delimiter,
    parse_engine,
    parse_exports,
    parse_flag,
    parse_missing_values,
    positive_int,
)
from pipelines.core.reference import mme_factors, procedure_codes, visit_orders

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG_FILE = PROJECT_ROOT / "config" / "pmps.yaml"
DEFAULT_MISSING_VALUES = ("", "NA", "N/A", "NULL", ".")
DEFAULT_DATE_FORMAT = "%Y-%m-%d"

# The dbt target each engine builds with unless `dbt_target` names another (profiles.yml).
DEFAULT_DBT_TARGETS = {"duckdb": "warehouse", "spark": "spark"}
HANDOVER_DIR = "handover"  # under the warehouse folder, unless handover_dir says otherwise
# A site's code mappings: the codes they may map to, and how a message names one.
SITE_CODES = {"events": (visit_orders, "visit code"),
              "procedures": (procedure_codes, "procedure code"), "drugs": (mme_factors, "drug")}


class NoAliasLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing anchors and aliases: a few bytes of nested aliases expand
    to gigabytes (the "billion laughs"), and a configuration never needs them."""

    def compose_node(self, parent, index):  # noqa: ANN001 - PyYAML's signature
        if self.check_event(yaml.AliasEvent) or (
                self.check_event(yaml.NodeEvent) and self.peek_event().anchor):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases are not allowed", event.start_mark)
        return super().compose_node(parent, index)


def folded_names(raw: dict, where: str) -> dict[str, Any]:
    """A block's settings by name. Names match case-insensitively, like every other name in
    the contract; a name given twice is an error."""
    folded: dict[str, Any] = {}
    for key, value in raw.items():
        name = normalise_label(key)
        if name in folded:
            raise ConfigError(f"{where}: setting '{name}' is given twice")
        folded[name] = value
    return folded


class FileBlock(BaseModel):
    """A block of the configuration file. Its names match case-insensitively, like every
    other name in the contract; a name given twice is an error, and so is (extra="forbid")
    a name the block does not know."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    WHERE: ClassVar[str]  # how messages name the block

    @classmethod
    def where(cls, info: ValidationInfo) -> str:
        """How messages name the block: ``where`` of the validation's context (a site's block
        is named after its site), else WHERE."""
        return (info.context or {}).get("where", cls.WHERE)

    @classmethod
    def at(cls, info: ValidationInfo) -> str:
        """How messages name the field being checked."""
        return f"{cls.where(info)}.{info.field_name}"

    @classmethod
    def names(cls, raw: dict, where: str) -> dict[str, Any]:
        return folded_names(raw, where)

    @model_validator(mode="before")
    @classmethod
    def _names_folded(cls, raw: Any, info: ValidationInfo) -> dict[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise ConfigError(f"{cls.where(info)} must be a mapping")
        return cls.names(raw, cls.where(info))


class SiteConfig(FileBlock):
    """How one site's exports are read (a block of ``sites:``); a site not configured uses
    these defaults. Labels are kept normalised, codes as the reference data spells them."""

    WHERE = "site"
    encoding: str = "utf-8-sig"
    delimiter: str | None = None  # None: sniffed
    date_format: str = DEFAULT_DATE_FORMAT
    missing_values: frozenset[str] = frozenset(normalise_label(v) for v in DEFAULT_MISSING_VALUES)
    columns: dict[str, str] = Field(default_factory=dict)  # export name -> canonical
    events: dict[str, str] = Field(default_factory=dict)  # label -> visit_code
    procedures: dict[str, str] = Field(default_factory=dict)  # label -> code
    drugs: dict[str, str] = Field(default_factory=dict)  # name -> MME table drug

    @classmethod
    def names(cls, raw: dict, where: str) -> dict[str, Any]:
        # of several unknown names, the first in alphabetical order is named
        return dict(sorted(folded_names(raw, where).items()))

    _encoding = field_validator("encoding", mode="before")(
        classmethod(lambda cls, value, info: check_encoding(value, cls.at(info))))
    _delimiter = field_validator("delimiter", mode="before")(
        classmethod(lambda cls, value, info: parse_delimiter(value, cls.at(info))))
    _date_format = field_validator("date_format", mode="before")(
        classmethod(lambda cls, value, info: check_date_format(
            nonempty_text(value, cls.at(info)), cls.at(info))))

    @field_validator("missing_values", mode="before")
    @classmethod
    def _missing_values(cls, value: Any, info: ValidationInfo) -> frozenset[str]:
        if value is None:
            return cls.model_fields["missing_values"].default
        return parse_missing_values(value, cls.at(info))

    @field_validator("columns", mode="before")
    @classmethod
    def _columns(cls, value: Any, info: ValidationInfo) -> dict[str, str]:
        return {label: normalise_label(canonical)
                for label, canonical in label_mapping(value, cls.at(info)).items()}

    @field_validator("events", "procedures", "drugs", mode="before")
    @classmethod
    def _codes(cls, value: Any, info: ValidationInfo) -> dict[str, str]:
        codes, kind = SITE_CODES[info.field_name]
        where = cls.at(info)
        return known_codes(label_mapping(value, where), set(codes()), where, kind)


def parse_site(name: str, raw: Any) -> SiteConfig:
    """Check one site's block (named ``sites.<name>`` in messages) and turn it into a
    SiteConfig."""
    where = f"sites.{name}"
    try:
        return SiteConfig.model_validate(raw, context={"where": where})
    except ValidationError as error:
        raise ConfigError(first_problem(error, where)) from None


def parse_sites(value: Any) -> dict[str, SiteConfig]:
    """Each site's block by site name, checked in the order they are written."""
    if not value:
        return {}
    if not isinstance(value, dict):
        raise ConfigError("sites must be a mapping of site name to settings")
    sites = {}
    for name, block in value.items():
        site = normalise_label(name)
        if not site.isalnum() or not site.isascii():
            raise ConfigError(f"sites: '{name}' is not a site name ([a-z0-9]+)")
        sites[site] = parse_site(site, block)
    return sites


class Limits(FileBlock):
    """What one file may hold before it is rejected unread (docs/inputs.md#6-limits)."""

    WHERE = "limits"
    max_cell_bytes: int = 1_048_576
    max_rows: int = 5_000_000
    max_xlsx_uncompressed_bytes: int = 1_073_741_824

    @field_validator("*", mode="before")
    @classmethod
    def _positive(cls, value: Any, info: ValidationInfo) -> int:
        return positive_int(value, f"limits.{info.field_name}")


class PublishGuard(FileBlock):
    """How much the analysis population may shrink from one published load to the next."""

    WHERE = "publish_guard"
    max_drop_pct: float = 20.0

    @field_validator("max_drop_pct", mode="before")
    @classmethod
    def _percentage(cls, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
            raise ConfigError(f"publish_guard.max_drop_pct must be a number from 0 to 100, "
                              f"not {value!r}")
        return float(value)


class ConfigFile(FileBlock):
    """The configuration file as written (docs/inputs.md#7-configuration); every key is optional.
    Fields are checked in this order, the first problem named."""

    WHERE = "the configuration"
    sites: dict[str, SiteConfig] = {}
    landing_dir: str | None = None
    warehouse_dir: str | None = None
    limits: Limits = Limits()
    publish_guard: PublishGuard = PublishGuard()
    engine: str | None = None
    dbt_target: str | None = None
    handover_dir: str | None = None
    exports: tuple[str, ...] = EXPORT_FORMATS
    reuse: bool = True

    _sites = field_validator("sites", mode="before")(lambda value: parse_sites(value))
    _engine = field_validator("engine", mode="before")(
        lambda value: None if value is None else parse_engine(value))
    _exports = field_validator("exports", mode="before")(lambda value: parse_exports(value))
    _reuse = field_validator("reuse", mode="before")(
        lambda value: parse_flag(value, "reuse", True))

    @field_validator("landing_dir", "warehouse_dir", "dbt_target", "handover_dir",
                     mode="before")
    @classmethod
    def _path(cls, value: Any, info: ValidationInfo) -> str | None:
        return None if value is None else nonempty_text(value, info.field_name)


@dataclass(frozen=True)
class Config:
    landing_dir: Path
    warehouse_dir: Path
    sites: dict[str, SiteConfig] = field(default_factory=dict)
    source_file: Path | None = None
    limits: Limits = field(default_factory=Limits)
    publish_guard: PublishGuard = field(default_factory=PublishGuard)
    engine: str = "duckdb"
    dbt_target: str | None = None  # None: the engine's default target
    handover: str | None = None  # the Parquet hand-over folder (Spark); None: under the warehouse
    exports: tuple[str, ...] = EXPORT_FORMATS
    # What an unchanged input made is kept: a file's read and row checks
    # (pipelines/ingest/reuse.py), the models (pipelines/core/builds.py), the published rows
    # and files (pipelines/publish/previous.py); false makes everything afresh.
    reuse: bool = True
    # $PMPS_PSEUDONYM_KEY; None: the key file under the warehouse (pipelines/core/pseudonym.py)
    pseudonym_key: str | None = field(default=None, repr=False)

    def site(self, site: str) -> SiteConfig:
        return self.sites.get(site, SiteConfig())

    @property
    def target(self) -> str:
        """The dbt target the models are built with."""
        return self.dbt_target or DEFAULT_DBT_TARGETS[self.engine]

    @property
    def handover_dir(self) -> str:
        """Where the ingest hands its tables to Spark and the models write their Parquet: a
        local folder or a URI every executor of a cluster reads (kept as text: it may be
        ``s3a://...``)."""
        return self.handover or str((self.warehouse_dir / HANDOVER_DIR).resolve())


def first_problem(error: ValidationError, where: str = "") -> str:
    """The one line naming the first problem pydantic found in the block named ``where`` (the
    file when not given): the check's own message, or the unknown key and the block it is in
    (an unknown key of the block itself first, as it is read first)."""
    problems = sorted(error.errors(), key=lambda e: (
        not (e["type"] == "extra_forbidden" and len(e["loc"]) == 1)))
    problem = problems[0]
    *block, key = [part for part in [where, *map(str, problem["loc"])] if part] or [""]
    if problem["type"] == "extra_forbidden":
        return f"{'.'.join(block)}: unknown key '{key}'" if block else f"unknown key '{key}'"
    if problem["type"] == "value_error":
        return str(problem["ctx"]["error"])
    return f"{'.'.join([*block, key])}: {problem['msg']}"


def parse_config(raw: Any) -> ConfigFile:
    """Check a parsed YAML document (ConfigError naming the first problem)."""
    if raw is not None and not isinstance(raw, dict):
        raise ConfigError("the configuration must be a YAML mapping")
    try:
        return ConfigFile.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(first_problem(error)) from None


def load_config(config_file: str | os.PathLike | None = None, landing: str | None = None,
                warehouse: str | None = None, *, environ: Mapping[str, str]) -> Config:
    """Resolve the configuration: flag, then environment variable (``environ``, the
    variables read by pipelines/core/environment.py; required, so that no caller reads the
    configuration without them by accident), then file, then default."""
    env = environ
    path = Path(config_file or env.get("PMPS_CONFIG") or DEFAULT_CONFIG_FILE)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read configuration {path}: {error.strerror}") from error
    try:
        raw = yaml.load(text, Loader=NoAliasLoader)  # noqa: S506 - a safe loader without aliases
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None)
        raise ConfigError(f"{path}: not valid YAML{at}" + (f" ({problem})" if problem else "")
                          ) from error
    try:
        parsed = parse_config(raw)
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from error
    landing_dir = landing or env.get("PMPS_LANDING_DIR") or parsed.landing_dir or "data/landing"
    warehouse_dir = (warehouse or env.get("PMPS_WAREHOUSE_DIR") or parsed.warehouse_dir
                     or "data/warehouse")
    engine = env.get("PMPS_ENGINE")
    engine = parse_engine(engine, "PMPS_ENGINE") if engine else parsed.engine or ENGINES[0]
    return Config(Path(landing_dir), Path(warehouse_dir), parsed.sites, path,
                  parsed.limits, parsed.publish_guard, engine,
                  parsed.dbt_target, parsed.handover_dir, parsed.exports, parsed.reuse,
                  env.get("PMPS_PSEUDONYM_KEY"))
