-- The distribution bootstrap's draws (int_wvs_culturespa_distribution_weights) take
-- md5_number_lower and md5_number_upper of a text from one md5_number call (half the MD5 work);
-- this holds the DuckDB version to that layout: any row returned is a mismatch.
select hashed_text
from (values ('20250101|US|en|classification|aware|base|Q1|0'), ('7|-|en|cot|unaware|base|Q94|12')) as texts(hashed_text)
where md5_number_lower(hashed_text) <> cast(md5_number(hashed_text) >> 64 as ubigint)
   or md5_number_upper(hashed_text) <> cast(md5_number(hashed_text) & 18446744073709551615::uhugeint as ubigint)
