resource "a" "b" {
  x = "unterminated
