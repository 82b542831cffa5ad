"""pandera schemas of the four clinic exports (polars backend), one module per source."""

from schemas import medications, patients, procedures, questionnaires

_MODULES = {"patients": patients, "procedures": procedures, "questionnaires": questionnaires,
            "medications": medications}

# source -> its required columns (a file without them is rejected: missing_columns)
REQUIRED_COLUMNS = {source: module.REQUIRED for source, module in _MODULES.items()}

# source -> (its known columns, its schema factory)
SCHEMAS = {source: (module.COLUMNS, module.schema) for source, module in _MODULES.items()}

# source -> its date columns (XLSX date cells of these are read as dates)
DATE_COLUMNS = {source: module.DATE_COLUMNS for source, module in _MODULES.items()}
