--- dbhost.schema.render: a model as the SQL that recreates it.
--
--   local render = require "dbhost.schema.render"
--   io.write(render.sql(m))      -- statements in dependency order, Atlas's file format
--
-- The SQL is the plan from the state of a new database (which has the schema
-- "public") to the model, so creation order is the planner's.
local model = require "dbhost.schema.model"
local diff = require "dbhost.schema.diff"

local M = {}

--- render.baseline(m) -> the model of a new, empty database as far as m cares
function M.baseline(m)
  local base = model.new()
  local public = m.schemas and m.schemas.public
  if public then
    base.schemas.public = { name = "public", comment = public.comment, grants = public.grants }
  end
  return base
end

--- render.plan(m) -> plan | nil, message
function M.plan(m)
  return diff.plan(M.baseline(m), m)
end

--- render.sql(m) -> text | nil, message
function M.sql(m)
  local plan, err = M.plan(m)
  if not plan then return nil, err end
  return diff.render(plan)
end

return M
