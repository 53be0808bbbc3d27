---@meta dbhost.yaml
-- What Lua sees of bindings/yaml.c: reading YAML (CloudFormation templates)
-- with libyaml and editing one scalar in place.
--
-- Values: mappings are tables with string keys, sequences arrays, every scalar
-- a string as written ("true", "42", "~"); a custom tag (!Ref, !Sub, ...)
-- gives { tag = "!Ref", value = v }; an alias is the anchored value itself.
-- Paths: "A.B.C" or { "A", "B.with.dots", 3 } (digits index a sequence from 1).
--
-- Errors: misuse raises (a value that is not UTF-8 too); operational failure
-- returns nil, message, code: "EYAML" ("FILE:LINE:COL: problem"), "ENOPATH",
-- "ENOTSCALAR", "ESTYLE" (set_scalar cannot rewrite it in place), "ENOMEM".

---@class dbhost.yaml
local yaml = {}

---@alias dbhost.yaml.path string|(string|integer)[]

---@class dbhost.yaml.loc
---@field start integer byte offset of the scalar's source (quotes included)
---@field stop integer inclusive end (start - 1 for an empty plain scalar)
---@field line integer
---@field col integer characters
---@field style "plain"|"single"|"double"|"literal"|"folded"
---@field value string
---@field tag? string
---@field anchor? string
---@field flow? boolean inside {..} or [..]

---@param text string
---@param filename? string named in messages
---@return any|nil value
---@return string? message
---@return string? code
function yaml.load(text, filename) end

--- Where the scalar at path is in the text.
---@param text string
---@param path dbhost.yaml.path
---@param filename? string
---@return dbhost.yaml.loc|nil loc
---@return string? message
---@return string? code
function yaml.locate(text, path, filename) end

--- The text with only that scalar's bytes replaced (style kept where it reads back the same).
---@param text string
---@param path dbhost.yaml.path
---@param value string
---@param filename? string
---@return string|nil newtext
---@return string? message
---@return string? code
function yaml.set_scalar(text, path, value, filename) end

return yaml
