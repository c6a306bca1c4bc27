#!/usr/bin/env python3
"""A stand-in for the Nimbus Generator Service (services/generator-service), stdlib only.

It speaks the service's envelope ({success, data | error}; failures as HTTP 200 with
success:false) on POST /api/templates/render, /api/best-practices/analyze and
/api/best-practices/autofix, and GET /health. Tests steer it over two extra routes:

  POST /_control {"mode": M, "times": N, "delay_ms": D}
      M for the next N calls (omitted: until the next /_control), then "normal".
      normal     answers as the service does
      slow       answers after delay_ms (also applies in normal mode when given)
      503        HTTP 503
      fail       HTTP 200 success:false, as the real service answers a template it cannot render
      malformed  HTTP 200 with a body that is not JSON
      bad_hcl    success:true with rendered_content that is not HCL
      drop       closes the connection without an answer
  GET /_stats -> {"connections": accepted TCP connections, "calls": {path: count}}

Usage: fake_generator.py [--port P] [--mode M] [--delay-ms D]
Prints "fake-generator listening port=P" on stdout once it accepts connections.
"""

import argparse
import http.server
import json
import socket
import socketserver
import sys
import threading
import time

LOCK = threading.Lock()
STATE = {"mode": "normal", "times": None, "delay_ms": 0, "connections": 0, "calls": {}}

# Modules written the way the real templates are: they use var.* inputs, some declared
# at the end without a default (Terraform would ask for them), one not declared at all.
TEMPLATES = {
    "terraform/aws/vpc": """# VPC for {project_name} ({environment})
resource "aws_vpc" "main" {{
  cidr_block           = var.vpc_cidr
  enable_dns_hostnames = true
  tags = {{
    Name        = "{project_name}-vpc"
    Environment = "{environment}"
  }}
}}

resource "aws_subnet" "private" {{
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet(var.vpc_cidr, 8, count.index)
  tags = {{
    Name = "{project_name}-private-${{count.index}}"
  }}
}}

resource "aws_subnet" "public" {{
  count      = 2
  vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet(var.vpc_cidr, 8, count.index + 10)
  tags = {{
    Name = "{project_name}-public-${{count.index}}"
  }}
}}

variable "vpc_cidr" {{
  description = "CIDR block of the VPC"
  type        = string
}}
""",
    "terraform/aws/eks": """# EKS for {project_name} ({environment})
resource "aws_iam_role" "cluster" {{
  name = "{project_name}-eks-cluster-role"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Action = "sts:AssumeRole", Effect = "Allow", Principal = {{ Service = "eks.amazonaws.com" }} }}]
  }})
}}

resource "aws_security_group" "cluster" {{
  name   = "{project_name}-eks-cluster-sg"
  vpc_id = var.vpc_id
}}

resource "aws_eks_cluster" "main" {{
  name     = "{project_name}-eks"
  role_arn = aws_iam_role.cluster.arn
  version  = "{eks_version}"
  vpc_config {{
    subnet_ids         = var.private_subnet_ids
    security_group_ids = [aws_security_group.cluster.id]
  }}
}}

output "cluster_endpoint" {{
  value = aws_eks_cluster.main.endpoint
}}

variable "vpc_id" {{
  description = "VPC ID where the cluster will be created"
  type        = string
}}
""",
    "terraform/aws/unbindable": """resource "aws_instance" "x" {{
  ami = var.golden_ami_id
}}
""",
}

ANALYSIS = {
    "summary": {
        "total_rules_checked": 12,
        "violations_found": 2,
        "violations_by_severity": {"high": 1, "medium": 1},
        "violations_by_category": {"security": 1, "tagging": 1},
        "autofixable_violations": 1,
    },
    "violations": [
        {"rule_id": "sec-001", "category": "security", "severity": "high",
         "title": "Encryption at rest", "description": "", "recommendation": "",
         "component": "", "can_autofix": True},
        {"rule_id": "tag-002", "category": "tagging", "severity": "medium",
         "title": "Cost center tag", "description": "", "recommendation": "",
         "component": "", "can_autofix": False},
    ],
}


def take_mode():
    """The mode of this call, counting down a limited one."""
    with LOCK:
        mode, delay = STATE["mode"], STATE["delay_ms"]
        if STATE["times"] is not None:
            STATE["times"] -= 1
            if STATE["times"] <= 0:
                STATE["mode"], STATE["times"] = "normal", None
        return mode, delay


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def get_request(self):
        request = super().get_request()
        with LOCK:
            STATE["connections"] += 1
        return request


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Bun serves

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and
        # the client's delayed ACK would add 40 ms to every answer on a kept-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass

    def send_json(self, status, payload, raw=None):
        body = raw if raw is not None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return None

    def do_GET(self):
        if self.path == "/_stats":
            with LOCK:
                self.send_json(200, {"connections": STATE["connections"],
                                     "calls": dict(STATE["calls"])})
        elif self.path == "/health":
            self.send_json(200, {"status": "healthy", "service": "generator-service",
                                 "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        else:
            self.send_json(404, {"success": False, "error": "Not found"})

    def do_POST(self):
        body = self.read_body()
        if self.path == "/_control":
            with LOCK:
                STATE["mode"] = body.get("mode", "normal")
                STATE["times"] = body.get("times")
                STATE["delay_ms"] = body.get("delay_ms", 0)
            self.send_json(200, {"success": True})
            return
        with LOCK:
            STATE["calls"][self.path] = STATE["calls"].get(self.path, 0) + 1
        mode, delay_ms = take_mode()
        if delay_ms:
            time.sleep(delay_ms / 1000.0)
        if mode == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if mode == "503":
            self.send_json(503, {"success": False, "error": "Service Unavailable"})
            return
        if mode == "malformed":
            self.send_json(200, None, raw=b'{"success": true, "data": {"template_id": ')
            return
        if body is None:
            self.send_json(400, {"success": False, "error": "Invalid JSON body"})
            return
        if mode == "fail":
            self.send_json(200, {"success": False,
                                 "error": 'Template rendering failed: Missing helper: "add"'})
            return
        if self.path == "/api/templates/render":
            self.render(body, mode)
        elif self.path == "/api/best-practices/analyze":
            self.send_json(200, {"success": True, "data": ANALYSIS})
        elif self.path == "/api/best-practices/autofix":
            self.send_json(200, {"success": True, "data": {
                "fixed_config": dict(body.get("config") or {}, encryption_enabled=True),
                "applied_fixes": ["sec-001"],
                "violations_remaining": [ANALYSIS["violations"][1]]}})
        else:
            self.send_json(404, {"success": False, "error": "Not found"})

    def render(self, body, mode):
        template_id = body.get("templateId", "")
        variables = body.get("variables") or {}
        if mode == "bad_hcl":
            content = 'resource "aws_vpc" "main" {\n  cidr_block = \n'
        elif template_id in TEMPLATES:
            content = TEMPLATES[template_id].format(
                project_name=variables.get("project_name", "nimbus"),
                environment=variables.get("environment", "development"),
                eks_version=variables.get("eks_version", "1.28"))
        else:
            self.send_json(200, {"success": False,
                                 "error": "Template not found: " + template_id})
            return
        self.send_json(200, {"success": True,
                             "data": {"template_id": template_id, "rendered_content": content}})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mode", default="normal")
    parser.add_argument("--delay-ms", type=int, default=0)
    args = parser.parse_args()
    STATE["mode"], STATE["delay_ms"] = args.mode, args.delay_ms
    server = Server(("127.0.0.1", args.port), Handler)
    print("fake-generator listening port=%d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
