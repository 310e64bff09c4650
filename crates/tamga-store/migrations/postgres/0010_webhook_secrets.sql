-- Every webhook delivery is signed (issue 13, finding 5): HMAC-SHA256 with
-- a secret per subscriber, made from the OS CSPRNG when the webhook is set,
-- shown to the trader once, replaced when the URL is set again. It lives in
-- the database so every instance signs with the same secret. A webhook set
-- before this migration has none: nothing is pushed to it (notifications
-- stay available by pull) until the trader sets it again.
ALTER TABLE webhooks ADD COLUMN secret TEXT;
