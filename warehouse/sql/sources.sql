-- Source articles and images of each event (from its canonical file), in file order.
CREATE OR REPLACE VIEW sources AS
SELECT event_id, position, name, url, domain, is_image, year FROM stg_sources;
