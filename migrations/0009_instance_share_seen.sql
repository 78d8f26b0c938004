-- A share is listed with the person's name only once they have opened the instance.
-- Until then the owner sees it as an invitation to the address, exactly like an
-- invitation to an address without a Gatehouse login: sharing never tells the owner
-- whether an address has an account (issue 14, item 5). Existing shares count as seen.
ALTER TABLE instance_shares ADD COLUMN seen_at timestamptz;
UPDATE instance_shares SET seen_at = shared_at;
