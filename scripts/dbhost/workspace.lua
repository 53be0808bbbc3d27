--- dbhost.workspace: moved to dbhost.project.workspace (scripts/dbhost/project/workspace.lua).
-- This name stays while commands still require it; new code requires the new one.
return require "dbhost.project.workspace"
