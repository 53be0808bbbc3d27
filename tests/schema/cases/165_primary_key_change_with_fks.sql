-- A primary key that foreign keys depend on changes (new column list, new name): the foreign
-- keys are dropped first and recreated after it (else `cannot drop constraint ... because
-- other objects depend on it`). Another table's unique key that a foreign key uses is
-- dropped, and so is that foreign key.
CREATE TABLE public.account (id integer NOT NULL, region text NOT NULL DEFAULT 'eu', code text,
  CONSTRAINT account_pkey PRIMARY KEY (id), CONSTRAINT account_code_key UNIQUE (code));
CREATE TABLE public.invoice (id integer PRIMARY KEY, account_id integer REFERENCES public.account (id),
  account_code text CONSTRAINT invoice_code_fk REFERENCES public.account (code));
CREATE TABLE public.payment (id integer PRIMARY KEY,
  account_id integer CONSTRAINT payment_account_fk REFERENCES public.account (id) ON DELETE CASCADE);
-- ==== after ====
CREATE TABLE public.account (id integer NOT NULL, region text NOT NULL DEFAULT 'eu', code text,
  CONSTRAINT account_pk PRIMARY KEY (id));
CREATE UNIQUE INDEX account_id_region ON public.account (id, region);
CREATE TABLE public.invoice (id integer PRIMARY KEY, account_id integer REFERENCES public.account (id),
  account_code text);
CREATE TABLE public.payment (id integer PRIMARY KEY,
  account_id integer CONSTRAINT payment_account_fk REFERENCES public.account (id) ON DELETE CASCADE);
