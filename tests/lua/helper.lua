-- helper.lua: loaded by busted before every spec (see cmake/tests.cmake).
-- Specs find the repository through DBHOST_SOURCE_DIR and the built binary
-- through DBHOST; both are set by ctest.
local M = {}
M.source_dir = os.getenv("DBHOST_SOURCE_DIR") or "."
M.dbhost = os.getenv("DBHOST") or (M.source_dir .. "/build/dbhost")
M.vectors = os.getenv("DBHOST_VECTORS") or (M.source_dir .. "/tests/vectors")
package.loaded["helper"] = M
return M
