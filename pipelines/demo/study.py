"""Bundled demo cohort: four synthetic clinic exports for the site ``demo``.

The cohort imitates Vas & Pai, "Ultrasound-guided dry needling for postmastectomy pain
syndrome" (Indian J Palliat Care 2019): 20 women, Group 1 (n=16) received neural
interventions (NI) followed by a course of ultrasound-guided dry needling (USGDN), Group 2
(n=4) received USGDN only. Every person, name and date is invented.

This module writes the files; the cohort is made in its parts: the design and the published
scores (:mod:`~pipelines.demo.cohort`), the patients and their timelines
(:mod:`~pipelines.demo.patients`), the questionnaire answers (:mod:`~pipelines.demo.answers`)
and the opioid prescriptions (:mod:`~pipelines.demo.medications`). The pipeline's scoring never
imports any of them. Codes, item names, MME factors and painDETECT pattern scores come from the
seeds, the export columns from the source specs.
"""

import csv
from pathlib import Path

from pipelines.demo.answers import questionnaire_rows
from pipelines.demo.cohort import EXPORT_DATE, MRNS, SEED, SITE, Rng, group_of
from pipelines.demo.medications import medication_profiles, medication_rows
from pipelines.demo.patients import enrolment_date, first_names, patient_row, timeline
from schemas import SOURCE_SPECS

# The demo clinic lists a patient's names first; the pipeline reads columns by name.
PATIENT_COLUMNS = (
    "mrn",
    "first_name",
    "last_name",
    "sex",
    "date_of_birth",
    "mastectomy_date",
    "mastectomy_side",
    "treatment_group",
)
PROCEDURE_COLUMNS = SOURCE_SPECS["procedures"].columns
QUESTIONNAIRE_COLUMNS = SOURCE_SPECS["questionnaires"].columns  # the codebook's items
MEDICATION_COLUMNS = SOURCE_SPECS["medications"].columns
EXPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "patients": PATIENT_COLUMNS,
    "procedures": PROCEDURE_COLUMNS,
    "questionnaires": QUESTIONNAIRE_COLUMNS,
    "medications": MEDICATION_COLUMNS,
}


def export_file_names() -> dict[str, str]:
    """Return the export kind -> CSV file name mapping for the demo site and export date."""
    stamp = EXPORT_DATE.strftime("%Y%m%d")
    return {kind: f"{kind}_{SITE}_{stamp}.csv" for kind in EXPORT_COLUMNS}


def write_demo_exports(landing_dir: Path) -> list[Path]:
    """Write the demo cohort's four clinic exports as CSV into ``landing_dir``.

    Creates the folder if needed and overwrites existing files. The output is byte-for-byte
    identical on every call (fixed seed and dates). Returns the written paths in the order
    patients, procedures, questionnaires, medications.
    """
    landing_dir = Path(landing_dir)
    landing_dir.mkdir(parents=True, exist_ok=True)
    rows = _build_cohort()
    written = []
    for kind, file_name in export_file_names().items():
        path = landing_dir / file_name
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(EXPORT_COLUMNS[kind])
            writer.writerows(rows[kind])
        written.append(path)
    return written


def _build_cohort() -> dict[str, list[list[str]]]:
    # One generator for the whole cohort, drawn patient by patient in MRN order: a change
    # in what one part draws changes every later patient's bytes.
    rng = Rng(SEED)
    rows: dict[str, list[list[str]]] = {kind: [] for kind in EXPORT_COLUMNS}
    names = first_names(rng)
    profiles = medication_profiles(rng)
    position = {1: 0, 2: 0}
    for number, mrn in enumerate(MRNS, start=1):
        group = group_of(mrn)
        slot = position[group]
        position[group] += 1
        course = timeline(group, enrolment_date(number, rng), rng)
        rows["patients"].append(
            patient_row(mrn, group, names[number - 1], course.first_procedure, rng)
        )
        for day, code, notes in course.procedures:
            rows["procedures"].append([mrn, day.isoformat(), code, notes])
        rows["questionnaires"].extend(questionnaire_rows(mrn, group, slot, course.visits, rng))
        rows["medications"].extend(medication_rows(mrn, profiles[mrn], course, rng))
    return rows
