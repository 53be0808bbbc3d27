--- dbhost.schema.inspect: a database's schema, read from the system catalogs,
-- as a plain Lua model (see dbhost.schema.model for its shape).
--
--   local inspect = require "dbhost.schema.inspect"
--   local m = assert(inspect.inspect(conn, { schemas = { "public" } }))
--
-- One batched query per object kind, never one per table, and all of them sent in
-- one string after the schema list: three round trips whatever the size of the schema,
-- the server running the next query while the rows of the last become the model. Expressions (defaults,
-- checks, index definitions, view bodies, function bodies) come from the
-- server's own deparsers (pg_get_expr, pg_get_viewdef, ...) run with an empty
-- search_path, so every name in them is schema-qualified and two databases
-- holding the same schema yield the same text.
local model = require "dbhost.schema.model"

local M = {}

-- Lists inside a row are joined with the ASCII unit separator (never in names).
local SEP = "\31"

-- The empty list every empty field shares (most grants, options, parents...): no table
-- per column for nothing, and equal at a glance when two models are compared. Read-only.
local EMPTY = setmetatable({}, { __newindex = function() error("dbhost.schema.inspect: the shared empty list is read-only", 2) end })

local function split(s)
  if s == nil or s == "" then return EMPTY end
  local out = {}
  for part in (s .. SEP):gmatch("(.-)" .. SEP) do out[#out + 1] = part end
  return out
end

-- Objects that belong to an extension are the extension's, not the user's. (Read once per
-- query through the index on the referenced object: an extension's members are few, and a
-- probe or a scan of pg_depend per object costs more than the list.)
local function not_ext(classid, oidcol)
  return ("%s NOT IN (SELECT e.objid FROM pg_catalog.pg_depend e WHERE e.refclassid = 'pg_extension'::regclass "
    .. "AND e.classid = '%s'::regclass AND e.deptype = 'e')"):format(oidcol, classid)
end

local acl_explode

-- grants of an ACL column as "grantee PRIVILEGE[ WITH GRANT OPTION]" joined by SEP,
-- without the owner's own entries; a NULL ACL is the type's default (acldefault).
local ACL_DEFAULT = { f = "'PUBLIC EXECUTE'", T = "'PUBLIC USAGE'" }

local function acl_expr(col, kind, owner)
  -- a NULL ACL (the common case) is answered without calling aclexplode
  return ("CASE WHEN %s IS NULL THEN %s ELSE "):format(col, ACL_DEFAULT[kind] or "NULL") .. acl_explode(col, kind, owner)
    .. " END"
end

acl_explode = function(col, kind, owner)
  return ("(SELECT string_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident("
    .. "pg_catalog.pg_get_userbyid(a.grantee)) END || ' ' || a.privilege_type || CASE WHEN a.is_grantable "
    .. "THEN ' WITH GRANT OPTION' ELSE '' END, E'\\x1f' ORDER BY 1) FROM pg_catalog.aclexplode("
    .. "coalesce(%s, pg_catalog.acldefault('%s', %s))) a WHERE a.grantee <> %s)"):format(col, kind, owner, owner)
end

local function description(alias, catalog, oidcol, sub)
  return ("LEFT JOIN pg_catalog.pg_description %s ON %s.objoid = %s AND %s.classoid = '%s'::regclass "
    .. "AND %s.objsubid = %s"):format(alias, alias, oidcol, alias, catalog, alias, sub or "0")
end

local Q = {}

Q.schemas = [[
SELECT n.oid, n.nspname AS name, d.description AS comment, ]] .. acl_expr("n.nspacl", "n", "n.nspowner") .. [[ AS grants,
  coalesce(rc.relations, 0) AS relations
FROM pg_catalog.pg_namespace n
LEFT JOIN (SELECT c.relnamespace, count(*) AS relations FROM pg_catalog.pg_class c GROUP BY 1) rc
  ON rc.relnamespace = n.oid
]] .. description("d", "pg_namespace", "n.oid") .. [[

WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND n.nspname <> 'atlas_schema_revisions'
  AND ]] .. not_ext("pg_namespace", "n.oid")

Q.extensions = [[
SELECT e.extname AS name, n.nspname AS schema, e.extversion AS version, av.default_version,
  CASE WHEN d.description IS DISTINCT FROM av.comment THEN d.description END AS comment
FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
LEFT JOIN pg_catalog.pg_available_extensions av ON av.name = e.extname
]] .. description("d", "pg_extension", "e.oid") .. [[

WHERE e.extname <> 'plpgsql']]

Q.types = [[
SELECT t.oid, t.typrelid AS relid, n.nspname AS schema, t.typname AS name, t.typtype AS kind, d.description AS comment,
  CASE WHEN t.typtype = 'e' THEN (SELECT string_agg(e.enumlabel, E'\x1f' ORDER BY e.enumsortorder)
    FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid) END AS enum_values,
  CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END AS base_type,
  t.typnotnull AS notnull, t.typdefault AS "default",
  CASE WHEN t.typcollation <> 0 AND t.typcollation <> bt.typcollation THEN
    (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname)
     FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
     WHERE co.oid = t.typcollation) END AS collation,
  CASE WHEN t.typtype = 'c' THEN (SELECT string_agg(pg_catalog.quote_ident(a.attname) || ' '
      || pg_catalog.format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attcollation <> 0 AND a.attcollation <> at.typcollation
      THEN ' COLLATE ' || pg_catalog.quote_ident(acn.nspname) || '.' || pg_catalog.quote_ident(aco.collname) ELSE '' END,
      E'\x1f' ORDER BY a.attnum)
    FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type at ON at.oid = a.atttypid
    LEFT JOIN pg_catalog.pg_collation aco ON aco.oid = a.attcollation
    LEFT JOIN pg_catalog.pg_namespace acn ON acn.oid = aco.collnamespace
    WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) END AS attributes,
  ]] .. acl_expr("t.typacl", "T", "t.typowner") .. [[ AS grants
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype
LEFT JOIN pg_catalog.pg_class r ON r.oid = t.typrelid
]] .. description("d", "pg_type", "t.oid") .. [[

WHERE n.oid = ANY($1::oid[]) AND (t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND r.relkind = 'c'))
  AND ]] .. not_ext("pg_type", "t.oid")

-- Relations: tables, partitioned tables, views, materialized views, sequences.
Q.relations = [[
SELECT c.oid, NULLIF(c.reltype, 0) AS reltype, n.nspname AS schema, c.relname AS name, c.relkind AS kind,
  NULLIF(c.relpersistence, 'p') AS persistence, NULLIF(c.relrowsecurity, false) AS rls,
  NULLIF(c.relforcerowsecurity, false) AS force_rls, array_to_string(c.reloptions, E'\x1f') AS options,
  d.description AS comment,
  CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partition_key,
  CASE WHEN c.reloftype <> 0 THEN pg_catalog.format_type(c.reloftype, NULL) END AS of_type,
  CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS partition_bound,
  (SELECT string_agg(pn.nspname || '.' || pc.relname, E'\x1f' ORDER BY i.inhseqno)
     FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
     JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = c.oid) AS parents,
  CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END AS viewdef,
  CASE WHEN c.relkind = 'm' THEN c.relispopulated END AS populated,
  pg_catalog.format_type(s.seqtypid, NULL) AS seq_type, s.seqstart, s.seqincrement, s.seqmin, s.seqmax,
  s.seqcache, s.seqcycle,
  own.deptype AS owned_deptype, own_n.nspname || '.' || own_c.relname AS owned_table, own_a.attname AS owned_column,
  ]] .. acl_expr("c.relacl", "r", "c.relowner") .. [[ AS grants
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
LEFT JOIN pg_catalog.pg_depend own ON own.classid = 'pg_class'::regclass AND own.objid = s.seqrelid
  AND own.refclassid = 'pg_class'::regclass AND own.deptype IN ('a', 'i') AND own.refobjsubid > 0
LEFT JOIN pg_catalog.pg_class own_c ON own_c.oid = own.refobjid
LEFT JOIN pg_catalog.pg_namespace own_n ON own_n.oid = own_c.relnamespace
LEFT JOIN pg_catalog.pg_attribute own_a ON own_a.attrelid = own.refobjid AND own_a.attnum = own.refobjsubid
]] .. description("d", "pg_class", "c.oid") .. [[

WHERE c.relnamespace = ANY($1::oid[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
  AND ]] .. not_ext("pg_class", "c.oid")

-- Fields that hold the same value in most rows (not null, identity, generated, local)
-- come only when they differ from it: every field is a string for the client to make.
-- A default is deparsed without its table (pg_get_expr(expr, 0): the same text, since a
-- default cannot name a column), which spares the server opening every table; a generated
-- column's expression names columns and needs it.
Q.columns = [[
SELECT a.attrelid AS rel, a.attname AS name, a.attnum AS num,
  pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, NULLIF(a.attnotnull, false) AS notnull,
  NULLIF(a.attidentity, '') AS identity, NULLIF(a.attgenerated, '') AS generated,
  NULLIF(a.attislocal, true) AS islocal,
  pg_catalog.pg_get_expr(ad.adbin, CASE WHEN a.attgenerated <> '' THEN ad.adrelid ELSE 0 END) AS "default",
  CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN
    (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname)
     FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
     WHERE co.oid = a.attcollation) END AS collation,
  d.description AS comment,
  CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage END AS storage, t.typstorage AS type_storage,
  %s AS compression, CASE WHEN a.attstattarget >= 0 THEN a.attstattarget END AS statistics,
  CASE WHEN a.attacl IS NOT NULL THEN ]] .. acl_expr("a.attacl", "c", "c.relowner") .. [[ END AS grants
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
]] .. description("d", "pg_class", "a.attrelid", "a.attnum") .. [[

WHERE c.relnamespace = ANY($1::oid[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'c') AND a.attnum > 0 AND NOT a.attisdropped
  AND (c.relkind <> 'c' OR d.description IS NOT NULL)]]

-- Table and domain constraints; constraints cloned onto partitions or
-- inherited from a parent are the parent's and are left out.
Q.constraints = [[
SELECT co.oid, co.conname AS name, co.contype AS type, NULLIF(co.conrelid, 0) AS rel, NULLIF(co.contypid, 0) AS typ,
  CASE WHEN co.contype IN ('p', 'u', 'x') THEN co.conindid END AS index_oid,
  pg_catalog.pg_get_constraintdef(co.oid) AS def, d.description AS comment,
  CASE WHEN co.contype = 'f' THEN fn.nspname || '.' || fc.relname END AS ref_table
FROM pg_catalog.pg_constraint co
LEFT JOIN pg_catalog.pg_class fc ON fc.oid = co.confrelid
LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
]] .. description("d", "pg_constraint", "co.oid") .. [[

WHERE co.connamespace = ANY($1::oid[]) AND co.contype IN ('p', 'u', 'c', 'f', 'x')
  AND co.conislocal AND co.conparentid = 0]]

-- Indexes that are not the implementation of a constraint, nor a partition's
-- copy of a partitioned index.
Q.indexes = [[
SELECT i.indexrelid AS oid, ic.relname AS name, n.nspname AS schema, i.indrelid AS rel, pg_catalog.pg_get_indexdef(i.indexrelid) AS def,
  d.description AS comment
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
]] .. description("d", "pg_class", "i.indexrelid") .. [[

WHERE ic.relnamespace = ANY($1::oid[])
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint co WHERE co.conindid = i.indexrelid
                  AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x'))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid)
  AND ]] .. not_ext("pg_class", "i.indexrelid")

Q.functions = [[
SELECT p.oid, n.nspname AS schema, p.proname AS name, pg_catalog.pg_get_function_identity_arguments(p.oid) AS args,
  pg_catalog.oidvectortypes(p.proargtypes) AS argtypes, p.prokind AS kind,
  CASE WHEN p.prokind = 'a' THEN ]] .. "%s" .. [[ ELSE pg_catalog.pg_get_functiondef(p.oid) END AS def,
  pg_catalog.pg_get_function_result(p.oid) AS result,
  l.lanname AS language, d.description AS comment,
  ]] .. acl_expr("p.proacl", "f", "p.proowner") .. [[ AS grants
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
]] .. description("d", "pg_proc", "p.oid") .. [[

WHERE p.pronamespace = ANY($1::oid[]) AND p.prokind IN ('f', 'p', 'w', 'a')
  AND ]] .. not_ext("pg_proc", "p.oid")

Q.triggers = [[
SELECT t.oid, t.tgrelid AS rel, t.tgname AS name, pg_catalog.pg_get_triggerdef(t.oid) AS def, t.tgenabled AS enabled,
  d.description AS comment
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
]] .. description("d", "pg_trigger", "t.oid") .. [[

WHERE c.relnamespace = ANY($1::oid[]) AND NOT t.tgisinternal]]

Q.policies = [[
SELECT p.oid, p.polrelid AS rel, p.polname AS name, p.polcmd AS cmd, p.polpermissive AS permissive,
  (SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r)) END,
     E'\x1f' ORDER BY 1) FROM unnest(p.polroles) r) AS roles,
  pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS qual,
  pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS with_check, d.description AS comment
FROM pg_catalog.pg_policy p
JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
]] .. description("d", "pg_policy", "p.oid") .. [[

WHERE c.relnamespace = ANY($1::oid[])]]

-- Dependencies between user objects. Only normal ('n') dependencies matter here
-- (a view on a column, a foreign key on a table, a default on a function, ...):
-- automatic and internal ones are the server's own bookkeeping. A view's rule
-- and a column default are reported as their relation (and column); the oids are
-- turned into model keys in Lua with the maps the other queries filled.
-- The automatic dependencies of indexes and constraints on table columns come
-- too, flagged, but only on the columns that have a type of their own (a normal
-- dependency on a type: a user's enum, domain or composite type, an array of one,
-- an extension's type, a table's row type; never a built-in type): the planner uses
-- them only when it must move a column off a type (a domain or an enum that is
-- rebuilt), to drop and recreate what uses it, and most of them (every index and
-- key on an integer or text column) would be read for nothing. Other automatic
-- dependencies on columns (a sequence OWNED BY one) all come.
-- The catalog names come as text from a CASE on constants (regclass output per
-- row costs a catalog lookup each); a column 0 (the whole object) and the normal
-- deptype come as NULL.
local function catalog_name(col, list)
  local out = { "CASE " .. col }
  for _, name in ipairs(list) do out[#out + 1] = ("WHEN '%s'::regclass THEN '%s'"):format(name, name) end
  out[#out + 1] = "END"
  return table.concat(out, " ")
end
local DEP_CLASSES = { "pg_class", "pg_rewrite", "pg_attrdef", "pg_type", "pg_proc", "pg_constraint", "pg_trigger",
                      "pg_policy", "pg_event_trigger" }
local DEP_REFCLASSES = { "pg_class", "pg_type", "pg_proc" }
local function quoted_regclasses(list)
  local out = {}
  for i, name in ipairs(list) do out[i] = ("'%s'::regclass"):format(name) end
  return table.concat(out, ", ")
end
Q.deps = [[
SELECT ]] .. catalog_name("d.classid", DEP_CLASSES) .. [[ AS class,
  coalesce(r.ev_class, ad.adrelid, d.objid) AS obj, ad.adnum AS objcol,
  ]] .. catalog_name("d.refclassid", DEP_REFCLASSES) .. [[ AS refclass, d.refobjid AS ref,
  NULLIF(d.refobjsubid, 0) AS refcol, NULLIF(d.deptype, 'n') AS deptype
FROM pg_catalog.pg_depend d
LEFT JOIN pg_catalog.pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
LEFT JOIN pg_catalog.pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND ad.oid = d.objid
WHERE (d.deptype = 'n' AND d.classid IN (]] .. quoted_regclasses(DEP_CLASSES) .. [[)
  AND d.refclassid IN (]] .. quoted_regclasses(DEP_REFCLASSES) .. [[))
  OR (d.deptype = 'a' AND d.classid IN ('pg_class'::regclass, 'pg_constraint'::regclass)
    AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0
    AND ((d.classid = 'pg_class'::regclass AND d.objid NOT IN (SELECT x.indexrelid FROM pg_catalog.pg_index x))
      OR (d.refobjid, d.refobjsubid) IN (SELECT ty.objid, ty.objsubid FROM pg_catalog.pg_depend ty
        WHERE ty.classid = 'pg_class'::regclass AND ty.objsubid > 0 AND ty.refclassid = 'pg_type'::regclass
          AND ty.deptype = 'n')))]]

-- CREATE AGGREGATE text of an aggregate (pg_get_functiondef refuses aggregates); the
-- options left at their defaults are not written.
local function agg_fn(col, opt)
  return ("CASE WHEN ag.%s <> 0 THEN ', %s = ' || ag.%s::regproc::text ELSE '' END"):format(col, opt, col)
end
local function agg_modify(col, opt)
  return ("CASE WHEN ag.%s <> (CASE WHEN ag.aggkind = 'n' THEN 'r' ELSE 'w' END) THEN ', %s = ' || "
    .. "CASE ag.%s WHEN 'r' THEN 'READ_ONLY' WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END ELSE '' END"):format(col, opt, col)
end
local AGGREGATE_DEF = "(SELECT 'CREATE AGGREGATE ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(p.proname) "
  .. "|| '(' || pg_catalog.pg_get_function_arguments(p.oid) || ') (SFUNC = ' || ag.aggtransfn::regproc::text "
  .. "|| ', STYPE = ' || pg_catalog.format_type(ag.aggtranstype, NULL) "
  .. "|| CASE WHEN ag.aggtransspace <> 0 THEN ', SSPACE = ' || ag.aggtransspace ELSE '' END "
  .. "|| " .. agg_fn("aggfinalfn", "FINALFUNC")
  .. " || CASE WHEN ag.aggfinalextra THEN ', FINALFUNC_EXTRA' ELSE '' END || " .. agg_modify("aggfinalmodify", "FINALFUNC_MODIFY")
  .. " || " .. agg_fn("aggcombinefn", "COMBINEFUNC") .. " || " .. agg_fn("aggserialfn", "SERIALFUNC")
  .. " || " .. agg_fn("aggdeserialfn", "DESERIALFUNC")
  .. " || CASE WHEN ag.agginitval IS NOT NULL THEN ', INITCOND = ' || pg_catalog.quote_literal(ag.agginitval) ELSE '' END "
  .. "|| CASE WHEN ag.aggmtransfn <> 0 THEN ', MSFUNC = ' || ag.aggmtransfn::regproc::text || ', MINVFUNC = ' "
  .. "|| ag.aggminvtransfn::regproc::text || ', MSTYPE = ' || pg_catalog.format_type(ag.aggmtranstype, NULL) "
  .. "|| CASE WHEN ag.aggmtransspace <> 0 THEN ', MSSPACE = ' || ag.aggmtransspace ELSE '' END || "
  .. agg_fn("aggmfinalfn", "MFINALFUNC")
  .. " || CASE WHEN ag.aggmfinalextra THEN ', MFINALFUNC_EXTRA' ELSE '' END || " .. agg_modify("aggmfinalmodify", "MFINALFUNC_MODIFY")
  .. " || CASE WHEN ag.aggminitval IS NOT NULL THEN ', MINITCOND = ' || pg_catalog.quote_literal(ag.aggminitval) ELSE '' END "
  .. "ELSE '' END "
  .. "|| CASE WHEN ag.aggsortop <> 0 THEN (SELECT ', SORTOP = OPERATOR(' || pg_catalog.quote_ident(son.nspname) || '.' "
  .. "|| so.oprname || ')' FROM pg_catalog.pg_operator so JOIN pg_catalog.pg_namespace son ON son.oid = so.oprnamespace "
  .. "WHERE so.oid = ag.aggsortop) ELSE '' END "
  .. "|| CASE WHEN ag.aggkind = 'h' THEN ', HYPOTHETICAL' ELSE '' END "
  .. "|| CASE p.proparallel WHEN 's' THEN ', PARALLEL = SAFE' WHEN 'r' THEN ', PARALLEL = RESTRICTED' ELSE '' END "
  .. "|| ')' FROM pg_catalog.pg_aggregate ag WHERE ag.aggfnoid = p.oid)"
Q.functions = Q.functions:format(AGGREGATE_DEF)

-- Collations the user created (CREATE COLLATION, any FROM form): their settings, so that
-- they can be created again without the collation they were copied from. %s: the ICU
-- locale column, which depends on the server version.
Q.collations = [[
SELECT co.oid, n.nspname AS schema, co.collname AS name, co.collprovider AS provider,
  co.collisdeterministic AS deterministic, co.collcollate AS lc_collate, co.collctype AS lc_ctype,
  %s AS icu_locale, d.description AS comment
FROM pg_catalog.pg_collation co
JOIN pg_catalog.pg_namespace n ON n.oid = co.collnamespace
]] .. description("d", "pg_collation", "co.oid") .. [[

WHERE co.collnamespace = ANY($1::oid[]) AND ]] .. not_ext("pg_collation", "co.oid")

-- Event triggers (database-wide; kept when their function is in an inspected schema).
Q.event_triggers = [[
SELECT et.oid, et.evtname AS name, et.evtevent AS event, et.evtenabled AS enabled,
  array_to_string(et.evttags, E'\x1f') AS tags, fn.nspname AS func_schema,
  pg_catalog.quote_ident(fn.nspname) || '.' || pg_catalog.quote_ident(p.proname) AS func, d.description AS comment
FROM pg_catalog.pg_event_trigger et
JOIN pg_catalog.pg_proc p ON p.oid = et.evtfoid
JOIN pg_catalog.pg_namespace fn ON fn.oid = p.pronamespace
]] .. description("d", "pg_event_trigger", "et.oid") .. [[

WHERE ]] .. not_ext("pg_event_trigger", "et.oid")

-- Default privileges (ALTER DEFAULT PRIVILEGES): every ACL entry, the role's own included;
-- base is what a global entry replaces (acldefault), a schema entry adds to nothing.
local function acl_entries(expr)
  return ("(SELECT string_agg(CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident("
    .. "pg_catalog.pg_get_userbyid(x.grantee)) END || ' ' || x.privilege_type || CASE WHEN x.is_grantable "
    .. "THEN ' WITH GRANT OPTION' ELSE '' END, E'\x1f' ORDER BY 1) FROM pg_catalog.aclexplode(%s) x)"):format(expr)
end
Q.default_privileges = [[
SELECT pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.defaclrole)) AS role, n.nspname AS schema,
  a.defaclobjtype AS objtype, ]] .. acl_entries("a.defaclacl") .. [[ AS grants,
  CASE WHEN a.defaclnamespace = 0 THEN ]] .. acl_entries(
    "pg_catalog.acldefault(CASE a.defaclobjtype WHEN 'S' THEN 's' ELSE a.defaclobjtype END, a.defaclrole)") .. [[ END AS base
FROM pg_catalog.pg_default_acl a
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = a.defaclnamespace]]

-- The catalog queries, for diagnostics (EXPLAIN) and benchmarks.
M.queries = Q

local function bool(v) return v == "t" end

local STORAGE = { p = "PLAIN", e = "EXTERNAL", m = "MAIN", x = "EXTENDED" }
local COMPRESSION = { p = "pglz", l = "lz4" }

-- Coroutines (see inspect.inspect_many) whose queries are sent and awaited in two steps,
-- yielding in between so that the other inspections' queries run on their servers meanwhile.
local overlapped = setmetatable({}, { __mode = "k" })

-- The rows of one catalog query | nil, message, sqlstate.
local function exec(conn, sql, ...)
  local res, err, code
  local co = coroutine.running()
  if overlapped[co] then
    local sent, serr, scode = conn:send(sql, ...)
    if not sent then return nil, serr, scode end
    coroutine.yield()
    res, err, code = conn:result()
  else
    res, err, code = conn:exec(sql, ...)
  end
  if not res then return nil, err, code end
  return res.rows
end

-- Send the queries (each with the schema oid array as $1, written in as a literal: the
-- simple protocol runs several statements in one string) and return next() -> the rows of
-- the next one | nil, message, sqlstate. A failed query ends the list. While overlapped
-- (inspect_many), next() lets the other inspections work before it waits. | nil, err, code
local function send_all(conn, oids, list, size)
  local text = {}
  for i, sql in ipairs(list) do
    text[i] = sql:gsub("%$1::oid%[%]", "'" .. oids .. "'::pg_catalog.oid[]")
  end
  local sent, err, code = conn:send(table.concat(text, ";\n"))
  if not sent then return nil, err, code end
  local co, got = coroutine.running(), 0
  if overlapped[co] then overlapped[co] = size or 0 end
  return function()
    if overlapped[co] then coroutine.yield() end
    local res, rerr, rcode = conn:next_result()
    if not res then return nil, rerr or "the server sent fewer results than queries", rcode end
    got = got + 1
    -- after the last one, the end of the list (the connection is then free)
    if got == #list and conn:next_result() ~= false then
      return nil, "the server sent more results than queries"
    end
    return res.rows
  end
end

--- inspect.inspect_many(jobs [, meanwhile]) -> { { ok, ... }, ... }: run jobs (functions)
-- together, each in a coroutine; the inspections inside them (inspect.inspect) send their
-- catalog queries and let the others run before waiting, so two databases are read in
-- about the time of one. A job's results (or false, error when it raised) come back in
-- order. meanwhile(relations), if given, runs once every job is waiting for its server to
-- run its catalog queries (or is done), with the number of relations (tables, indexes,
-- views, sequences) those queries read: work of its own that then costs no time, if
-- they take long enough.
function M.inspect_many(jobs, meanwhile)
  local cos, results = {}, {}
  for i, job in ipairs(jobs) do
    cos[i] = coroutine.create(job)
    overlapped[cos[i]] = true
  end
  local alive, size = #cos, 0
  while alive > 0 do
    local busy = 0
    size = 0
    for i, co in ipairs(cos) do
      if coroutine.status(co) == "suspended" then
        local r = table.pack(coroutine.resume(co))
        if coroutine.status(co) == "dead" then
          alive = alive - 1
          results[i] = r
        elseif type(overlapped[co]) == "number" then
          busy = busy + 1
          size = size + overlapped[co]
        end
      end
    end
    if meanwhile and busy == alive then
      meanwhile(size)
      meanwhile = nil
    end
  end
  if meanwhile then meanwhile(0) end
  return results
end

-- The schemas to inspect (into m.schemas): the oid array literal and how many relations
-- they hold | nil, message, sqlstate.
local function pick_schemas(conn, opts, m)
  local rows, err, code = exec(conn, Q.schemas)
  if not rows then return nil, err, code end
  local want
  if opts.schemas then
    want = {}
    for _, s in ipairs(opts.schemas) do want[s] = true end
  end
  local oids, relations = {}, 0
  for _, r in ipairs(rows) do
    if not want or want[r.name] then
      m.schemas[r.name] = { name = r.name, comment = r.comment, grants = split(r.grants) }
      oids[#oids + 1] = r.oid
      relations = relations + tonumber(r.relations)
    end
  end
  return "{" .. table.concat(oids, ",") .. "}", relations
end

local function parse_options(s)
  return split(s)
end

-- Run every catalog query and build the model. The caller's search_path is
-- emptied for the duration (names then come back qualified) and restored.
local function build(conn, opts, m, relname)
  local oids, relations, code = pick_schemas(conn, opts, m)
  if not oids then return nil, relations, code end
  local err
  local wanted_schema = m.schemas
  -- Every other query goes in one string: the server runs them back to back (in one
  -- snapshot) while the rows of each are turned into the model here.
  local q_triggers = Q.triggers
  if m.server_version >= 130000 then q_triggers = q_triggers .. " AND t.tgparentid = 0" end
  local nextq
  nextq, err, code = send_all(conn, oids, {
    Q.extensions,
    Q.collations:format(m.server_version >= 170000 and "co.colllocale"
      or m.server_version >= 150000 and "co.colliculocale" or "NULL"),
    Q.types,
    Q.relations,
    Q.columns:format(m.server_version >= 140000 and "NULLIF(a.attcompression, '')" or "NULL"),
    Q.constraints,
    Q.indexes,
    Q.functions,
    q_triggers,
    Q.policies,
    Q.event_triggers,
    Q.default_privileges,
    Q.deps,
  }, relations)
  if not nextq then return nil, err, code end

  local rows
  rows, err, code = nextq()
  if not rows then return nil, err, code end
  for _, r in ipairs(rows) do
    if not opts.schemas or wanted_schema[r.schema] then
      m.extensions[r.name] = { name = r.name, schema = r.schema, version = r.version, comment = r.comment,
                               _default_version = r.default_version }
    end
  end

  m.collations = {}
  rows, err, code = nextq()
  if not rows then return nil, err, code end
  for _, r in ipairs(rows) do
    m.collations[r.schema .. "." .. r.name] = { schema = r.schema, name = r.name, provider = r.provider,
      deterministic = bool(r.deterministic), lc_collate = r.lc_collate, lc_ctype = r.lc_ctype,
      locale = r.icu_locale, comment = r.comment }
  end

  local type_by_oid = {}
  local composite_by_rel = {}  -- pg_class oid of a composite type -> its model entry
  local keys = { pg_class = {}, pg_type = {}, pg_proc = {}, pg_constraint = {}, pg_trigger = {}, pg_policy = {},
                 pg_event_trigger = {} }
  local colname = {}  -- relation oid -> { [attnum] = column name } (both as the server's text)
  rows, err, code = nextq()
  if not rows then return nil, err, code end
  for _, r in ipairs(rows) do
    local key = r.schema .. "." .. r.name
    local t = { schema = r.schema, name = r.name, comment = r.comment, grants = split(r.grants) }
    if r.kind == "e" then
      t.kind = "enum"
      t.values = split(r.enum_values)
    elseif r.kind == "d" then
      t.kind = "domain"
      t.base_type = r.base_type
      t.notnull = bool(r.notnull)
      t.default = r.default
      t.collation = r.collation
      t.checks = {}
    else
      t.kind = "composite"
      t.attributes = split(r.attributes)
      -- attribute comments (COMMENT ON COLUMN type.attr) come with the columns query
      t.columns = {}
      composite_by_rel[r.relid] = t
    end
    m.types[key] = t
    type_by_oid[r.oid] = t
    keys.pg_type[r.oid] = "type:" .. key
  end

  rows, err, code = nextq()
  if not rows then return nil, err, code end
  local identity_of = {}
  for _, r in ipairs(rows) do
    local key = r.schema .. "." .. r.name
    relname[r.oid] = key
    keys.pg_class[r.oid] = ((r.kind == "r" or r.kind == "p") and "table:" or (r.kind == "S") and "sequence:"
      or "view:") .. key
    -- a column of another table may have this relation's row type: it depends on the relation
    if r.reltype and r.reltype ~= "0" and r.kind ~= "S" then keys.pg_type[r.reltype] = keys.pg_class[r.oid] end
    if r.kind == "r" or r.kind == "p" then
      m.tables[key] = {
        schema = r.schema, name = r.name, partitioned = r.kind == "p", unlogged = r.persistence == "u",
        rls = bool(r.rls), force_rls = bool(r.force_rls), options = parse_options(r.options),
        comment = r.comment, partition_key = r.partition_key, partition_bound = r.partition_bound,
        parents = split(r.parents), columns = {}, constraints = {}, triggers = {}, policies = {},
        grants = split(r.grants), of_type = r.of_type,
      }
      if r.partition_bound then
        m.tables[key].partition_of = m.tables[key].parents[1]
        m.tables[key].parents = {}
      end
    elseif r.kind == "v" or r.kind == "m" then
      m.views[key] = { schema = r.schema, name = r.name, materialized = r.kind == "m", def = r.viewdef,
                       options = parse_options(r.options), comment = r.comment, grants = split(r.grants),
                       columns = {}, triggers = {},
                       populated = r.kind == "m" and bool(r.populated) or nil }
    elseif r.kind == "S" then
      local seq = { schema = r.schema, name = r.name, type = r.seq_type, start = r.seqstart,
                    increment = r.seqincrement, min = r.seqmin, max = r.seqmax, cache = r.seqcache,
                    cycle = bool(r.seqcycle), comment = r.comment, grants = split(r.grants) }
      if r.owned_deptype == "i" then
        identity_of[r.owned_table .. "\0" .. r.owned_column] = seq
      else
        if r.owned_table then seq.owned_by = r.owned_table .. "." .. r.owned_column end
        m.sequences[key] = seq
      end
    end
  end

  rows, err, code = nextq()
  if not rows then return nil, err, code end
  -- (one row per column of every relation, the longest loop here: what depends on the
  -- relation alone is looked up again only when the relation changes, and the rows come
  -- mostly grouped by relation)
  local last_rel, key, t, names
  for _, r in ipairs(rows) do
    local rel, name, grants = r.rel, r.name, r.grants
    if rel ~= last_rel then
      last_rel, key = rel, relname[rel]
      t = m.tables[key]
      names = colname[rel]
      if not names then names = {}; colname[rel] = names end
    end
    names[r.num] = name
    if t then
      local default, identity = r.default, r.identity
      local col = { name = name, type = r.type, notnull = r.notnull == "t", collation = r.collation,
                    comment = r.comment, grants = grants and split(grants) or EMPTY,
                    _inherited = r.islocal == "f" or nil, _order = tonumber(r.num),
                    storage = STORAGE[r.storage], compression = COMPRESSION[r.compression],
                    statistics = r.statistics, _type_storage = STORAGE[r.type_storage] }
      if default then
        if r.generated == "s" then col.generated = default else col.default = default end
      end
      if identity == "a" or identity == "d" then
        local seq = identity_of[key .. "\0" .. name] or {}
        col.identity = { always = identity == "a", sequence = seq.schema and (seq.schema .. "." .. seq.name),
                         start = seq.start, increment = seq.increment,
                         min = seq.min, max = seq.max, cache = seq.cache, cycle = seq.cycle }
      end
      t.columns[name] = col
    elseif m.views[key] then
      -- view columns are the view body's; only their comments are the user's own
      if r.comment then m.views[key].columns[name] = { name = name, comment = r.comment } end
    elseif composite_by_rel[rel] then
      -- likewise, a composite type's attributes carry only their comments here
      composite_by_rel[rel].columns[name] = { name = name, comment = r.comment }
    end
  end

  rows, err, code = nextq()
  if not rows then return nil, err, code end
  for _, r in ipairs(rows) do
    local c = { name = r.name, type = r.type, def = r.def, comment = r.comment,
                ref_table = r.ref_table }
    if r.rel then
      local t = m.tables[relname[r.rel]]
      if t then
        t.constraints[r.name] = c
        keys.pg_constraint[r.oid] = "constraint:" .. relname[r.rel] .. "." .. r.name
        if r.index_oid then keys.pg_class[r.index_oid] = "index:" .. t.schema .. "." .. r.name end
      end
    else
      local ty = type_by_oid[r.typ]
      if ty and ty.checks then
        ty.checks[r.name] = c
        keys.pg_constraint[r.oid] = keys.pg_type[r.typ]
      end
    end
  end

  rows, err, code = nextq()
  if not rows then return nil, err, code end
  for _, r in ipairs(rows) do
    keys.pg_class[r.oid] = "index:" .. r.schema .. "." .. r.name
    m.indexes[r.schema .. "." .. r.name] = { schema = r.schema, name = r.name, table = relname[r.rel],
                                             def = r.def, comment = r.comment }
  end

  rows, err, code = nextq()
  if not rows then return nil, err, code end
  for _, r in ipairs(rows) do
    local key = r.schema .. "." .. r.name .. "(" .. r.argtypes .. ")"
    keys.pg_proc[r.oid] = "function:" .. key
    m.functions[key] = { schema = r.schema, name = r.name, args = r.args,
                         kind = r.kind == "p" and "procedure" or r.kind == "a" and "aggregate" or "function", def = r.def,
                         result = r.result, language = r.language, comment = r.comment,
                         grants = split(r.grants) }
  end

  rows, err, code = nextq()
  if not rows then return nil, err, code end
  for _, r in ipairs(rows) do
    local owner = m.tables[relname[r.rel]] or m.views[relname[r.rel]]
    if owner then
      keys.pg_trigger[r.oid] = "trigger:" .. relname[r.rel] .. "." .. r.name
      owner.triggers[r.name] = { name = r.name, def = r.def, enabled = r.enabled, comment = r.comment }
    end
  end

  rows, err, code = nextq()
  if not rows then return nil, err, code end
  local cmds = { r = "SELECT", a = "INSERT", w = "UPDATE", d = "DELETE", ["*"] = "ALL" }
  for _, r in ipairs(rows) do
    local t = m.tables[relname[r.rel]]
    if t then
      keys.pg_policy[r.oid] = "policy:" .. relname[r.rel] .. "." .. r.name
      t.policies[r.name] = { name = r.name, command = cmds[r.cmd], permissive = bool(r.permissive),
                             roles = split(r.roles), using = r.qual, with_check = r.with_check,
                             comment = r.comment }
    end
  end

  m.event_triggers = {}
  rows, err, code = nextq()
  if not rows then return nil, err, code end
  for _, r in ipairs(rows) do
    if wanted_schema[r.func_schema] then
      keys.pg_event_trigger[r.oid] = "event_trigger:" .. r.name
      m.event_triggers[r.name] = { name = r.name, event = r.event, enabled = r.enabled, tags = split(r.tags),
                                   func = r.func, comment = r.comment }
    end
  end

  m.default_privileges = {}
  rows, err, code = nextq()
  if not rows then return nil, err, code end
  for _, r in ipairs(rows) do
    -- global entries are the database's, kept when the whole database is inspected
    if (r.schema and wanted_schema[r.schema]) or (not r.schema and not opts.schemas) then
      m.default_privileges[r.role .. "." .. (r.schema or "") .. "." .. r.objtype] = { role = r.role, schema = r.schema,
        objtype = r.objtype, grants = split(r.grants), _base = split(r.base) }
    end
  end

  rows, err, code = nextq()
  if not rows then return nil, err, code end
  local seen = {}
  local deps, class_keys = m.deps, keys.pg_class
  for _, r in ipairs(rows) do
    local class, obj, from = r.class, r.obj, nil
    if class == "pg_rewrite" then
      from = class_keys[obj]
    elseif class == "pg_attrdef" then
      local rel, names = relname[obj], colname[obj]
      local col = names and names[r.objcol]
      if rel and col then
        local c = m.tables[rel] and m.tables[rel].columns[col]
        from = (c and c.generated and "generated:" or "default:") .. rel .. "." .. col
      end
    else
      local k = keys[class]
      from = k and k[obj]
    end
    local refclass = r.refclass
    local k = from and keys[refclass]
    local to = k and k[r.ref]
    if to and from ~= to then
      local refcol, col = r.refcol, nil
      if refcol and refclass == "pg_class" then
        local names = colname[r.ref]
        col = names and names[refcol]
      end
      local auto = r.deptype == "a" or nil
      local id = from .. "\0" .. to .. "\0" .. (col or "") .. (auto and "\0a" or "")
      if not seen[id] then
        seen[id] = true
        deps[#deps + 1] = { from = from, to = to, col = col, auto = auto }
      end
    end
  end
  return m
end

--- inspect.inspect(conn [, opts]) -> model | nil, message, sqlstate
-- opts.schemas = { "public", ... } limits the inspection to those schemas.
function M.inspect(conn, opts)
  opts = opts or {}
  local m = model.new()
  local saved, err, code = exec(conn, "SELECT pg_catalog.current_setting('search_path') AS sp, "
    .. "pg_catalog.current_setting('server_version_num') AS v")
  if not saved then return nil, err, code end
  m.server_version = tonumber(saved[1].v)
  local set, serr, scode = exec(conn, "SELECT pg_catalog.set_config('search_path', '', false)")
  if not set then return nil, serr, scode end
  local relname = {}  -- relation oid -> qualified name
  local ok, res, rerr, rcode = pcall(function()
    local r, e, c = build(conn, opts, m, relname)
    return r, e, c
  end)
  -- results a failure left unread (a raised error half-way) are read and dropped first
  if not ok then pcall(function() while conn:next_result() do end end) end
  exec(conn, "SELECT pg_catalog.set_config('search_path', $1, false)", saved[1].sp)
  if not ok then error(res, 0) end
  if not res then return nil, rerr, rcode end
  model.normalise(m)
  return m
end

return M
