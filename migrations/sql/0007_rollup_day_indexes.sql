-- An association's dashboard reads its rollups for a range of days. request_daily has
-- had (tenant_id, day) from the start; visit_daily and workshop_daily only had their
-- primary keys, (tenant_id, site_id, day, ...), so a month of a large association read
-- every day of the year of each of its sites (bench/README.md, W2).
create index visit_daily_day_idx on visit_daily (tenant_id, day);
create index workshop_daily_day_idx on workshop_daily (tenant_id, day);
