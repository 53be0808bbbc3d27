-- cfn_template_spec.lua: cloud-formation.yaml checked offline. It parses (dbhost.yaml);
-- every !Ref, !GetAtt, !Sub, !If condition and DependsOn resolves; the custom resource
-- carries every property the migrate handler reads and the function is wired to it.
local yaml = require "dbhost.yaml"
local fs = require "dbhost.fs"
local hash = require "dbhost.hash"
local helper = require "helper"
local handler = require "handlers.migrate"

local TEMPLATE = helper.source_dir .. "/cloud-formation.yaml"

local PSEUDO = {
  ["AWS::AccountId"] = true, ["AWS::NoValue"] = true, ["AWS::Partition"] = true, ["AWS::Region"] = true,
  ["AWS::StackId"] = true, ["AWS::StackName"] = true, ["AWS::URLSuffix"] = true, ["AWS::NotificationARNs"] = true,
}

-- Attributes each resource type offers to !GetAtt (those this template may use).
local ATTRIBUTES = {
  ["AWS::Serverless::Function"] = { Arn = true },
  ["AWS::Serverless::LayerVersion"] = {},
  -- the Data keys the migrate handler answers with
  ["Custom::DBSchemaMigration"] = { AppliedVersion = true, FilesApplied = true },
}

local function tagged(v) return type(v) == "table" and v.tag ~= nil end

--- problems(doc) -> list of messages: every reference in the template that does not resolve
local function problems(doc)
  local out = {}
  local params, resources, conditions = doc.Parameters or {}, doc.Resources or {}, doc.Conditions or {}
  local function ref_ok(name) return params[name] ~= nil or resources[name] ~= nil or PSEUDO[name] end
  local function getatt(target, where)
    local res, attr
    if type(target) == "string" then res, attr = target:match("^([^.]+)%.(.+)$")
    elseif type(target) == "table" then res, attr = target[1], target[2] end
    if not res or not resources[res] then
      out[#out + 1] = ("%s: !GetAtt %s: no such resource"):format(where, tostring(res or target))
      return
    end
    local attrs = ATTRIBUTES[resources[res].Type]
    if attrs and not attrs[attr] then
      out[#out + 1] = ("%s: !GetAtt %s.%s: %s has no such attribute"):format(where, res, attr, resources[res].Type)
    end
  end
  local function sub(v, where)
    local text, vars = v, {}
    if type(v) == "table" then text, vars = v[1], v[2] or {} end
    for name in text:gmatch("%${([^}]*)}") do
      if name:sub(1, 1) ~= "!" and vars[name] == nil then
        local res = name:match("^([^.]+)%.")
        if res and not PSEUDO[name] then getatt(name, where)
        elseif not ref_ok(name) then out[#out + 1] = ("%s: !Sub ${%s} does not resolve"):format(where, name) end
      end
    end
  end
  local function walk(v, where)
    if type(v) ~= "table" then return end
    if tagged(v) then
      if v.tag == "!Ref" then
        if not ref_ok(v.value) then out[#out + 1] = ("%s: !Ref %s does not resolve"):format(where, tostring(v.value)) end
      elseif v.tag == "!GetAtt" then getatt(v.value, where)
      elseif v.tag == "!Sub" then sub(v.value, where)
      elseif v.tag == "!If" then
        if not conditions[v.value[1]] then out[#out + 1] = ("%s: !If %s: no such condition"):format(where, tostring(v.value[1])) end
        walk(v.value[2], where); walk(v.value[3], where)
      elseif v.tag == "!Condition" then
        if not conditions[v.value] then out[#out + 1] = ("%s: !Condition %s: no such condition"):format(where, v.value) end
      else
        walk(v.value, where)
      end
      return
    end
    if v.Ref ~= nil and not ref_ok(v.Ref) then out[#out + 1] = ("%s: Ref %s does not resolve"):format(where, v.Ref) end
    for k, x in pairs(v) do walk(x, where .. "." .. tostring(k)) end
  end
  for name, r in pairs(resources) do
    local deps = r.DependsOn
    if type(deps) == "string" then deps = { deps } end
    for _, d in ipairs(deps or {}) do
      if not resources[d] then out[#out + 1] = ("Resources.%s: DependsOn %s: no such resource"):format(name, d) end
    end
    if r.Condition and not conditions[r.Condition] then
      out[#out + 1] = ("Resources.%s: Condition %s: no such condition"):format(name, r.Condition)
    end
    walk(r.Properties, "Resources." .. name)
  end
  walk(doc.Outputs, "Outputs")
  walk(doc.Conditions, "Conditions")
  walk(doc.Rules, "Rules")
  table.sort(out)
  return out
end

-- the template's commented-out application resource, uncommented
local function commented_app(text)
  local lines, on = {}, false
  for line in text:gmatch("[^\n]*") do
    if line:match("^  # [%w]+:%s*$") then on = true end
    if on then
      local body = line:match("^  # ?(.*)$")
      if not body then break end
      lines[#lines + 1] = body
    end
  end
  return table.concat(lines, "\n")
end

describe("cloud-formation.yaml", function()
  local text = assert(fs.read(TEMPLATE))
  local doc = assert(yaml.load(text, TEMPLATE))
  local res = doc.Resources

  it("is an AWS SAM template", function()
    assert.are.equal("AWS::Serverless-2016-10-31", doc.Transform)
    assert.are.equal("2010-09-09", doc.AWSTemplateFormatVersion)
  end)

  it("resolves every !Ref, !GetAtt, !Sub, condition and DependsOn", function()
    assert.are.same({}, problems(doc))
  end)

  it("the reference check finds what does not resolve", function()
    local broken = assert(yaml.load(text
      :gsub("!GetAtt MigratorFunction.Arn", "!GetAtt MigratorFn.Arn")
      :gsub("%${DbUser}", "${DbUsr}")
      :gsub("SubnetIds: !Ref SubnetIds", "SubnetIds: !Ref Subnets")
      :gsub("AppliedVersion\n", "Applied\n"), TEMPLATE))
    broken.Resources.DBSchemaMigration.DependsOn = { "NoSuchThing" }
    local p = table.concat(problems(broken), "\n")
    assert.matches("!GetAtt MigratorFn: no such resource", p, 1, true)
    assert.matches("!Sub ${DbUsr} does not resolve", p, 1, true)
    assert.matches("!Ref Subnets does not resolve", p, 1, true)
    assert.matches("DependsOn NoSuchThing: no such resource", p, 1, true)
    assert.matches("DBSchemaMigration.Applied: Custom::DBSchemaMigration has no such attribute", p, 1, true)
  end)

  it("has the database parameters", function()
    for _, p in ipairs { "DbHost", "DbPort", "DbName", "DbSecretArn", "SubnetIds", "SecurityGroupIds", "IamAuth", "DbUser",
                         "Baseline" } do
      assert.is_table(doc.Parameters[p], p)
    end
    assert.are.equal("List<AWS::EC2::Subnet::Id>", doc.Parameters.SubnetIds.Type)
    assert.are.equal("List<AWS::EC2::SecurityGroup::Id>", doc.Parameters.SecurityGroupIds.Type)
  end)

  it("builds the layer from the layer zip for provided.al2023", function()
    local layer = res.DbhostLayer
    assert.are.equal("AWS::Serverless::LayerVersion", layer.Type)
    assert.are.equal("build/lambda/layer.zip", layer.Properties.ContentUri)
    assert.are.same({ "provided.al2023" }, layer.Properties.CompatibleRuntimes)
  end)

  it("runs the function on provided.al2023 in the VPC with the layer and the migrations", function()
    local fn = res.MigratorFunction
    local p = fn.Properties
    assert.are.equal("AWS::Serverless::Function", fn.Type)
    assert.are.equal("provided.al2023", p.Runtime)
    assert.are.equal("build/lambda/function.zip", p.CodeUri)
    assert.are.same({ tag = "!Ref", value = "DbhostLayer" }, p.Layers[1])
    assert.are.same({ tag = "!Ref", value = "SubnetIds" }, p.VpcConfig.SubnetIds)
    assert.are.same({ tag = "!Ref", value = "SecurityGroupIds" }, p.VpcConfig.SecurityGroupIds)
    -- the handler names a script that exists
    assert.are.equal("migrate", p.Handler)
    assert.is_truthy(fs.stat(helper.source_dir .. "/scripts/handlers/" .. p.Handler .. ".lua"))
    assert.is_true(tonumber(p.Timeout) <= 900)
  end)

  it("allows GetSecretValue on the secret only, and rds-db:connect only with IAM auth", function()
    local st = res.MigratorFunction.Properties.Policies[1].Statement
    local secret, connect
    for _, s in ipairs(st) do
      assert.are.equal("!If", s.tag)
      local cond, yes, no = s.value[1], s.value[2], s.value[3]
      assert.are.same({ tag = "!Ref", value = "AWS::NoValue" }, no)
      if yes.Action == "secretsmanager:GetSecretValue" then secret = { cond, yes }
      elseif yes.Action == "rds-db:connect" then connect = { cond, yes } end
    end
    assert.are.equal("HasSecret", secret[1])
    assert.are.same({ tag = "!Ref", value = "DbSecretArn" }, secret[2].Resource)
    assert.are.equal("UseIamAuth", connect[1])
    assert.matches(":dbuser:${DbResourceId}/${DbUser}", connect[2].Resource.value, 1, true)
    assert.are.same({ tag = "!Equals", value = { { tag = "!Ref", value = "IamAuth" }, "true" } },
      doc.Conditions.UseIamAuth)
  end)

  it("gives the custom resource every property the handler reads", function()
    local r = res.DBSchemaMigration
    assert.are.equal("Custom::DBSchemaMigration", r.Type)
    for _, name in ipairs(handler.PROPERTIES) do
      assert.is_not_nil(r.Properties[name], name)
    end
    assert.are.same({ tag = "!GetAtt", value = "MigratorFunction.Arn" }, r.Properties.ServiceToken)
    local timeout = tonumber(r.Properties.ServiceTimeout)
    assert.is_true(timeout >= tonumber(res.MigratorFunction.Properties.Timeout) and timeout <= 3600)
    assert.are.equal("UseIamAuth", r.Properties.IamAuth.value[1])
    assert.are.equal("true", r.Properties.IamAuth.value[2])
  end)

  it("passes Baseline only when the parameter is set", function()
    local b = doc.Parameters.Baseline
    assert.are.equal("String", b.Type)
    assert.are.equal("", b.Default)
    -- a version is the file name up to its first "_"
    assert.are.equal("^[^_/]*$", b.AllowedPattern)
    assert.are.same({ tag = "!Not", value = { { tag = "!Equals", value = { { tag = "!Ref", value = "Baseline" }, "" } } } },
      doc.Conditions.HasBaseline)
    assert.are.same({ tag = "!If", value = { "HasBaseline", { tag = "!Ref", value = "Baseline" },
                                             { tag = "!Ref", value = "AWS::NoValue" } } },
      res.DBSchemaMigration.Properties.Baseline)
    -- the handler reads it
    local found = false
    for _, name in ipairs(handler.PROPERTIES) do found = found or name == "Baseline" end
    assert.is_true(found)
  end)

  it("keeps MigrationHash equal to the atlas.sum total", function()
    local sum = assert(fs.read(helper.source_dir .. "/migrations/atlas.sum"))
    assert.are.equal(sum:match("^(h1:%S+)"), res.DBSchemaMigration.Properties.MigrationHash)
    local _, entries = hash.atlas_sum(helper.source_dir .. "/migrations")
    assert.are.equal("h1:" .. entries.total, res.DBSchemaMigration.Properties.MigrationHash)
  end)

  it("outputs the applied version", function()
    assert.are.same({ tag = "!GetAtt", value = "DBSchemaMigration.AppliedVersion" }, doc.Outputs.AppliedVersion.Value)
  end)

  it("shows an application resource that waits for the migration", function()
    local app = assert(yaml.load(commented_app(text), "commented application resource"))
    local name, r = next(app)
    assert.is_string(name)
    assert.are.equal("DBSchemaMigration", r.DependsOn)
    doc.Resources[name] = r
    assert.are.same({}, problems(doc))
    doc.Resources[name] = nil
  end)
end)
