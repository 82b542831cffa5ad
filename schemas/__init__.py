"""pandera schemas of the four clinic exports, one module per source."""

from schemas import medications, patients, procedures, questionnaires

# source -> its required columns (a file without them is rejected: missing_columns)
REQUIRED_COLUMNS = {
    "patients": patients.REQUIRED,
    "procedures": procedures.REQUIRED,
    "questionnaires": questionnaires.REQUIRED,
    "medications": medications.REQUIRED,
}

# source -> (its known columns, its schema factory)
SCHEMAS = {
    "patients": (patients.COLUMNS, patients.schema),
    "procedures": (procedures.COLUMNS, procedures.schema),
    "questionnaires": (questionnaires.COLUMNS, questionnaires.schema),
    "medications": (medications.COLUMNS, medications.schema),
}
