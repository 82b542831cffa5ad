"""The study's codes as both demo generators use them, read from the seeds.

A code is spelt only in its seed (dbt_project/seeds, read by pipelines/core/reference.py). The
names below are bound in the seed's own order (visit order, display order), so a seed that gains
or loses a code stops the import here instead of writing exports the pipeline would reject.
"""

from collections.abc import Iterable

from pipelines.core.reference import (
    neural_intervention_codes,
    parameter_order,
    procedure_codes,
    questionnaire_codebook,
    visit_codes,
)

# Baseline, after the neural intervention(s), after the USGDN course, and the two follow-ups.
VISITS = visit_codes()
BASELINE, POST_NI, POST_USGDN, FU_3M, FU_6M = VISITS

# The neural interventions in the seed's order, which is the order random choices draw from.
NI_PROCEDURES = neural_intervention_codes()
# The one procedure that is no neural intervention: a session of ultrasound-guided dry needling.
(USGDN,) = procedure_codes() - set(NI_PROCEDURES)

NRS, PAINDETECT, DASH, PHQ9, MME = parameter_order()

# The questionnaire items a patient answers (not the clinics' own totals) and their valid range.
ITEMS: tuple[tuple[str, int, int], ...] = tuple(
    (item.item, item.min_value, item.max_value)
    for item in questionnaire_codebook()
    if item.whole_numbers_only
)


def require_codes(used: Iterable[str], declared: Iterable[str], what: str) -> None:
    """Fail unless ``used`` names exactly the codes its seed declares.

    For the generators' own tables keyed by code (notes per procedure, weighted sides): they
    keep an explicit order for reproducible draws, and this keeps them in step with the seed.
    """
    used, declared = set(used), set(declared)
    if used != declared:
        raise ValueError(f"{what}: {sorted(used)} differ from the seed's {sorted(declared)}")
