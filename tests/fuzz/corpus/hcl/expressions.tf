locals {
  a = [for s in var.list : upper(s) if s != ""]
  b = { for k, v in var.map : k => v... }
  c = var.on ? 1 : 2
  script = <<-EOT
    echo "${var.x}" %{ if true }y%{ endif }
  EOT
}
/* block */
// line
