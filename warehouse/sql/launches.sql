-- Space launches (events of kind 'space_launch') with the resolved site and its basis.
CREATE OR REPLACE VIEW launches AS
SELECT l.event_id, l.date, l.year, l.site, l.country, l.vehicle, l.outcome, l.site_basis, l.crewed,
       l.payload, e.headline
FROM stg_launches l JOIN stg_events e USING (event_id);
