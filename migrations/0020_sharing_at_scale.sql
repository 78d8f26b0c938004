-- The Sharing screen at 100× the rows (issue 13's growth benchmark): its links were found
-- by a scan of every integration's links (20,007 rows, 2.5 ms, growing with the table);
-- the screen reads them by integration.
CREATE INDEX invite_links_integration_idx ON invite_links (integration_id);
