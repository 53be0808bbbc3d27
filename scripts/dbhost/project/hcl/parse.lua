--- dbhost.project.hcl.parse: HCL native syntax to an AST (syntax only).
--
--   parse.parse(text, filename) -> body | nil, msg, "EHCL"
--   parse.position(node) -> line, col
--   parse.where(src, offset) -> line, col;  parse.fail_at(src, offset, fmt, ...) raises
--
-- Expressions stay AST nodes (see "Expressions" below) so that they can be
-- evaluated later, once variables are known (dbhost.project.hcl.eval).
local values = require "dbhost.project.hcl.values"

local M = {}
local number_string = values.number_string

-- The deepest nesting of blocks, brackets, unary operators and templates the
-- parser accepts; deeper input gets "nesting too deep" instead of a C stack overflow.
M.MAX_DEPTH = 200

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

-- fail_at(src, pos, fmt, ...) raises "file:line:col: message" for a byte offset.
local function fail_at(src, pos, fmt, ...)
  local line, col = where(src, pos)
  local msg = select("#", ...) > 0 and fmt:format(...) or fmt
  values.raise(string.format("%s:%d:%d: %s", src.file, line, col, msg))
end
M.where = where
M.fail_at = fail_at

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

-- next_token(P) -> the token peek(P) shows, consumed.
local function next_token(P)
  local tok = peek(P)
  if tok.pending then
    P.tok.nl_before = nil  -- the remembered newline is consumed; the token stays
  else
    P.tok = nil
  end
  return tok
end

-- push_newlines / pop_newlines: enter and leave a stretch where newlines do (or do not) count.
local function push_newlines(P, significant)
  P.newlines[#P.newlines + 1] = significant
end

local function pop_newlines(P)
  P.newlines[#P.newlines] = nil
end

-- describe(tok) -> how a token reads in "found ..." (e.g. "\"}\"", "end of file").
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

-- expected(P, tok, what, ...) raises "expected WHAT, found TOKEN" at the token.
local function expected(P, tok, what, ...)
  local msg = select("#", ...) > 0 and what:format(...) or what
  fail_at(P.src, tok.s, "expected %s, found %s", msg, describe(tok))
end

-- enter / leave: count nesting; deeper than MAX_DEPTH is an error, not a C stack overflow.
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
-- dbhost.project.hcl.eval dispatches on k; positions come from s through where().

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

-- parse_binary(P, level) -> node: operators of LEVELS[level] and tighter, left-associative.
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

-- parse_unary(P) -> node: "!" and "-" prefixes, then a postfix expression.
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

-- parse_call(P, name_tok) -> call node; the "(" is consumed, the arguments up to ")" are read.
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

-- parse_primary(P) -> node: a literal, template, name, call, (expr), [list] or {object}.
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
  if values.is_error(res) then return nil, res.msg, res.code end
  -- Anything else is a bug in this parser: raise it (the fuzzer looks for these).
  local line, col = where(src, math.min(P.pos, #text + 1))
  error(string.format("hcl.parse: internal error at %s:%d:%d: %s", filename, line, col, tostring(res)), 0)
end

--- hcl.position(node) -> line, col of a parsed node, attribute or block
function M.position(node)
  return where(node.src or node.expr.src, node.s)
end

return M
