-- dbhost.db.url: the one redaction every printed URL or conninfo passes through,
-- and the search_path / dbname helpers. Each case: the input, what is printed,
-- and the password texts that must appear nowhere: not in the redacted form,
-- not in libpq's message when connecting to it fails.
local url = require "dbhost.db.url"
local pg = require "dbhost.pg"

local cases = {
  -- URLs libpq reads
  { "postgres://u:Pw1zq9@h/db", "postgres://u:xxxxx@h/db", { "Pw1zq9" } },
  { "postgresql://u:Pw2zq9@h:5432/db?sslmode=disable", "postgresql://u:xxxxx@h:5432/db?sslmode=disable", { "Pw2zq9" } },
  { "postgresql://u:p%40Pw3zq9@h:5432/db", "postgresql://u:xxxxx@h:5432/db", { "p@Pw3zq9", "p%40Pw3zq9", "Pw3zq9" } },
  { "postgres://u@h/db?sslmode=require&password=Pw4zq9", "postgres://u@h/db?sslmode=require&password=xxxxx", { "Pw4zq9" } },
  { "postgres://u@h/db?password=Pw5zq9&sslmode=require", "postgres://u@h/db?password=xxxxx&sslmode=require", { "Pw5zq9" } },
  { "postgres://u:Pw6zq9@h1:5432,h2:5433/db?target_session_attrs=read-write",
    "postgres://u:xxxxx@h1:5432,h2:5433/db?target_session_attrs=read-write", { "Pw6zq9" } },
  { "postgres://u:Pw7zq9@[::1]:5432/db", "postgres://u:xxxxx@[::1]:5432/db", { "Pw7zq9" } },
  { "postgres://u:Pw8zq9@%2Fvar%2Frun%2Fpostgresql/db", "postgres://u:xxxxx@%2Fvar%2Frun%2Fpostgresql/db", { "Pw8zq9" } },
  { "postgres://u:Pw9zq9@h/db?search_path=public", "postgres://u:xxxxx@h/db?search_path=public", { "Pw9zq9" } },
  { "postgres://u@h/db?sslpassword=Pw10zq9", "postgres://u@h/db?sslpassword=xxxxx", { "Pw10zq9" } },
  -- a percent-encoded key, an upper-case key (libpq knows neither x nor PASSWORD: the
  -- fallback masks the user information too)
  { "postgres://u@h/db?pass%77ord=Pw11zq9", "postgres://u@h/db?pass%77ord=xxxxx", { "Pw11zq9" } },
  { "postgres://u@h/db?%70assword=Pw12zq9&x=1", "postgres://xxxxx@h/db?%70assword=xxxxx&x=1", { "Pw12zq9" } },
  { "postgres://u@h/db?PASSWORD=Pw13zq9", "postgres://xxxxx@h/db?PASSWORD=xxxxx", { "Pw13zq9" } },
  -- upper-case and mistyped schemes
  { "POSTGRES://u:Pw14zq9@h/db", "POSTGRES://u:xxxxx@h/db", { "Pw14zq9" } },
  { "PostgreSQL://u:Pw15zq9@h/db", "PostgreSQL://u:xxxxx@h/db", { "Pw15zq9" } },
  { "postgress://u:Pw16zq9@h/db", "postgress://u:xxxxx@h/db", { "Pw16zq9" } },
  { "mysql://u:Pw17zq9@h:3306/db", "mysql://u:xxxxx@h:3306/db", { "Pw17zq9" } },
  { "postgre://Pw18zq9@h/db", "postgre://xxxxx@h/db", { "Pw18zq9" } },
  -- unencoded '@', '/', '?', ':' in the password
  { "postgres://u:Pw19@zq9x@h/db", "postgres://u:xxxxx@h/db", { "Pw19@zq9x", "zq9x" } },
  { "postgres://u:Pw20/zq9x@h/db", "postgres://u:xxxxx@h/db", { "Pw20/zq9x", "Pw20", "zq9x" } },
  { "postgres://u:Pw21?zq9x@h/db", "postgres://u:xxxxx@h/db", { "Pw21?zq9x", "zq9x" } },
  { "postgres://u:Pw22:zq9x@h/db", "postgres://u:xxxxx@h/db", { "Pw22:zq9x", "zq9x" } },
  { "postgres://u:Pw23@@zq9x@h:5432/db", "postgres://u:xxxxx@h:5432/db", { "Pw23", "zq9x" } },
  -- keyword/value strings
  { "host=h password=Pw24zq9 user=u", "host=h password=xxxxx user=u", { "Pw24zq9" } },
  { "host=h password = 'Pw25 zq\\'9' user=u", "host=h password = 'xxxxx' user=u", { "Pw25 zq'9", "Pw25", "zq\\'9" } },
  { "password='Pw26zq9", "password='xxxxx", { "Pw26zq9" } },
  { "host=h PASSWORD=Pw27zq9", "host=h PASSWORD=xxxxx", { "Pw27zq9" } },
  { "dbname='postgres://u:Pw28zq9@h/db' user=x", "dbname='postgres://u:xxxxx@h/db' user=x", { "Pw28zq9" } },
  { "host=h sslpassword=Pw29zq9 dbname=d", "host=h sslpassword=xxxxx dbname=d", { "Pw29zq9" } },
  { "host=h password=Pw30zq9 password", "host=h password=xxxxx xxxxx", { "Pw30zq9" } },
  -- libpq cannot read it: all user information goes
  { "mysql://Pw31zq9@h/db", "mysql://xxxxx@h/db", { "Pw31zq9" } },
  -- nothing to hide: printed as given
  { "postgres://h/db", "postgres://h/db", {} },
  { "postgres://u@h/db", "postgres://u@h/db", {} },
  { "postgres://u:@h/db", "postgres://u:xxxxx@h/db", {} },
  { "postgresql:///postgres?host=/tmp/s&user=postgres", "postgresql:///postgres?host=/tmp/s&user=postgres", {} },
  { "postgres://h/db?application_name=me@example", "postgres://h/db?application_name=me@example", {} },
  { "mydb", "mydb", {} },
  { "file://schema@v2.sql", "file://schema@v2.sql", {} },
  { "dir://migrations", "dir://migrations", {} },
  { "docker://postgres/15/dev?search_path=public", "docker://postgres/15/dev?search_path=public", {} },
  { "", "", {} },
}

describe("url.redact", function()
  it("has a table of at least 30 forms", function()
    assert.is_true(#cases >= 30)
  end)
  for _, case in ipairs(cases) do
    local input, want, secrets = case[1], case[2], case[3]
    it(("%q"):format(input), function()
      local got = url.redact(input)
      assert.are.equal(want, got)
      for _, s in ipairs(secrets) do
        assert.is_nil(got:find(s, 1, true), "redacted form shows " .. s)
      end
    end)
    if #secrets > 0 then
      it(("%q: libpq's message does not quote the password"):format(input), function()
        local conn, msg = pg.connect(input .. "", { timeout = 1 })
        if conn then conn:close() end
        msg = tostring(msg)
        for _, s in ipairs(secrets) do
          -- a message may quote short pieces only as a masked, quoted token
          if #s >= 4 then assert.is_nil(msg:find(s, 1, true), "message shows " .. s .. ": " .. msg) end
        end
      end)
      it(("%q: a server message quoting the password is scrubbed"):format(input), function()
        local quoted = "ERROR: role \"x\" said \"" .. secrets[1] .. "\" and " .. secrets[1] .. " again"
        local out = url.scrub(quoted, input)
        assert.is_nil(out:find(secrets[1], 1, true), out)
      end)
    end
  end
end)

describe("url.without_password", function()
  it("leaves the password out of a URL meant to be used", function()
    assert.are.equal("postgres://u@h/db", url.without_password("postgres://u:Pw1zq9@h/db"))
    assert.are.equal("postgres://u@h/db?sslmode=require",
      url.without_password("postgres://u@h/db?password=Pw4zq9&sslmode=require"))
    assert.are.equal("host=h user=u", url.without_password("host=h password=Pw24zq9 user=u"))
    assert.are.equal("postgresql:///db?host=/tmp/s", url.without_password("postgresql:///db?host=/tmp/s"))
  end)
end)

describe("url.parse", function()
  it("reads with libpq, whatever the scheme's case", function()
    local p = assert(url.parse("POSTGRES://u:p%40ss@h:5433/db?sslmode=require"))
    assert.are.same({ "uri", "postgres", "u", "p@ss", "h", "5433", "db", "require" },
      { p.form, p.scheme, p.params.user, p.params.password, p.params.host, p.params.port, p.params.dbname, p.params.sslmode })
    p = assert(url.parse("host=h dbname=d"))
    assert.are.equal("keywords", p.form)
  end)
  it("fails without showing the password", function()
    local ok, msg = url.parse("mysql://u:Pw17zq9@h/db")
    assert.is_nil(ok)
    assert.is_nil(msg:find("Pw17zq9", 1, true))
    ok, msg = url.parse("postgres://u:Pw1zq9@h/db?nosuch=1")
    assert.is_nil(ok)
    assert.is_nil(msg:find("Pw1zq9", 1, true))
  end)
end)

describe("url.split_search_path", function()
  it("moves search_path into options and returns the first schema", function()
    local conninfo, schema = url.split_search_path("postgres://u@h/db?search_path=app,public&sslmode=disable")
    assert.are.equal("postgres://u@h/db?sslmode=disable&options=-c%20search_path%3Dapp%2Cpublic", conninfo)
    assert.are.equal("app", schema)
    assert.are.same({ "host=h", nil }, { url.split_search_path("host=h") })
  end)
end)

describe("url.with_dbname", function()
  it("replaces the database of a URL, appends one to a keyword string", function()
    assert.are.equal("postgres://u@h/other?sslmode=disable", url.with_dbname("postgres://u@h/db?sslmode=disable", "other"))
    assert.are.equal("host=h dbname='o\\'k'", url.with_dbname("host=h", "o'k"))
  end)
end)
