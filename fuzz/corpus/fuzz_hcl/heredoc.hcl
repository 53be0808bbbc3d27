locals {
  bar = "Bar"
}

normal {
  basic = <<EOT
Foo
Bar
EOT
  indented = <<EOT
    Foo
      ${local.bar}
  EOT
  marker_at_suffix = <<EOT
    NOT EOT
  EOT
}

indent {
  indented = <<-EOT
    Foo
      Bar
    Baz
  EOT
  indented_less = <<-EOT
    Foo
  Bar
    Baz
  EOT
  interp = <<-EOT
    Foo
    ${local.bar}
    Baz
    EOT
  blank_lines = <<-EOT
    Foo

    Bar
  EOT
  sql = <<-SQL
    SELECT 1;
    -- $${not_interpolated}
  SQL
}
