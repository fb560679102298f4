-- The snapshot the DuckDB file was published for (one row; the table exists in every published file).
SELECT snapshot FROM _currents_meta LIMIT 1;
