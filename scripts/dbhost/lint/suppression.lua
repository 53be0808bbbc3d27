--- Analyzer "suppression": squawk's unused-ignore. The engine (dbhost.linter) does
-- the work when it applies squawk-ignore comments; this file gives the rule its
-- code, severity and documentation, so it can be configured like any other.
return {
  name = "suppression",
  rules = {
    {
      code = "unused-ignore", severity = "info",
      summary = "squawk-ignore comment that suppresses nothing",
      why = "An ignore comment that names a rule which does not fire there (or does not exist, often a "
        .. "renamed or misspelled rule) hides nothing today and may hide a real finding after the next "
        .. "edit of the statement.",
      advice = "Remove the comment, or correct the rule name (dbhost lint --rules lists the names).",
      example = "-- squawk-ignore ban-drop-column\nALTER TABLE users DROP COLUMN nickname;",
      file_check = function() return nil end,   -- reported by the engine
    },
  },
}
