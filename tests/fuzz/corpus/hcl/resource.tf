terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
}

resource "aws_vpc" "main" {
  cidr_block = var.cidr
  tags = {
    Name = "${local.name_prefix}-vpc"
  }
}
