-- One row per answered item of each accepted assessment: the questionnaires' columns
-- unpivoted and joined to the codebook seed, which says which columns are items (the clinic
-- totals, their text and the keys are not). The codebook is read when the model runs, so the
-- project compiles without a warehouse.
with questionnaires as (
    select * from {{ ref('stg_ingest__questionnaires') }}
),

codebook as (
    select * from {{ ref('questionnaire_codebook') }}
    where kind = 'item'
),

cells as (
    {{ unpivot_cells(
        'questionnaires', ['site', 'mrn', 'file_name', 'row_number', 'visit_code'],
        'item', 'response', dbt.type_int()) }}
),

final as (
    select
        cells.site,
        cells.mrn,
        cells.file_name,
        cells.row_number,
        cells.visit_code,
        codebook.param_code,
        cells.item,
        cells.response
    from cells
    inner join codebook on cells.item = codebook.item
    -- the macro leaves out nulls; Spark's to_json does too unless a session says otherwise
    where cells.response is not null
)

select * from final
