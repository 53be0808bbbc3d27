--- dbhost.hcl: a pure-Lua reader for HCL native syntax, as used by atlas.hcl.
--
-- Two steps, like HCL itself:
--
--   hcl.parse(text, filename) -> body | nil, msg, "EHCL"
--     Syntax only. Expressions stay as AST nodes so that they can be evaluated
--     later, once variables are known. Messages read "file:line:col: what".
--
--   hcl.evaluate(body_or_block, ctx) -> tree | nil, msg, "EHCL"
--   hcl.eval_expr(expr, ctx)         -> value | nil, msg, "EHCL"
--     Evaluates every attribute. A tree is
--       { attrs = { name = value }, pos = { name = { line=, col= } },
--         blocks = { block_tree, ... }, file=, line=, col= }
--     and a block tree additionally has `type` and `labels = { "l1", ... }`.
--     An attribute whose value is null is left out of `attrs` (null = unset).
--
-- Values: strings, numbers, booleans, `hcl.null` (only inside lists and
-- objects), lists (Lua arrays with the metatable `hcl.List`; HCL index 0 is
-- Lua index 1) and objects (plain tables with string keys).
--
-- ctx (every field optional):
--   var, ["local"], data, atlas, each   values of the root names (tables)
--   variables = { name = value }        further root names
--   functions = { name = fn(args, ctx) -> value }  added to / overriding
--                                       hcl.functions; args is a list with args.n
--   getenv = fn(name) -> string|nil     used by getenv() (default os.getenv)
--   dir = "path"                        base directory for file() (default ".")
-- A root table may compute entries lazily with an __index metamethod; such a
-- resolver reports errors with hcl.raise(msg).
--
-- A bare identifier that is not a `ctx.variables` name evaluates to its own
-- name (`format = atlas` is "atlas", even though atlas.env exists), as Atlas
-- does for enum-like values; the namespaces are only used with a traversal.
-- Not supported: for expressions, splats, template directives (%{...}).
local M = {}

-- The deepest nesting of blocks, brackets, unary operators and templates the
-- parser accepts; deeper input gets "nesting too deep" instead of a C stack overflow.
M.MAX_DEPTH = 200

---------------------------------------------------------------------------
-- Values
---------------------------------------------------------------------------

local NULL = setmetatable({}, { __name = "hcl.null", __tostring = function() return "null" end })
M.null = NULL

local List = { __name = "hcl.list" }
M.List = List

--- hcl.list(t) -> t marked as a list
function M.list(t) return setmetatable(t or {}, List) end

--- hcl.is_list(v) -> true for lists (marked, or non-empty sequences)
local function is_list(v)
  if type(v) ~= "table" or v == NULL then return false end
  if getmetatable(v) == List then return true end
  return v[1] ~= nil
end
M.is_list = is_list

-- Errors raised inside evaluation carry the finished message; the public entry
-- points catch them and return nil, msg, code.
local HclError = { __name = "hcl.error" }
HclError.__tostring = function(e) return e.msg end

--- hcl.raise(msg, code): raise an evaluation error from a lazy resolver or function.
function M.raise(msg, code)
  error(setmetatable({ msg = msg, code = code or "EHCL" }, HclError), 0)
end

--- hcl.is_error(e) -> true for errors raised by hcl.raise
function M.is_error(e) return getmetatable(e) == HclError end

-- type_name(v) -> "string", "number", "bool", "null", "list", "object"
local function type_name(v)
  local t = type(v)
  if t == "boolean" then return "bool" end
  if v == NULL or v == nil then return "null" end
  if t == "table" then return is_list(v) and "list" or "object" end
  return t
end
M.type_name = type_name

-- number_string(n) -> the HCL spelling of a number ("3", "2.5")
local function number_string(n)
  if math.type(n) == "integer" then return tostring(n) end
  if n == math.floor(n) and math.abs(n) < 2 ^ 53 then return string.format("%d", n) end
  local s = string.format("%.15g", n)
  if tonumber(s) ~= n then s = string.format("%.17g", n) end
  return s
end

---------------------------------------------------------------------------
-- Source positions
---------------------------------------------------------------------------

-- A source is { text=, file=, starts = {line start offsets} (built on demand) }.
local function where(src, pos)
  local starts = src.starts
  if not starts then
    starts = { 1 }
    local text, i = src.text, 1
    while true do
      local nl = text:find("\n", i, true)
      if not nl then break end
      starts[#starts + 1] = nl + 1
      i = nl + 1
    end
    src.starts = starts
  end
  local lo, hi = 1, #starts
  while lo < hi do  -- the last line start <= pos
    local mid = (lo + hi + 1) // 2
    if starts[mid] <= pos then lo = mid else hi = mid - 1 end
  end
  -- Columns count characters: UTF-8 continuation bytes do not start one.
  local prefix = src.text:sub(starts[lo], pos - 1)
  local _, cont = prefix:gsub("[\128-\191]", "")
  return lo, #prefix - cont + 1
end

local function fail_at(src, pos, fmt, ...)
  local line, col = where(src, pos)
  local msg = select("#", ...) > 0 and fmt:format(...) or fmt
  M.raise(string.format("%s:%d:%d: %s", src.file, line, col, msg))
end

---------------------------------------------------------------------------
-- Lexer: on demand, one token of lookahead (templates read characters directly)
---------------------------------------------------------------------------

local PUNCT3 = { ["..."] = true }
local PUNCT2 = {
  ["=="] = true, ["!="] = true, ["<="] = true, [">="] = true, ["&&"] = true,
  ["||"] = true, ["=>"] = true,
}
local PUNCT1 = {
  ["{"] = true, ["}"] = true, ["["] = true, ["]"] = true, ["("] = true, [")"] = true,
  ["="] = true, [":"] = true, [","] = true, ["."] = true, ["?"] = true, ["!"] = true,
  ["+"] = true, ["-"] = true, ["*"] = true, ["/"] = true, ["%"] = true, ["<"] = true,
  [">"] = true, ["~"] = true,
}

-- scan(P) -> token { t = kind, v = value, s = start offset }; kinds are
-- "ident", "number", "oquote", "heredoc", "nl", "eof" or the punctuation itself.
local function scan(P)
  local text, pos = P.text, P.pos
  while true do
    local _, e = text:find("^[ \t\r]+", pos)
    if e then pos = e + 1 end
    local c = text:sub(pos, pos)
    if c == "#" or (c == "/" and text:sub(pos + 1, pos + 1) == "/") then
      local nl = text:find("\n", pos, true)
      pos = nl or (#text + 1)
    elseif c == "/" and text:sub(pos + 1, pos + 1) == "*" then
      local _, ce = text:find("*/", pos + 2, true)
      if not ce then fail_at(P.src, pos, "unterminated comment (missing \"*/\")") end
      pos = ce + 1
    else
      break
    end
  end
  local start = pos
  local c = text:sub(pos, pos)
  if c == "" then
    P.pos = pos
    return { t = "eof", s = pos }
  elseif c == "\n" then
    P.pos = pos + 1
    return { t = "nl", s = start }
  elseif c == '"' then
    P.pos = pos + 1
    return { t = "oquote", s = start }
  end
  local id = text:match("^[%a_\128-\255][%w_%-\128-\255]*", pos)
  if id then
    P.pos = pos + #id
    return { t = "ident", v = id, s = start }
  end
  local num = text:match("^%d+", pos)
  if num then
    local frac = text:match("^%.%d+", pos + #num)
    if frac then num = num .. frac end
    local exp = text:match("^[eE][+-]?%d+", pos + #num)
    if exp then num = num .. exp end
    P.pos = pos + #num
    return { t = "number", v = tonumber(num), s = start }
  end
  if text:sub(pos, pos + 1) == "<<" then
    local flush, marker = text:match("^<<(%-?)([%a_][%w_%-]*)", pos)
    if marker then
      local after = pos + 2 + #flush + #marker
      local _, nle = text:find("^\r?\n", after)
      if not nle then
        fail_at(P.src, after, "heredoc marker \"%s\" must be followed by a newline", marker)
      end
      P.pos = nle + 1
      return { t = "heredoc", v = marker, flush = flush == "-", s = start }
    end
  end
  local three, two = text:sub(pos, pos + 2), text:sub(pos, pos + 1)
  if PUNCT3[three] then
    P.pos = pos + 3
    return { t = three, s = start }
  elseif PUNCT2[two] then
    P.pos = pos + 2
    return { t = two, s = start }
  elseif PUNCT1[c] then
    P.pos = pos + 1
    return { t = c, s = start }
  end
  local b = c:byte()
  local shown = (b >= 32 and b < 127) and c or string.format("\\x%02x", b)
  fail_at(P.src, pos, "unexpected character \"%s\"", shown)
end

-- Newlines separate attributes and object items but mean nothing inside
-- (), [] and ${}: a stack of modes decides whether peek() shows them. A newline
-- skipped in an insignificant stretch is remembered on the token after it
-- (nl_before), so that a caller back in a significant mode still sees it.
local function peek(P)
  local tok = P.tok
  if not tok then
    tok = scan(P)
    P.tok = tok
  end
  if P.newlines[#P.newlines] then
    if tok.nl_before then return { t = "nl", s = tok.nl_before, pending = true } end
    return tok
  end
  while tok.t == "nl" do
    local nl_at = tok.nl_before or tok.s
    tok = scan(P)
    tok.nl_before = nl_at
    P.tok = tok
  end
  return tok
end

local function next_token(P)
  local tok = peek(P)
  if tok.pending then
    P.tok.nl_before = nil  -- the remembered newline is consumed; the token stays
  else
    P.tok = nil
  end
  return tok
end

local function push_newlines(P, significant)
  P.newlines[#P.newlines + 1] = significant
end

local function pop_newlines(P)
  P.newlines[#P.newlines] = nil
end

local function describe(tok)
  local t = tok.t
  if t == "ident" then return string.format("%q", tok.v) end
  if t == "number" then return string.format("\"%s\"", number_string(tok.v)) end
  if t == "oquote" then return "a string" end
  if t == "heredoc" then return "a heredoc" end
  if t == "nl" then return "newline" end
  if t == "eof" then return "end of file" end
  return string.format("\"%s\"", t)
end

local function expected(P, tok, what, ...)
  local msg = select("#", ...) > 0 and what:format(...) or what
  fail_at(P.src, tok.s, "expected %s, found %s", msg, describe(tok))
end

local function enter(P, pos)
  P.depth = P.depth + 1
  if P.depth > M.MAX_DEPTH then
    fail_at(P.src, pos, "nesting too deep (more than %d levels)", M.MAX_DEPTH)
  end
end

local function leave(P) P.depth = P.depth - 1 end

---------------------------------------------------------------------------
-- Templates: quoted strings and heredocs
---------------------------------------------------------------------------

local parse_expr  -- forward

local ESCAPES = { n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\" }

-- interpolation(P, parts, at): parse "${ expr }" starting at offset `at` (the "$").
local function interpolation(P, parts, at)
  local text = P.text
  local pos = at + 2
  local strip_before = text:sub(pos, pos) == "~"
  if strip_before then pos = pos + 1 end
  P.pos, P.tok = pos, nil
  enter(P, at)
  push_newlines(P, false)
  local tok = peek(P)
  if tok.t == "}" then
    fail_at(P.src, tok.s, "empty interpolation: expected an expression after \"${\"")
  end
  local expr = parse_expr(P)
  local strip_after = false
  tok = peek(P)
  if tok.t == "~" then
    next_token(P)
    strip_after = true
    tok = peek(P)
  end
  if tok.t ~= "}" then
    local l, c = where(P.src, at)
    expected(P, tok, "\"}\" to close the interpolation opened at %d:%d", l, c)
  end
  -- Consume the "}" without scanning further: the template continues at P.pos.
  P.tok = nil
  pop_newlines(P)
  leave(P)
  parts[#parts + 1] = { k = "interp", x = expr, strip_before = strip_before,
                        strip_after = strip_after, s = at, src = P.src }
  return P.pos
end

-- Literal text and interpolations of one template, joined with strip markers applied.
local function finish_template(parts, src, start)
  -- Apply "~" strip markers to the neighbouring literals.
  for i, p in ipairs(parts) do
    if type(p) == "table" then
      if p.strip_before and type(parts[i - 1]) == "string" then
        parts[i - 1] = parts[i - 1]:gsub("%s+$", "")
      end
      if p.strip_after and type(parts[i + 1]) == "string" then
        parts[i + 1] = parts[i + 1]:gsub("^%s+", "")
      end
    end
  end
  local merged = {}
  for _, p in ipairs(parts) do
    if type(p) == "string" then
      if p ~= "" then
        if type(merged[#merged]) == "string" then
          merged[#merged] = merged[#merged] .. p
        else
          merged[#merged + 1] = p
        end
      end
    else
      merged[#merged + 1] = p
    end
  end
  if #merged == 0 then return { k = "str", v = "", s = start, src = src } end
  if #merged == 1 and type(merged[1]) == "string" then
    return { k = "str", v = merged[1], s = start, src = src }
  end
  -- "${x}" alone keeps the value's type, as in HCL.
  return { k = "tmpl", parts = merged, s = start, src = src }
end

-- template_special(P, parts, buf, pos) handles "$" and "%" at pos; returns the new pos.
local function template_special(P, parts, buf, pos)
  local text = P.text
  local c, n1, n2 = text:sub(pos, pos), text:sub(pos + 1, pos + 1), text:sub(pos + 2, pos + 2)
  if n1 == c and n2 == "{" then  -- "$${" and "%%{" are literal "${" and "%{"
    buf[#buf + 1] = c .. "{"
    return pos + 3
  elseif n1 == "{" then
    if c == "%" then
      fail_at(P.src, pos, "template directives (%{ ... }) are not supported; write %%{ for a literal %{")
    end
    parts[#parts + 1] = table.concat(buf)
    for i = #buf, 1, -1 do buf[i] = nil end
    return interpolation(P, parts, pos)
  end
  buf[#buf + 1] = c
  return pos + 1
end

-- quoted_template(P, open) -> node: the opening quote was at `open`; P.pos follows it.
local function quoted_template(P, open)
  local text, pos = P.text, P.pos
  local parts, buf = {}, {}
  enter(P, open)
  while true do
    local run = text:match('^[^"\\$%%\n]+', pos)
    if run then
      buf[#buf + 1] = run
      pos = pos + #run
    end
    local c = text:sub(pos, pos)
    if c == '"' then
      pos = pos + 1
      break
    elseif c == "" or c == "\n" then
      fail_at(P.src, open, "unterminated string (a quoted string ends on the line it starts; use a heredoc for more lines)")
    elseif c == "\\" then
      local e = text:sub(pos + 1, pos + 1)
      if ESCAPES[e] then
        buf[#buf + 1] = ESCAPES[e]
        pos = pos + 2
      elseif e == "u" or e == "U" then
        local hex = text:match(e == "u" and "^%x%x%x%x" or "^%x%x%x%x%x%x%x%x", pos + 2)
        local cp = hex and tonumber(hex, 16)
        if not cp or cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) then
          fail_at(P.src, pos, "invalid unicode escape \"\\%s\"", e)
        end
        buf[#buf + 1] = utf8.char(cp)
        pos = pos + 2 + #hex
      else
        local shown = e:match("^[%g]$") and e or "?"
        fail_at(P.src, pos, "invalid escape sequence \"\\%s\"", shown)
      end
    else  -- "$" or "%"
      pos = template_special(P, parts, buf, pos)
    end
  end
  leave(P)
  parts[#parts + 1] = table.concat(buf)
  P.pos, P.tok = pos, nil
  return finish_template(parts, P.src, open)
end

-- strip_indent(lines): the "<<-" form removes the common leading spaces/tabs.
local function strip_indent(lines)
  local min
  for _, line in ipairs(lines) do
    local first = line[1]
    local indent
    if type(first) == "string" then
      local ws = first:match("^[ \t]*")
      local blank = #line == 1 and first:match("^[ \t]*\r?\n?$")
      if not blank then indent = #ws end
    elseif first then
      indent = 0
    end
    if indent and (not min or indent < min) then min = indent end
  end
  if not min or min == 0 then return end
  for _, line in ipairs(lines) do
    if type(line[1]) == "string" then
      local ws = #line[1]:match("^[ \t]*")
      line[1] = line[1]:sub(math.min(ws, min) + 1)
    end
  end
end

-- heredoc_template(P, tok) -> node: P.pos is at the start of the first content line.
local function heredoc_template(P, tok)
  local text, pos = P.text, P.pos
  local marker = tok.v
  local end_pat = "^[ \t]*" .. marker:gsub("%-", "%%-") .. "[ \t\r]*()"
  local lines = {}
  enter(P, tok.s)
  while true do
    -- At a line start: the closing marker?
    local after = text:match(end_pat, pos)
    if after and (text:sub(after, after) == "\n" or after > #text) then
      pos = after  -- the newline after the marker ends the attribute
      break
    end
    if pos > #text then
      fail_at(P.src, tok.s, "unterminated heredoc: no line \"%s\" closes it", marker)
    end
    local parts, buf = {}, {}
    while true do  -- one line, up to and including its newline
      local run = text:match("^[^$%%\n]+", pos)
      if run then
        buf[#buf + 1] = run
        pos = pos + #run
      end
      local c = text:sub(pos, pos)
      if c == "\n" then
        buf[#buf + 1] = "\n"
        pos = pos + 1
        break
      elseif c == "" then
        break
      else
        pos = template_special(P, parts, buf, pos)
      end
    end
    parts[#parts + 1] = table.concat(buf)
    lines[#lines + 1] = parts
  end
  leave(P)
  if tok.flush then strip_indent(lines) end
  local all = {}
  for _, line in ipairs(lines) do
    for _, p in ipairs(line) do all[#all + 1] = p end
  end
  P.pos, P.tok = pos, nil
  return finish_template(all, P.src, tok.s)
end

---------------------------------------------------------------------------
-- Expressions
---------------------------------------------------------------------------
-- Expression nodes are tables { k = kind, s = byte offset, src = source, ... }:
--   num { v }  bool { v }  null {}  str { v }     literals
--   tmpl { parts = { "text" | interp { x = node }, ... } }   "a${x}b", heredocs
--   var { name }                 a bare name: a root (var, local, ...) or a word
--   attr { obj, name }           obj.name
--   index { obj, key }           obj[key] (and the legacy obj.0)
--   call { name, args, expand }  name(args...) (expand: the last arg ends with ...)
--   list { items }  object { items = { {key=, value=}, ... } }  paren { x }
--   unop { op, x }  binop { op, l, r }  cond { c, t, f }
-- Evaluation (below) dispatches on k; positions come from s through where().

-- Binary operators by precedence level (1 binds loosest).
local LEVELS = {
  { ["||"] = true },
  { ["&&"] = true },
  { ["=="] = true, ["!="] = true },
  { ["<"] = true, [">"] = true, ["<="] = true, [">="] = true },
  { ["+"] = true, ["-"] = true },
  { ["*"] = true, ["/"] = true, ["%"] = true },
}

local parse_unary

local function parse_binary(P, level)
  if level > #LEVELS then return parse_unary(P) end
  local left = parse_binary(P, level + 1)
  local ops = LEVELS[level]
  while true do
    local tok = peek(P)
    if not ops[tok.t] then return left end
    next_token(P)
    local right = parse_binary(P, level + 1)
    left = { k = "binop", op = tok.t, l = left, r = right, s = tok.s, src = P.src }
  end
end

-- parse_expr(P) -> node: Expression = Binary ["?" Expression ":" Expression]
parse_expr = function(P)
  local start = peek(P)
  enter(P, start.s)
  local cond = parse_binary(P, 1)
  local tok = peek(P)
  if tok.t == "?" then
    next_token(P)
    local yes = parse_expr(P)
    local colon = peek(P)
    if colon.t ~= ":" then expected(P, colon, "\":\" in the conditional expression") end
    next_token(P)
    local no = parse_expr(P)
    cond = { k = "cond", c = cond, t = yes, f = no, s = tok.s, src = P.src }
  end
  leave(P)
  return cond
end

local parse_postfix

parse_unary = function(P)
  local tok = peek(P)
  if tok.t == "!" or tok.t == "-" then
    next_token(P)
    enter(P, tok.s)
    local x = parse_unary(P)
    leave(P)
    return { k = "unop", op = tok.t, x = x, s = tok.s, src = P.src }
  end
  return parse_postfix(P)
end

-- Comma-separated items up to `close`; newlines inside are insignificant.
local function parse_list(P, open)
  local items = {}
  while true do
    local tok = peek(P)
    if tok.t == "]" then break end
    if tok.t == "ident" and tok.v == "for" and #items == 0 then
      fail_at(P.src, tok.s, "for expressions are not supported")
    end
    items[#items + 1] = parse_expr(P)
    tok = peek(P)
    if tok.t == "," then
      next_token(P)
    elseif tok.t ~= "]" then
      expected(P, tok, "\",\" or \"]\" in the list opened at %d:%d", where(P.src, open.s))
    end
  end
  next_token(P)
  return { k = "list", items = items, s = open.s, src = P.src }
end

-- Object constructor: items "key = value" or "key: value", separated by
-- commas or newlines.
local function parse_object(P, open)
  local items = {}
  local seen = {}
  while true do
    local tok = peek(P)
    while tok.t == "nl" do
      next_token(P)
      tok = peek(P)
    end
    if tok.t == "}" then break end
    if tok.t == "ident" and tok.v == "for" and #items == 0 then
      fail_at(P.src, tok.s, "for expressions are not supported")
    end
    push_newlines(P, false)
    local key = parse_expr(P)
    pop_newlines(P)
    if key.k == "var" then  -- a bare name is the key itself
      key = { k = "str", v = key.name, s = key.s, src = P.src }
    end
    if key.k == "str" then
      if seen[key.v] then
        fail_at(P.src, key.s, "duplicate object key \"%s\"", key.v)
      end
      seen[key.v] = true
    end
    tok = peek(P)
    if tok.t ~= "=" and tok.t ~= ":" then
      expected(P, tok, "\"=\" or \":\" after the object key")
    end
    next_token(P)
    push_newlines(P, false)
    local value = parse_expr(P)
    pop_newlines(P)
    items[#items + 1] = { key = key, value = value }
    tok = peek(P)
    if tok.t == "," or tok.t == "nl" then
      next_token(P)
    elseif tok.t ~= "}" then
      expected(P, tok, "\",\", newline or \"}\" after the object item")
    end
  end
  next_token(P)
  return { k = "object", items = items, s = open.s, src = P.src }
end

local function parse_call(P, name_tok)
  local args, expand = {}, false
  while true do
    local tok = peek(P)
    if tok.t == ")" then break end
    args[#args + 1] = parse_expr(P)
    tok = peek(P)
    if tok.t == "..." then
      next_token(P)
      expand = true
      tok = peek(P)
      if tok.t ~= ")" then expected(P, tok, "\")\" after \"...\"") end
    elseif tok.t == "," then
      next_token(P)
    elseif tok.t ~= ")" then
      expected(P, tok, "\",\" or \")\" in the call to %s()", name_tok.v)
    end
  end
  next_token(P)
  return { k = "call", name = name_tok.v, args = args, expand = expand, s = name_tok.s, src = P.src }
end

local function parse_primary(P)
  local tok = next_token(P)
  local t = tok.t
  if t == "number" then
    return { k = "num", v = tok.v, s = tok.s, src = P.src }
  elseif t == "oquote" then
    return quoted_template(P, tok.s)
  elseif t == "heredoc" then
    return heredoc_template(P, tok)
  elseif t == "ident" then
    local v = tok.v
    if v == "true" or v == "false" then
      return { k = "bool", v = v == "true", s = tok.s, src = P.src }
    elseif v == "null" then
      return { k = "null", s = tok.s, src = P.src }
    end
    -- A call needs "(" right after the name.
    if peek(P).t == "(" then
      next_token(P)
      push_newlines(P, false)
      local node = parse_call(P, tok)
      pop_newlines(P)
      return node
    end
    return { k = "var", name = v, s = tok.s, src = P.src }
  elseif t == "(" then
    push_newlines(P, false)
    local x = parse_expr(P)
    local close = peek(P)
    if close.t ~= ")" then expected(P, close, "\")\"") end
    next_token(P)
    pop_newlines(P)
    return { k = "paren", x = x, s = tok.s, src = P.src }
  elseif t == "[" then
    push_newlines(P, false)
    local node = parse_list(P, tok)
    pop_newlines(P)
    return node
  elseif t == "{" then
    push_newlines(P, true)
    local node = parse_object(P, tok)
    pop_newlines(P)
    return node
  end
  expected(P, tok, "an expression")
end

-- Traversals: .name, .0 (legacy index), [expr]
parse_postfix = function(P)
  local node = parse_primary(P)
  while true do
    local tok = peek(P)
    if tok.t == "." then
      next_token(P)
      local name = next_token(P)
      if name.t == "ident" then
        node = { k = "attr", obj = node, name = name.v, s = name.s, src = P.src }
      elseif name.t == "number" and math.type(name.v) == "integer" then
        node = { k = "index", obj = node, key = { k = "num", v = name.v, s = name.s, src = P.src },
                 s = name.s, src = P.src }
      elseif name.t == "*" then
        fail_at(P.src, name.s, "splat expressions (.*) are not supported")
      else
        expected(P, name, "an attribute name after \".\"")
      end
    elseif tok.t == "[" then
      next_token(P)
      push_newlines(P, false)
      local first = peek(P)
      if first.t == "*" then
        fail_at(P.src, first.s, "splat expressions ([*]) are not supported")
      end
      local key = parse_expr(P)
      local close = peek(P)
      if close.t ~= "]" then expected(P, close, "\"]\" to close the index") end
      next_token(P)
      pop_newlines(P)
      node = { k = "index", obj = node, key = key, s = tok.s, src = P.src }
    else
      return node
    end
  end
end

---------------------------------------------------------------------------
-- Bodies: attributes and blocks
---------------------------------------------------------------------------

-- parse_body(P, open_tok, block_name) -> body; stops at "}" (inside a block) or eof.
local function parse_body(P, open, block_name)
  local body = { k = "body", attrs = {}, blocks = {}, by_name = {}, src = P.src, file = P.src.file }
  while true do
    local tok = next_token(P)
    while tok.t == "nl" do tok = next_token(P) end
    if tok.t == "eof" then
      if open then
        local l, c = where(P.src, open.s)
        fail_at(P.src, tok.s, "expected \"}\" to close block \"%s\" opened at %d:%d, found end of file",
                block_name, l, c)
      end
      return body
    elseif tok.t == "}" then
      if not open then fail_at(P.src, tok.s, "unexpected \"}\" (no block is open)") end
      return body
    elseif tok.t ~= "ident" then
      expected(P, tok, "an attribute name or block type")
    end
    local name = tok.v
    local nxt = peek(P)
    if nxt.t == "=" then
      next_token(P)
      local first = body.by_name[name]
      if first then
        local l = where(P.src, first.s)
        fail_at(P.src, tok.s, "duplicate attribute \"%s\" (first set on line %d)", name, l)
      end
      local value = parse_expr(P)
      local attr = { name = name, expr = value, s = tok.s }
      body.attrs[#body.attrs + 1] = attr
      body.by_name[name] = attr
      local after = peek(P)
      if after.t == "nl" then
        next_token(P)
      elseif after.t ~= "eof" and not (after.t == "}" and open) then
        expected(P, after, "newline after the value of \"%s\"", name)
      end
    else
      local labels, label_pos = {}, {}
      while nxt.t == "oquote" do
        next_token(P)
        local lab = quoted_template(P, nxt.s)
        if lab.k ~= "str" then
          fail_at(P.src, nxt.s, "block labels cannot contain interpolation")
        end
        labels[#labels + 1] = lab.v
        label_pos[#label_pos + 1] = nxt.s
        nxt = peek(P)
      end
      if nxt.t ~= "{" then
        if #labels == 0 then
          expected(P, nxt, "\"=\" or \"{\" after \"%s\"", name)
        end
        if #labels == 1 and (nxt.t == "nl" or nxt.t == "eof") then
          expected(P, nxt, "\"{\" after the labels of block \"%s\" (for an attribute, write %s = \"...\")",
                   name, name)
        end
        expected(P, nxt, "\"{\" after the labels of block \"%s\"", name)
      end
      next_token(P)
      enter(P, tok.s)
      push_newlines(P, true)
      local inner = parse_body(P, tok, name)
      pop_newlines(P)
      leave(P)
      body.blocks[#body.blocks + 1] = {
        type = name, labels = labels, label_pos = label_pos, body = inner, s = tok.s, src = P.src,
      }
      local after = peek(P)
      if after.t == "nl" then
        next_token(P)
      elseif after.t ~= "eof" and not (after.t == "}" and open) then
        expected(P, after, "newline after the block \"%s\"", name)
      end
    end
  end
end

--- hcl.parse(text, filename) -> body | nil, msg, "EHCL"
-- body = { attrs = { {name=, expr=, s=} ... }, by_name = {name -> attr},
--          blocks = { {type=, labels=, body=, s=} ... }, file=, src= }
-- (s fields are byte offsets; hcl.position(node) turns them into line, col).
function M.parse(text, filename)
  if type(text) ~= "string" then error("hcl.parse: text must be a string", 2) end
  filename = filename or "<input>"
  if text:sub(1, 3) == "\239\187\191" then text = text:sub(4) end  -- UTF-8 BOM
  local src = { text = text, file = filename }
  local P = { text = text, pos = 1, src = src, tok = nil, newlines = { true }, depth = 0 }
  local ok, res = pcall(parse_body, P, nil, nil)
  if ok then return res end
  if M.is_error(res) then return nil, res.msg, res.code end
  -- Anything else is a bug in this parser: raise it (the fuzzer looks for these).
  local line, col = where(src, math.min(P.pos, #text + 1))
  error(string.format("hcl.parse: internal error at %s:%d:%d: %s", filename, line, col, tostring(res)), 0)
end

--- hcl.position(node) -> line, col of a parsed node, attribute or block
function M.position(node)
  return where(node.src or node.expr.src, node.s)
end

---------------------------------------------------------------------------
-- Evaluation
---------------------------------------------------------------------------

local ROOT_FIELDS = { "var", "local", "data", "atlas", "each" }

local IS_ROOT_FIELD = {}
for _, name in ipairs(ROOT_FIELDS) do IS_ROOT_FIELD[name] = true end

-- root_value(ctx, name) -> the value of a root name, or nil when unknown
local function root_value(ctx, name)
  if IS_ROOT_FIELD[name] and ctx[name] ~= nil then return ctx[name] end
  local vars = ctx.variables
  if vars then return vars[name] end
  return nil
end

local function deep_equal(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" or a == NULL or b == NULL then return false end
  if is_list(a) ~= is_list(b) then return false end
  for k, v in pairs(a) do
    if not deep_equal(v, b[k]) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end
M.deep_equal = deep_equal

local eval

local function fail_node(node, fmt, ...)
  fail_at(node.src, node.s, fmt, ...)
end

-- to_string(v, node, what) -> v converted to a string as HCL does, or an error.
local function to_string(v, node, what)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return number_string(v) end
  if t == "boolean" then return v and "true" or "false" end
  fail_node(node, "%s must be a string, got %s", what, type_name(v))
end

local function to_number(v, node, what)
  if type(v) == "number" then return v end
  if type(v) == "string" then
    local n = tonumber(v)
    if n then return n end
  end
  fail_node(node, "%s must be a number, got %s", what, type_name(v))
end

local function to_bool(v, node, what)
  if type(v) == "boolean" then return v end
  if v == "true" then return true end
  if v == "false" then return false end
  fail_node(node, "%s must be a bool, got %s", what, type_name(v))
end

-- path_of(node) -> "var.x.y" for a traversal made of names, or nil
local function path_of(node)
  if node.k == "var" then return node.name end
  if node.k == "attr" then
    local base = path_of(node.obj)
    return base and (base .. "." .. node.name)
  end
  if node.k == "index" and node.key.k == "num" then
    local base = path_of(node.obj)
    return base and (base .. "[" .. number_string(node.key.v) .. "]")
  end
  return nil
end

-- root_of(node) -> the var node at the start of a traversal
local function root_of(node)
  while node.k == "attr" or node.k == "index" do node = node.obj end
  return node
end

local function lookup(obj, key, node, ctx)
  if obj == nil or obj == NULL then
    fail_node(root_of(node), "cannot read \"%s\" of null (%s)", tostring(key), path_of(node.obj) or "value")
  end
  if type(obj) ~= "table" then
    fail_node(root_of(node), "cannot read \"%s\" of a %s (%s)", tostring(key), type_name(obj),
              path_of(node.obj) or "value")
  end
  local v
  if type(key) == "number" then
    if not is_list(obj) then
      fail_node(node, "cannot index an object with a number")
    end
    if key ~= math.floor(key) or key < 0 or key >= #obj then
      fail_node(node, "index %s out of range for a list of %d elements", number_string(key), #obj)
    end
    v = obj[math.tointeger(key) + 1]
  else
    v = obj[key]
  end
  if v == nil then
    local path = path_of(node)
    if path then
      local root = root_of(node)
      if root_value(ctx, root.name) ~= nil and root.name ~= "each" and root.name ~= "atlas" then
        fail_node(root, "unknown variable \"%s\"", path)
      end
      fail_node(root, "unsupported attribute \"%s\" (%s)", tostring(key), path)
    end
    fail_node(node, "no element \"%s\"", tostring(key))
  end
  return v
end

local function call_function(node, ctx)
  local name = node.name
  if name == "try" then  -- lazy: the first argument that evaluates without error
    for _, a in ipairs(node.args) do
      local ok, v = pcall(eval, a, ctx)
      if ok then return v end
      if not M.is_error(v) then error(v, 0) end
    end
    fail_node(node, "try(): no argument could be evaluated")
  end
  local fn = (ctx.functions and ctx.functions[name]) or M.functions[name]
  if not fn then fail_node(node, "call to unknown function \"%s\"", name) end
  local args = { n = 0 }
  for i, a in ipairs(node.args) do
    local v = eval(a, ctx)
    if node.expand and i == #node.args then
      if not is_list(v) and not (type(v) == "table" and next(v) == nil) then
        fail_node(a, "the argument before \"...\" must be a list, got %s", type_name(v))
      end
      for _, item in ipairs(v) do
        args.n = args.n + 1
        args[args.n] = item
      end
    else
      args.n = args.n + 1
      args[args.n] = v
    end
  end
  local ok, res = pcall(fn, args, ctx)
  if not ok then
    if M.is_error(res) then error(res, 0) end
    local msg = tostring(res):gsub("^[^:\n]*:%d+: ", "")
    fail_node(node, "%s(): %s", name, msg)
  end
  if res == nil then return NULL end
  return res
end

local ARITH = {
  ["+"] = function(a, b) return a + b end,
  ["-"] = function(a, b) return a - b end,
  ["*"] = function(a, b) return a * b end,
}

local function eval_binop(node, ctx)
  local op = node.op
  if op == "&&" or op == "||" then
    local l = to_bool(eval(node.l, ctx), node.l, "the left operand of " .. op)
    if op == "&&" and not l then return false end
    if op == "||" and l then return true end
    return to_bool(eval(node.r, ctx), node.r, "the right operand of " .. op)
  end
  local l, r = eval(node.l, ctx), eval(node.r, ctx)
  if op == "==" then return deep_equal(l, r) end
  if op == "!=" then return not deep_equal(l, r) end
  local a = to_number(l, node.l, "the left operand of " .. op)
  local b = to_number(r, node.r, "the right operand of " .. op)
  if ARITH[op] then return ARITH[op](a, b) end
  if op == "/" then
    if b == 0 then fail_node(node, "division by zero") end
    local q = a / b
    if math.type(a) == "integer" and math.type(b) == "integer" and a % b == 0 then q = a // b end
    return q
  end
  if op == "%" then
    if b == 0 then fail_node(node, "modulo by zero") end
    return math.fmod(a, b)
  end
  if op == "<" then return a < b end
  if op == ">" then return a > b end
  if op == "<=" then return a <= b end
  if op == ">=" then return a >= b end
  fail_node(node, "unknown operator %s", op)
end

local EVAL = {
  num = function(node) return node.v end,
  bool = function(node) return node.v end,
  null = function() return NULL end,
  str = function(node) return node.v end,
  paren = function(node, ctx) return eval(node.x, ctx) end,
  tmpl = function(node, ctx)
    local parts = node.parts
    if #parts == 1 then return eval(parts[1].x, ctx) end  -- "${x}" keeps x's type
    local out = {}
    for i, p in ipairs(parts) do
      if type(p) == "string" then
        out[i] = p
      else
        local v = eval(p.x, ctx)
        if v == NULL then fail_node(p, "cannot interpolate null") end
        if type(v) == "table" then
          fail_node(p, "cannot interpolate a %s into a string", type_name(v))
        end
        out[i] = to_string(v, p, "interpolated value")
      end
    end
    return table.concat(out)
  end,
  var = function(node, ctx)
    -- The namespaces (var, local, data, atlas, each) are only reached through
    -- traversals; alone, they are enum-like words like any other unknown
    -- bare identifier (format = atlas).
    if IS_ROOT_FIELD[node.name] then return node.name end
    local v = root_value(ctx, node.name)
    if v ~= nil then return v end
    return node.name
  end,
  attr = function(node, ctx)
    local root = root_of(node)
    local base
    if node.obj == root then
      base = root_value(ctx, root.name)
      if base == nil then fail_node(root, "unknown variable \"%s\"", path_of(node) or root.name) end
    else
      base = eval(node.obj, ctx)
    end
    return lookup(base, node.name, node, ctx)
  end,
  index = function(node, ctx)
    local base
    if node.obj.k == "var" then  -- name[key]: the name must be a root
      base = root_value(ctx, node.obj.name)
      if base == nil then fail_node(node.obj, "unknown variable \"%s\"", node.obj.name) end
    else
      base = eval(node.obj, ctx)
    end
    local key = eval(node.key, ctx)
    if type(key) == "string" and is_list(base) then
      key = to_number(key, node.key, "a list index")
    elseif type(key) ~= "string" and type(key) ~= "number" then
      fail_node(node.key, "an index must be a string or number, got %s", type_name(key))
    end
    return lookup(base, key, node, ctx)
  end,
  call = call_function,
  list = function(node, ctx)
    local out = M.list()
    for i, item in ipairs(node.items) do out[i] = eval(item, ctx) end
    return out
  end,
  object = function(node, ctx)
    local out = {}
    for _, item in ipairs(node.items) do
      local key = to_string(eval(item.key, ctx), item.key, "an object key")
      if out[key] ~= nil then fail_node(item.key, "duplicate object key \"%s\"", key) end
      out[key] = eval(item.value, ctx)
    end
    return out
  end,
  unop = function(node, ctx)
    local v = eval(node.x, ctx)
    if node.op == "!" then return not to_bool(v, node.x, "the operand of !") end
    return -to_number(v, node.x, "the operand of -")
  end,
  binop = eval_binop,
  cond = function(node, ctx)
    local c = to_bool(eval(node.c, ctx), node.c, "the condition")
    if c then return eval(node.t, ctx) end
    return eval(node.f, ctx)
  end,
}

eval = function(node, ctx)
  return EVAL[node.k](node, ctx)
end

local function protect(fn, ...)
  local ok, res = pcall(fn, ...)
  if ok then return res end
  if M.is_error(res) then return nil, res.msg, res.code end
  return nil, tostring(res), "EHCL"
end

--- hcl.eval_expr(expr, ctx) -> value | nil, msg, "EHCL"   (null is hcl.null)
function M.eval_expr(expr, ctx)
  return protect(eval, expr, ctx or {})
end

--- hcl.value(expr, ctx) -> value, raising on error (for lazy resolvers and functions)
function M.value(expr, ctx)
  return eval(expr, ctx or {})
end

local function eval_body(body, ctx)
  local tree = { attrs = {}, pos = {}, blocks = {}, file = body.file }
  for _, attr in ipairs(body.attrs) do
    local v = eval(attr.expr, ctx)
    if v ~= NULL then tree.attrs[attr.name] = v end
    local line, col = where(attr.expr.src, attr.s)
    tree.pos[attr.name] = { line = line, col = col }
  end
  for _, block in ipairs(body.blocks) do
    local sub = eval_body(block.body, ctx)
    sub.type = block.type
    sub.labels = block.labels
    sub.line, sub.col = where(block.src, block.s)
    sub.file = block.src.file
    tree.blocks[#tree.blocks + 1] = sub
  end
  return tree
end

--- hcl.evaluate(body_or_block, ctx) -> tree | nil, msg, "EHCL"
function M.evaluate(node, ctx)
  ctx = ctx or {}
  if node.body then  -- a parsed block
    return protect(function()
      local tree = eval_body(node.body, ctx)
      tree.type, tree.labels = node.type, node.labels
      tree.line, tree.col = where(node.src, node.s)
      return tree
    end)
  end
  return protect(eval_body, node, ctx)
end

--- hcl.blocks_of(tree_or_body, type) -> list of the (evaluated or parsed) blocks of that type
function M.blocks_of(t, typ)
  local out = {}
  for _, b in ipairs(t.blocks) do
    if b.type == typ then out[#out + 1] = b end
  end
  return out
end

-- the list of root names is exposed for documentation and tests
M.ROOTS = ROOT_FIELDS

---------------------------------------------------------------------------
-- Functions (a subset of Atlas's schemahcl stdlib)
---------------------------------------------------------------------------

-- Argument helpers: raise plain Lua errors; call_function adds the position.
local function arity(args, min, max)
  if args.n < min or args.n > (max or min) then
    local want = (max == min or max == nil) and tostring(min)
      or (max == math.huge and ("at least " .. min) or (min .. " to " .. max))
    error(string.format("expects %s argument%s, got %d", want, want == "1" and "" or "s", args.n), 0)
  end
end

local function str_arg(args, i)
  local v = args[i]
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return number_string(v) end
  if t == "boolean" then return v and "true" or "false" end
  error(string.format("argument %d must be a string, got %s", i, type_name(v)), 0)
end

local function list_arg(args, i)
  local v = args[i]
  if type(v) == "table" and v ~= NULL and (is_list(v) or next(v) == nil) then return v end
  error(string.format("argument %d must be a list, got %s", i, type_name(v)), 0)
end

local function json_encode(v, out)
  local t = type(v)
  if v == NULL then
    out[#out + 1] = "null"
  elseif t == "boolean" then
    out[#out + 1] = v and "true" or "false"
  elseif t == "number" then
    out[#out + 1] = number_string(v)
  elseif t == "string" then
    out[#out + 1] = '"' .. v:gsub('[%c"\\<>&]', function(c)
      local named = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }
      return named[c] or string.format("\\u%04x", c:byte())
    end) .. '"'
  elseif is_list(v) then
    out[#out + 1] = "["
    for i, item in ipairs(v) do
      if i > 1 then out[#out + 1] = "," end
      json_encode(item, out)
    end
    out[#out + 1] = "]"
  else
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys)
    out[#out + 1] = "{"
    for i, k in ipairs(keys) do
      if i > 1 then out[#out + 1] = "," end
      json_encode(k, out)
      out[#out + 1] = ":"
      json_encode(v[k], out)
    end
    out[#out + 1] = "}"
  end
  return out
end

-- Go's url.QueryEscape: unreserved characters stay, space is "+".
local function query_escape(s)
  return (s:gsub("[^%w%-_%.~ ]", function(c) return string.format("%%%02X", c:byte()) end):gsub(" ", "+"))
end

-- Go's url.PathEscape-like escaping for user info.
local function userinfo_escape(s)
  return (s:gsub("[^%w%-_%.~!$&'()*+,;=]", function(c) return string.format("%%%02X", c:byte()) end))
end

-- split_url(u) -> { scheme=, userinfo=, host=, path=, query=, fragment= }
local function split_url(u)
  local parts = {}
  local rest = u
  local frag_at = rest:find("#", 1, true)
  if frag_at then parts.fragment, rest = rest:sub(frag_at + 1), rest:sub(1, frag_at - 1) end
  local q_at = rest:find("?", 1, true)
  if q_at then parts.query, rest = rest:sub(q_at + 1), rest:sub(1, q_at - 1) end
  local scheme, after = rest:match("^([%a][%w+.%-]*)://(.*)$")
  if not scheme then error("invalid URL \"" .. u .. "\"", 0) end
  parts.scheme = scheme
  local slash = after:find("/", 1, true)
  local authority = slash and after:sub(1, slash - 1) or after
  parts.path = slash and after:sub(slash) or ""
  local at = authority:match(".*()@")
  if at then
    parts.userinfo, parts.host = authority:sub(1, at - 1), authority:sub(at + 1)
  else
    parts.host = authority
  end
  return parts
end

local function join_url(p)
  local out = { p.scheme, "://" }
  if p.userinfo then out[#out + 1] = p.userinfo .. "@" end
  out[#out + 1] = p.host
  out[#out + 1] = p.path
  if p.query and p.query ~= "" then out[#out + 1] = "?" .. p.query end
  if p.fragment then out[#out + 1] = "#" .. p.fragment end
  return table.concat(out)
end

-- go_format(fmt, args): fmt.Sprintf for the verbs HCL's format() knows.
local function go_format(args)
  local fmt = str_arg(args, 1)
  local i = 1
  local out = fmt:gsub("%%([%-+ #0]*)(%d*)(%.?%d*)(.?)", function(flags, width, prec, verb)
    if verb == "%" then return "%" end
    if verb == "" then error("unterminated format verb at the end", 0) end
    i = i + 1
    if i > args.n then error(string.format("not enough arguments for %%%s", verb), 0) end
    local v = args[i]
    local spec = "%" .. flags .. width .. prec
    if verb == "s" or verb == "v" then
      local s
      if type(v) == "table" and v ~= NULL then s = table.concat(json_encode(v, {}))
      elseif v == NULL then s = "null"
      else s = str_arg(args, i) end
      return string.format(spec .. "s", s)
    elseif verb == "q" then
      return string.format(spec .. "s", table.concat(json_encode(str_arg(args, i), {})))
    elseif verb == "d" then
      local n = tonumber(v)
      if not n or n ~= math.floor(n) then error(string.format("%%d needs an integer, got %s", type_name(v)), 0) end
      return string.format(spec .. "d", math.tointeger(n))
    elseif verb == "f" or verb == "e" or verb == "g" then
      local n = tonumber(v)
      if not n then error(string.format("%%%s needs a number, got %s", verb, type_name(v)), 0) end
      return string.format(spec .. verb, n)
    elseif verb == "t" then
      if type(v) ~= "boolean" then error(string.format("%%t needs a bool, got %s", type_name(v)), 0) end
      return string.format(spec .. "s", tostring(v))
    elseif verb == "x" or verb == "X" then
      local n = math.tointeger(tonumber(v))
      if n then return string.format(spec .. verb, n) end
      return (str_arg(args, i):gsub(".", function(c) return string.format(verb == "x" and "%02x" or "%02X", c:byte()) end))
    end
    error(string.format("unsupported format verb %%%s", verb), 0)
  end)
  if i < args.n then error(string.format("too many arguments: %d unused", args.n - i), 0) end
  return out
end

M.functions = {
  getenv = function(args, ctx)
    arity(args, 1, 1)
    local get = ctx.getenv or os.getenv
    return get(str_arg(args, 1)) or ""
  end,
  file = function(args, ctx)
    arity(args, 1, 1)
    local path = str_arg(args, 1)
    if path:sub(1, 1) ~= "/" and ctx.dir and ctx.dir ~= "." then path = ctx.dir .. "/" .. path end
    local f, err = io.open(path, "rb")
    if not f then error(err, 0) end
    local data = f:read("a")
    f:close()
    return data
  end,
  format = function(args)
    arity(args, 1, math.huge)
    return go_format(args)
  end,
  join = function(args)
    arity(args, 2, math.huge)
    local sep, out = str_arg(args, 1), {}
    for i = 2, args.n do
      local l = list_arg(args, i)
      for j = 1, #l do out[#out + 1] = str_arg(l, j) end
    end
    return table.concat(out, sep)
  end,
  split = function(args)
    arity(args, 2, 2)
    local sep, s = str_arg(args, 1), str_arg(args, 2)
    local out = M.list()
    if sep == "" then
      for _, c in utf8.codes(s) do out[#out + 1] = utf8.char(c) end
      return out
    end
    local i = 1
    while true do
      local a, b = s:find(sep, i, true)
      if not a then break end
      out[#out + 1] = s:sub(i, a - 1)
      i = b + 1
    end
    out[#out + 1] = s:sub(i)
    return out
  end,
  lower = function(args) arity(args, 1, 1) return str_arg(args, 1):lower() end,
  upper = function(args) arity(args, 1, 1) return str_arg(args, 1):upper() end,
  trimspace = function(args)
    arity(args, 1, 1)
    return (str_arg(args, 1):gsub("^%s+", ""):gsub("%s+$", ""))
  end,
  trimprefix = function(args)
    arity(args, 2, 2)
    local s, p = str_arg(args, 1), str_arg(args, 2)
    if p ~= "" and s:sub(1, #p) == p then return s:sub(#p + 1) end
    return s
  end,
  trimsuffix = function(args)
    arity(args, 2, 2)
    local s, p = str_arg(args, 1), str_arg(args, 2)
    if p ~= "" and s:sub(-#p) == p then return s:sub(1, -#p - 1) end
    return s
  end,
  replace = function(args)
    arity(args, 3, 3)
    local s, old, new = str_arg(args, 1), str_arg(args, 2), str_arg(args, 3)
    if #old >= 2 and old:sub(1, 1) == "/" and old:sub(-1) == "/" then
      error("regular-expression replacement is not supported", 0)
    end
    if old == "" then return s end
    local out, i = {}, 1
    while true do
      local a, b = s:find(old, i, true)
      if not a then break end
      out[#out + 1] = s:sub(i, a - 1)
      out[#out + 1] = new
      i = b + 1
    end
    out[#out + 1] = s:sub(i)
    return table.concat(out)
  end,
  urlescape = function(args) arity(args, 1, 1) return query_escape(str_arg(args, 1)) end,
  urlsetpath = function(args)
    arity(args, 2, 2)
    local p = split_url(str_arg(args, 1))
    local path = str_arg(args, 2)
    if path ~= "" and path:sub(1, 1) ~= "/" then path = "/" .. path end
    p.path = path
    return join_url(p)
  end,
  urlqueryset = function(args)
    arity(args, 3, 3)
    local p = split_url(str_arg(args, 1))
    local key, value = str_arg(args, 2), str_arg(args, 3)
    -- Go's Values.Encode sorts the keys; the new value replaces all old ones.
    local pairs_list = {}
    for item in (p.query or ""):gmatch("[^&]+") do
      local k = item:match("^([^=]*)")
      if k ~= query_escape(key) then pairs_list[#pairs_list + 1] = item end
    end
    pairs_list[#pairs_list + 1] = query_escape(key) .. "=" .. query_escape(value)
    table.sort(pairs_list, function(a, b) return a:match("^[^=]*") < b:match("^[^=]*") end)
    p.query = table.concat(pairs_list, "&")
    return join_url(p)
  end,
  urluserinfo = function(args)
    arity(args, 2, 3)
    local p = split_url(str_arg(args, 1))
    local info = userinfo_escape(str_arg(args, 2))
    if args.n == 3 and args[3] ~= NULL then info = info .. ":" .. userinfo_escape(str_arg(args, 3)) end
    p.userinfo = info
    return join_url(p)
  end,
  jsonencode = function(args) arity(args, 1, 1) return table.concat(json_encode(args[1], {})) end,
  tolist = function(args)
    arity(args, 1, 1)
    return M.list(table.move(list_arg(args, 1), 1, #args[1], 1, {}))
  end,
  -- Sets of strings come out sorted, as cty orders them (for_each relies on it).
  toset = function(args)
    arity(args, 1, 1)
    local l, seen, out = list_arg(args, 1), {}, M.list()
    local all_strings = true
    for _, v in ipairs(l) do
      local key = type(v) == "table" and table.concat(json_encode(v, {})) or (type(v) .. ":" .. tostring(v))
      if not seen[key] then
        seen[key] = true
        out[#out + 1] = v
        all_strings = all_strings and type(v) == "string"
      end
    end
    if all_strings then table.sort(out) end
    return out
  end,
  length = function(args)
    arity(args, 1, 1)
    local v = args[1]
    if type(v) == "string" then return utf8.len(v) or #v end
    if type(v) == "table" and v ~= NULL then
      if is_list(v) then return #v end
      local n = 0
      for _ in pairs(v) do n = n + 1 end
      return n
    end
    error("argument 1 must be a string, list or object, got " .. type_name(v), 0)
  end,
  concat = function(args)
    local out = M.list()
    for i = 1, args.n do
      for _, v in ipairs(list_arg(args, i)) do out[#out + 1] = v end
    end
    return out
  end,
  contains = function(args)
    arity(args, 2, 2)
    for _, v in ipairs(list_arg(args, 1)) do
      if deep_equal(v, args[2]) then return true end
    end
    return false
  end,
  coalesce = function(args)
    for i = 1, args.n do
      local v = args[i]
      if v ~= NULL and v ~= "" then return v end
    end
    error("no non-null, non-empty argument", 0)
  end,
  tostring = function(args) arity(args, 1, 1) return str_arg(args, 1) end,
  tonumber = function(args)
    arity(args, 1, 1)
    local n = tonumber(args[1])
    if not n then error("cannot convert \"" .. tostring(args[1]) .. "\" to a number", 0) end
    return n
  end,
  -- Type constraints (variable "x" { type = list(string) }) evaluate to their spelling.
  list = function(args) arity(args, 1, 1) return "list(" .. str_arg(args, 1) .. ")" end,
  set = function(args) arity(args, 1, 1) return "set(" .. str_arg(args, 1) .. ")" end,
  map = function(args) arity(args, 1, 1) return "map(" .. str_arg(args, 1) .. ")" end,
  abs = function(args) arity(args, 1, 1) return math.abs(tonumber(args[1]) or error("argument 1 must be a number", 0)) end,
}

return M
