-- Per-token request counts for the JSON API's limit, kept in Postgres so that several
-- servers share them. One row per token: this minute's count and the last minute's,
-- which together estimate the requests of the sliding minute before each request.
CREATE TABLE api_token_windows (
    token_id      uuid PRIMARY KEY REFERENCES api_tokens(id) ON DELETE CASCADE,
    window_start  timestamptz NOT NULL,
    hits          integer NOT NULL CHECK (hits > 0),
    prev_hits     integer NOT NULL DEFAULT 0 CHECK (prev_hits >= 0)
);

-- A token made by a plain form (JavaScript off) is shown on the next page load, once:
-- its text rides in a short-lived cookie, and this flag lets only the first load show it.
ALTER TABLE api_tokens ADD COLUMN reveal_pending boolean NOT NULL DEFAULT false;
