"""The demo cohort's design: its site, export date and seed, the two groups and their visits,
the per-patient score table, and the seeded draws every part of the cohort is made with.

The per-patient scores in :data:`SCORE_TABLE` were found by a search (tests/unit/score_search.py)
so that the per-group mean (SD) of the scores recomputed from the written questionnaire items
reproduces the study's published table exactly; the tests re-run the search.
"""

import random
from collections.abc import Sequence
from datetime import date
from typing import TypeVar

from pipelines.demo.codes import BASELINE, DASH, NRS, PAINDETECT, POST_NI, POST_USGDN

_T = TypeVar("_T")

SITE = "demo"
EXPORT_DATE = date(2026, 11, 2)
SEED = 20191102

GROUP_EVENTS: dict[int, tuple[str, ...]] = {
    1: (BASELINE, POST_NI, POST_USGDN),
    2: (BASELINE, POST_USGDN),
}
GROUP_SIZES = {1: 16, 2: 4}
MRNS = tuple(f"D{number:03d}" for number in range(1, sum(GROUP_SIZES.values()) + 1))
# Group 2 patients are interleaved with Group 1 so that MRN order does not reveal the arm.
GROUP2_MRNS = ("D004", "D009", "D013", "D018")

# The scores of the published table; the order seeds the search of each one's table.
PARAMS = (NRS, PAINDETECT, DASH)

# Per-patient score units, one tuple per patient (Group order = MRN order), one value per
# event of the group. NRS and PAINDETECT are the scores; DASH is (item sum - 30), i.e.
# DASH score = value * 5 / 6. Found by tests/unit/score_search.py (search_score_table(group, param,
# SEED)); the tests re-run the search and re-verify these against the published table.
# fmt: off
SCORE_TABLE: dict[int, dict[str, tuple[tuple[int, ...], ...]]] = {
    1: {
        NRS: (
            (10, 4, 3), (10, 8, 3), (10, 6, 2), (10, 6, 3), (10, 5, 2), (10, 5, 3), (10, 6, 3),
            (10, 5, 3), (10, 5, 2), (9, 4, 1), (8, 4, 1), (10, 6, 2), (9, 4, 1), (10, 5, 3),
            (10, 6, 2), (7, 4, 3),
        ),
        PAINDETECT: (
            (33, 17, 6), (35, 20, 8), (31, 20, 7), (31, 19, 7), (22, 17, 6), (31, 16, 8),
            (28, 16, 7), (35, 19, 8), (26, 15, 6), (24, 14, 6), (25, 13, 5), (25, 12, 5),
            (22, 8, 5), (32, 19, 8), (27, 21, 8), (26, 11, 5),
        ),
        DASH: (
            (96, 95, 29), (115, 106, 81), (112, 94, 55), (105, 86, 48), (85, 80, 46), (97, 92, 55),
            (98, 94, 34), (113, 97, 60), (98, 79, 25), (82, 54, 21), (92, 83, 46), (91, 78, 25),
            (69, 68, 23), (104, 80, 58), (109, 95, 31), (88, 84, 27),
        ),
    },
    2: {
        NRS: ((10, 2), (8, 1), (7, 1), (6, 1)),
        PAINDETECT: ((28, 6), (23, 6), (9, 8), (20, 4)),
        DASH: ((96, 26), (58, 33), (77, 39), (62, 10)),
    },
}
# fmt: on


def group_of(mrn: str) -> int:
    """The treatment group (1 or 2) of a demo patient."""
    return 2 if mrn in GROUP2_MRNS else 1


class Rng:
    """Seeded generator built only on ``random.Random.random``.

    Why: Python guarantees only ``random()`` to produce the same sequence across versions,
    so every derived draw is done here with plain arithmetic to keep the bytes stable.
    """

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def uniform(self) -> float:
        """A float in [0, 1)."""
        return self._random.random()

    def randint(self, low: int, high: int) -> int:
        """An integer in [low, high], both included."""
        return low + int(self._random.random() * (high - low + 1))

    def choice(self, items: Sequence[_T]) -> _T:
        """One of ``items``, each as likely."""
        return items[self.randint(0, len(items) - 1)]

    def shuffle(self, items: list) -> None:
        """Shuffle ``items`` in place (Fisher-Yates)."""
        for i in range(len(items) - 1, 0, -1):
            j = self.randint(0, i)
            items[i], items[j] = items[j], items[i]

    def normal(self) -> float:
        """A standard normal draw, approximately."""
        # Irwin-Hall approximation: no libm calls, so identical on every platform.
        return sum(self._random.random() for _ in range(12)) - 6.0


def severity(group: int, seed: int) -> list[float]:
    """Each patient's pain severity in a group (MRN order), a standard normal draw per patient:
    the score search and the PHQ-9 answers both follow it."""
    rng = Rng(seed * 100 + group)
    return [rng.normal() for _ in range(GROUP_SIZES[group])]
