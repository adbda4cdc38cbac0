-- A deviation ratio is null exactly when a null_reason says why (never null silently,
-- never a value next to a reason).
select *
from {{ ref('deviation_ratio') }}
where (deviation_ratio is null) != (null_reason is not null)
