-- Index access methods: hash, gin (with jsonb_path_ops), gist, brin (with a storage parameter), spgist.
CREATE TABLE things (id integer PRIMARY KEY, token text, doc jsonb, tags text[], span tsrange,
  at timestamptz, ip inet, words tsvector);
-- ==== after ====
CREATE TABLE things (id integer PRIMARY KEY, token text, doc jsonb, tags text[], span tsrange,
  at timestamptz, ip inet, words tsvector);
CREATE INDEX things_token_hash ON things USING hash (token);
CREATE INDEX things_doc_gin ON things USING gin (doc jsonb_path_ops);
CREATE INDEX things_tags_gin ON things USING gin (tags);
CREATE INDEX things_span_gist ON things USING gist (span);
CREATE INDEX things_at_brin ON things USING brin (at) WITH (pages_per_range = 32);
CREATE INDEX things_ip_spgist ON things USING spgist (ip);
CREATE INDEX things_words ON things USING gin (words) WITH (fastupdate = off);
