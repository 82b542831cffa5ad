"""From the landing folder to the warehouse's accepted rows: file statuses, reading CSV and
XLSX into Arrow, the three row-check steps (pandera schemas in schemas/), typing, and the
load's ingest steps."""
