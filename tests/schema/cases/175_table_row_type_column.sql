-- A column whose type is another table's row type: that table is created first, whatever
-- the names (here the holder sorts before the table it uses), also when both are new.
CREATE TABLE public.zeta (a integer, b text);
-- ==== after ====
CREATE TABLE public.zeta (a integer, b text);
CREATE TABLE public.alpha (id integer PRIMARY KEY, snapshot public.zeta, history public.zeta[]);
CREATE TABLE public.omega (a integer);
CREATE TABLE public.beta (x public.omega);
