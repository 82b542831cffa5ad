"""Unit tests of the load's configuration (docs/inputs.md#7-configuration)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.core.config import ConfigError, SiteConfig, load_config, parse_site

PROJECT_CONFIG = Path(__file__).resolve().parents[2] / "config" / "pmps.yaml"

SPEC_EXAMPLE = """\
landing_dir: data/landing
warehouse_dir: data/warehouse
sites:
  pune:
    encoding: latin-1            # default utf-8
    delimiter: ";"               # default: sniffed among , ; and tab
    date_format: "%d/%m/%Y"      # default %Y-%m-%d
    missing_values: ["", "-99"]  # replaces the default ["", "NA", "N/A", "NULL", "."]
    columns: {"Record ID": mrn, "Event Name": event}   # export name -> canonical, all sources
    events: {"1 week post block": POST_NI}
    procedures: {"Epidural": neuraxial_block}
    drugs: {"Ultracet": tramadol}   # to one of the 10 drug names of the MME factor table
"""


def write(folder: Path, text: str, name: str = "pmps.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def config_error(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    message = str(caught.value)
    assert "\n" not in message.strip()  # one line
    assert message.strip()
    return message


# ---- paths and precedence ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "env", "in_file", "expected"),
    [
        ("from-flag", "from-env", "from-file", "from-flag"),
        (None, "from-env", "from-file", "from-env"),
        (None, None, "from-file", "from-file"),
        (None, None, None, "data/landing"),
        ("from-flag", None, None, "from-flag"),
    ],
)
def test_landing_dir_precedence(tmp_path, flag, env, in_file, expected):
    path = write(tmp_path, f"landing_dir: {in_file}\n" if in_file else "sites: {}\n")
    environ = {"PMPS_LANDING_DIR": env} if env else {}
    config = load_config(path, landing=flag, environ=environ)
    assert config.landing_dir == Path(expected)


@pytest.mark.parametrize(
    ("flag", "env", "in_file", "expected"),
    [
        ("from-flag", "from-env", "from-file", "from-flag"),
        (None, "from-env", "from-file", "from-env"),
        (None, None, "from-file", "from-file"),
        (None, None, None, "data/warehouse"),
    ],
)
def test_warehouse_dir_precedence(tmp_path, flag, env, in_file, expected):
    path = write(tmp_path, f"warehouse_dir: {in_file}\n" if in_file else "")
    environ = {"PMPS_WAREHOUSE_DIR": env} if env else {}
    config = load_config(path, warehouse=flag, environ=environ)
    assert config.warehouse_dir == Path(expected)


def test_landing_and_warehouse_are_independent(tmp_path):
    path = write(tmp_path, "landing_dir: file-landing\nwarehouse_dir: file-warehouse\n")
    config = load_config(path, landing="flag-landing",
                         environ={"PMPS_WAREHOUSE_DIR": "env-warehouse"})
    assert (config.landing_dir, config.warehouse_dir) == (Path("flag-landing"),
                                                          Path("env-warehouse"))


def test_config_file_from_the_environment_when_no_flag(tmp_path):
    from_env = write(tmp_path, "landing_dir: env-file\n", "env.yaml")
    config = load_config(None, environ={"PMPS_CONFIG": str(from_env)})
    assert config.source_file == from_env
    assert config.landing_dir == Path("env-file")


def test_config_flag_beats_the_environment(tmp_path):
    from_env = write(tmp_path, "landing_dir: env-file\n", "env.yaml")
    from_flag = write(tmp_path, "landing_dir: flag-file\n", "flag.yaml")
    config = load_config(from_flag, environ={"PMPS_CONFIG": str(from_env)})
    assert config.source_file == from_flag
    assert config.landing_dir == Path("flag-file")


def test_the_projects_default_config_file():
    config = load_config(None, environ={})
    assert config.source_file == PROJECT_CONFIG


def test_every_key_is_optional(tmp_path):
    config = load_config(write(tmp_path, ""), environ={})
    assert config.landing_dir == Path("data/landing")
    assert config.warehouse_dir == Path("data/warehouse")
    assert config.sites == {}
    assert config.site("pune") == SiteConfig()


# ---- sites -------------------------------------------------------------------------------


def test_the_contracts_example_site(tmp_path):
    config = load_config(write(tmp_path, SPEC_EXAMPLE), environ={})
    site = config.site("pune")
    assert site.encoding == "latin-1"
    assert site.delimiter == ";"
    assert site.date_format == "%d/%m/%Y"
    assert site.missing_values == frozenset({"", "-99"})  # replaces the default list
    assert site.columns == {"record id": "mrn", "event name": "event"}
    assert site.events == {"1 week post block": "POST_NI"}
    assert site.procedures == {"epidural": "neuraxial_block"}
    assert site.drugs == {"ultracet": "tramadol"}


def test_a_site_not_listed_uses_the_defaults(tmp_path):
    config = load_config(write(tmp_path, SPEC_EXAMPLE), environ={})
    site = config.site("mumbai")
    assert site.delimiter is None  # sniffed
    assert site.date_format == "%Y-%m-%d"
    # the default tokens, compared case-insensitively: "", NA, N/A, NULL, "."
    assert site.missing_values == frozenset({"", "na", "n/a", "null", "."})
    assert (site.columns, site.events, site.procedures, site.drugs) == ({}, {}, {}, {})
    # UTF-8 with or without a byte-order mark
    assert b"\xef\xbb\xbfmrn".decode(site.encoding) == "mrn"
    assert "Müller".encode().decode(site.encoding) == "Müller"


def test_site_encoding_utf8_also_reads_a_byte_order_mark():
    site = parse_site("pune", {"encoding": "utf-8"})
    assert b"\xef\xbb\xbfmrn".decode(site.encoding) == "mrn"


def test_site_names_are_case_insensitive(tmp_path):
    config = load_config(write(tmp_path, "sites:\n  Pune:\n    date_format: '%d/%m/%Y'\n"),
                         environ={})
    assert config.site("pune").date_format == "%d/%m/%Y"


def test_an_empty_site_block_uses_the_defaults():
    assert parse_site("demo", None) == SiteConfig()
    assert parse_site("demo", {}).missing_values == SiteConfig().missing_values


@pytest.mark.parametrize(("written", "expected"), [("tab", "\t"), ("\t", "\t"), (",", ",")])
def test_site_delimiter(written, expected):
    assert parse_site("pune", {"delimiter": written}).delimiter == expected


def test_site_labels_are_trimmed_and_case_folded():
    site = parse_site("pune", {"columns": {" Record ID ": "MRN"},
                               "events": {"1 Week Post Block": "POST_NI"},
                               "procedures": {"EPIDURAL": "neuraxial_block"},
                               "drugs": {"UltraCet": "Tramadol"}})
    assert site.columns == {"record id": "mrn"}
    assert site.events == {"1 week post block": "POST_NI"}
    assert site.procedures == {"epidural": "neuraxial_block"}
    assert site.drugs == {"ultracet": "tramadol"}


def test_missing_values_replace_the_defaults():
    site = parse_site("pune", {"missing_values": ["", "-99", "Not Asked"]})
    assert site.missing_values == frozenset({"", "-99", "not asked"})
    assert "na" not in site.missing_values


# ---- bad configurations ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("landing_folder: x\n", "landing_folder"),  # unknown top-level key
        ("sites:\n  pune:\n    encodng: latin-1\n", "encodng"),  # unknown site key
        ("sites:\n  pune:\n    events: {'week 2': WEEK_2}\n", "WEEK_2"),  # unknown visit code
        ("sites:\n  pune:\n    procedures: {Acu: acupuncture}\n", "acupuncture"),
        ("sites:\n  pune:\n    drugs: {Subutex: buprenorphine}\n", "buprenorphine"),
        ("sites:\n  pune:\n    encoding: klingon-8\n", "klingon-8"),
    ],
)
def test_a_bad_config_stops_with_one_line_naming_the_problem(tmp_path, text, named):
    assert named in config_error(write(tmp_path, text))


def test_bad_yaml_is_one_line(tmp_path):
    message = config_error(write(tmp_path, "sites:\n  pune: [unclosed\n  other: {\n"))
    assert "YAML" in message


def test_a_yaml_list_is_not_a_config(tmp_path):
    config_error(write(tmp_path, "- landing_dir\n- warehouse_dir\n"))


def test_a_missing_config_file_is_one_line(tmp_path):
    message = config_error(tmp_path / "nowhere.yaml")
    assert "nowhere.yaml" in message


def test_event_code_in_config_is_case_insensitive():
    # docs/inputs.md#4-formats: codes are matched case-insensitively
    site = parse_site("pune", {"events": {"1 week post block": "post_ni"}})
    assert site.events == {"1 week post block": "POST_NI"}


def test_procedure_code_in_config_is_case_insensitive():
    site = parse_site("pune", {"procedures": {"Epidural": "Neuraxial_Block"}})
    assert site.procedures == {"epidural": "neuraxial_block"}


def test_config_keys_are_case_insensitive(tmp_path):
    # docs/inputs.md#4-formats lists config keys among what matches case-insensitively
    path = write(tmp_path, "Landing_Dir: x\nSITES:\n  pune:\n    Encoding: latin-1\n")
    config = load_config(path, environ={})
    assert config.landing_dir == Path("x")
    assert config.site("pune").encoding == "latin-1"


def test_a_blank_cell_is_missing_whatever_the_site_tokens(tmp_path):
    config = tmp_path / "pmps.yaml"
    config.write_text("sites:\n  pune:\n    missing_values: ['-99']\n")
    site = load_config(config, environ={}).site("pune")
    assert site.missing_values == {"-99", ""}


@pytest.mark.parametrize(("text", "problem"), [
    ("landing_dir: 123\n", "landing_dir must be text"),
    ("warehouse_dir: [a]\n", "warehouse_dir must be text"),
    ('sites: {pune: {date_format: "%Q"}}\n', "cannot print and read back a date"),
    ('sites: {pune: {date_format: "12"}}\n', "cannot print and read back a date"),
    ("sites: {pune: {delimiter: '\"'}}\n", "is not one of , ; tab |"),
    ('sites: {pune: {delimiter: "\\n"}}\n', "is not one of , ; tab |"),
    ("sites: {pune: {delimiter: ':'}}\n", "is not one of , ; tab |"),
    ("limits: {max_rows: 0}\n", "limits.max_rows must be a positive integer"),
    ("limits: {max_cell_bytes: 1.5}\n", "limits.max_cell_bytes must be a positive integer"),
    ("limits: {max_cells: 3}\n", "limits: unknown key 'max_cells'"),
    ("publish_guard: {max_drop_pct: 150}\n", "max_drop_pct must be a number from 0 to 100"),
    ("a: &x [1]\nb: *x\n", "anchors and aliases are not allowed"),
    ("engine: postgres\n", "engine 'postgres' is not one of duckdb, spark"),
    ("engine: 3\n", "engine must be text"),
    ("exports: parquet\n", "exports must be a list of formats (parquet, spss, stata)"),
    ("exports: [parquet, sas]\n", "exports: unknown format 'sas' (known: parquet, spss, stata)"),
    ("reuse: no-thanks\n", "reuse must be true or false, not 'no-thanks'"),
    ("reuse: 0\n", "reuse must be true or false, not 0"),
    ("dbt_target: [a]\n", "dbt_target must be text"),
])
def test_invalid_configuration_is_one_line_naming_the_problem(tmp_path, text, problem):
    assert problem in config_error(write(tmp_path, text))


def test_a_billion_laughs_is_refused_at_once(tmp_path):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level, name in enumerate("bcdefghi"):
        previous = "abcdefghi"[level]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    assert "anchors and aliases" in config_error(write(tmp_path, "\n".join(lines) + "\n"))


def test_limits_and_publish_guard_are_read(tmp_path):
    path = write(tmp_path, "limits: {max_rows: 10, MAX_CELL_BYTES: 64}\n"
                           "publish_guard: {max_drop_pct: 5}\nsites: {pune: {delimiter: tab}}\n")
    config = load_config(path, environ={})
    assert (config.limits.max_rows, config.limits.max_cell_bytes) == (10, 64)
    assert config.limits.max_xlsx_uncompressed_bytes == 1_073_741_824
    assert config.publish_guard.max_drop_pct == 5
    assert config.site("pune").delimiter == "\t"


def test_engine_exports_and_hand_over_defaults(tmp_path):
    config = load_config(write(tmp_path, "warehouse_dir: wh\n"), environ={})
    assert (config.engine, config.target, config.exports) == (
        "duckdb", "warehouse", ("parquet", "spss", "stata"))
    assert config.handover_dir == str((Path("wh") / "handover").resolve())


def test_engine_from_the_file_and_the_environment(tmp_path):
    path = write(tmp_path, "engine: Spark\nexports: [STATA, parquet]\n"
                           "handover_dir: s3a://registry/handover\n")
    config = load_config(path, environ={})
    assert (config.engine, config.target) == ("spark", "spark")
    assert config.exports == ("parquet", "stata")  # in the order they are written
    assert config.handover_dir == "s3a://registry/handover"
    assert load_config(path, environ={"PMPS_ENGINE": "duckdb"}).engine == "duckdb"
    assert load_config(write(tmp_path, "exports: []\n", "none.yaml"), environ={}).exports == ()
    assert load_config(write(tmp_path, "engine: spark\ndbt_target: databricks\n", "d.yaml"),
                       environ={}).target == "databricks"


def test_an_unknown_engine_in_the_environment_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match="PMPS_ENGINE 'oracle' is not one of duckdb, spark"):
        load_config(write(tmp_path, ""), environ={"PMPS_ENGINE": "oracle"})


def test_reuse_is_on_unless_switched_off(tmp_path):
    assert load_config(write(tmp_path, "", "empty.yaml"), environ={}).reuse is True
    assert load_config(write(tmp_path, "reuse: false\n", "off.yaml"), environ={}).reuse is False
    assert load_config(write(tmp_path, "Reuse: true\n", "on.yaml"), environ={}).reuse is True


def test_the_pseudonym_key_comes_from_the_environment_and_is_never_printed(tmp_path):
    path = write(tmp_path, "")
    config = load_config(path, environ={"PMPS_PSEUDONYM_KEY": "s3cret-key"})
    assert config.pseudonym_key == "s3cret-key"
    assert "s3cret-key" not in repr(config)
    assert load_config(path, environ={}).pseudonym_key is None
