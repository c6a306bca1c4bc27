#include "actors/executor/templates.hpp"

#include "actors/planner/catalog.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

#include <boost/json.hpp>

#include "messages/json_codec.hpp"

namespace ce::executor {

namespace {

// ---- writing HCL ----------------------------------------------------------------

/// Text for one `#` comment line. A comment ends at the line's end, so text that
/// holds requested values (versions, names) must not break the line: control
/// characters are written as the escapes a quoted string would use.
std::string comment_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += ' ';
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(u));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

/// A body of HCL (a file, or what is between a block's braces), written with the
/// alignment `terraform fmt` uses: the "=" of consecutive arguments line up.
class hcl_body {
 public:
  /// An argument whose value is an expression, written as given.
  hcl_body& set(std::string name, std::string expression) {
    items_.push_back({item_kind::argument, std::move(name), std::move(expression)});
    return *this;
  }
  hcl_body& text(std::string name, std::string_view value) {
    return set(std::move(name), hcl_quote(value));
  }
  hcl_body& number(std::string name, long long value) {
    return set(std::move(name), std::to_string(value));
  }
  hcl_body& flag(std::string name, bool value) {
    return set(std::move(name), value ? "true" : "false");
  }
  /// A map argument written one key per line; keys and values are HCL as given.
  hcl_body& map(std::string name, std::vector<std::pair<std::string, std::string>> entries) {
    item i{item_kind::map, std::move(name), {}};
    i.entries = std::move(entries);
    items_.push_back(std::move(i));
    return *this;
  }
  /// An argument whose value is an indented heredoc holding `content` literally.
  /// Text that could end the heredoc early (a line of just EOT) or span lines
  /// is written as a quoted string instead.
  hcl_body& heredoc(std::string name, std::string_view content) {
    if (content.find_first_of("\r\n") != std::string_view::npos)
      return text(std::move(name), content);
    std::string escaped;
    for (size_t i = 0; i < content.size(); ++i) {
      char c = content[i];
      escaped += c;
      if ((c == '$' || c == '%') && i + 1 < content.size() && content[i + 1] == '{') escaped += c;
    }
    items_.push_back({item_kind::heredoc, std::move(name), std::move(escaped)});
    return *this;
  }
  hcl_body& block(std::string type, std::vector<std::string> labels, hcl_body body) {
    item i{item_kind::block, std::move(type), {}, std::move(labels)};
    i.body = std::make_shared<hcl_body>(std::move(body));
    items_.push_back(std::move(i));
    return *this;
  }
  hcl_body& block(std::string type, hcl_body body) {
    return block(std::move(type), {}, std::move(body));
  }
  /// A comment line ("# " is added); see comment_text.
  hcl_body& comment(std::string_view line) {
    items_.push_back({item_kind::comment, {}, comment_text(line)});
    return *this;
  }

  bool empty() const { return items_.empty(); }

  std::string render(int indent = 0) const {
    std::string out;
    const std::string pad(static_cast<size_t>(indent), ' ');
    for (size_t i = 0; i < items_.size(); ++i) {
      const item& it = items_[i];
      bool separate =
          i > 0 && (it.kind == item_kind::block || it.kind == item_kind::comment ||
                    it.kind == item_kind::map || items_[i - 1].kind == item_kind::block ||
                    items_[i - 1].kind == item_kind::map);
      if (separate && !(it.kind == item_kind::block && items_[i - 1].kind == item_kind::comment))
        out += "\n";
      switch (it.kind) {
        case item_kind::comment:
          out += pad + "# " + it.value + "\n";
          break;
        case item_kind::block:
          out += pad + it.name;
          for (const auto& label : it.labels) out += " " + hcl_quote(label);
          if (it.body->empty()) {
            out += " {}\n";
          } else {
            out += " {\n" + it.body->render(indent + 2) + pad + "}\n";
          }
          break;
        default:
          out += pad + it.name + std::string(name_width(i) - it.name.size(), ' ') + " = " +
                 value_of(it, indent) + "\n";
          break;
      }
    }
    return out;
  }

 private:
  enum class item_kind { argument, map, heredoc, block, comment };
  struct item {
    item_kind kind;
    std::string name;
    std::string value;
    std::vector<std::string> labels = {};
    std::vector<std::pair<std::string, std::string>> entries = {};
    std::shared_ptr<hcl_body> body = nullptr;
  };

  /// `terraform fmt` aligns the "=" of consecutive arguments; a map spanning several
  /// lines stands alone, a heredoc joins the arguments above it and ends the run.
  static bool one_line(const item& i) { return i.kind == item_kind::argument; }
  static bool aligned(const item& i) { return one_line(i) || i.kind == item_kind::heredoc; }

  /// Width of the names in the run of aligned arguments holding item i.
  size_t name_width(size_t i) const {
    if (!aligned(items_[i])) return items_[i].name.size();
    size_t first = i;
    while (first > 0 && one_line(items_[first - 1])) --first;
    size_t last = i;
    while (one_line(items_[last]) && last + 1 < items_.size() && aligned(items_[last + 1])) ++last;
    size_t width = 0;
    for (size_t k = first; k <= last; ++k) width = std::max(width, items_[k].name.size());
    return width;
  }

  static std::string value_of(const item& it, int indent) {
    const std::string inner(static_cast<size_t>(indent) + 2, ' ');
    if (it.kind == item_kind::heredoc) {
      return "<<-EOT\n" + inner + it.value + "\n" + std::string(static_cast<size_t>(indent), ' ') +
             "EOT";
    }
    if (it.kind == item_kind::map) {
      size_t width = 0;
      for (const auto& e : it.entries) width = std::max(width, e.first.size());
      std::string out = "{\n";
      for (const auto& [key, value] : it.entries)
        out += inner + key + std::string(width - key.size(), ' ') + " = " + value + "\n";
      return out + std::string(static_cast<size_t>(indent), ' ') + "}";
    }
    return it.value;
  }

  std::vector<item> items_;
};

/// A whole file: top-level blocks separated by blank lines, after a comment header.
std::string render_file(std::string_view header, const std::vector<hcl_body>& parts) {
  std::string out = "# " + comment_text(header) + "\n";
  for (const auto& part : parts) {
    if (part.empty()) continue;
    out += "\n" + part.render();
  }
  return out;
}

hcl_body top(std::string type, std::vector<std::string> labels, hcl_body body) {
  return hcl_body{}.block(std::move(type), std::move(labels), std::move(body));
}

std::string list_of_strings(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + hcl_quote(values[i]);
  return out + "]";
}

/// A one-line JSON document for IAM policies, serialised by Boost.JSON.
std::string assume_role_policy(std::string_view service) {
  boost::json::object statement{{"Effect", "Allow"},
                                {"Principal", boost::json::object{{"Service", service}}},
                                {"Action", "sts:AssumeRole"}};
  boost::json::object policy{{"Version", "2012-10-17"},
                             {"Statement", boost::json::array{statement}}};
  return codec::serialize(policy);
}

// ---- names and networks ------------------------------------------------------------

/// Lower-case letters, digits and single hyphens, starting with a letter.
std::string slug(std::string_view text, size_t max_length) {
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) && u < 0x80) {
      out += static_cast<char>(std::tolower(u));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  if (out.empty() || !std::isalpha(static_cast<unsigned char>(out[0]))) out = "x" + out;
  if (out.size() > max_length) out.resize(max_length);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

/// Letters and digits only, starting with a letter (storage accounts, database names).
std::string alnum_name(std::string_view text, size_t max_length) {
  std::string out;
  for (char c : slug(text, 200))
    if (c != '-') out += c;
  if (out.size() > max_length) out.resize(max_length);
  return out;
}

/// A GCP label key or value: lower-case letters, digits, '_' and '-', at most 63 characters;
/// keys start with a letter.
std::string gcp_label(std::string_view text, bool key) {
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    bool keep = (std::isalnum(u) && u < 0x80) || c == '_' || c == '-';
    out += keep ? static_cast<char>(std::tolower(u)) : '-';
  }
  if (key && (out.empty() || !std::isalpha(static_cast<unsigned char>(out[0])))) out = "k" + out;
  if (out.size() > 63) out.resize(63);
  return out;
}

struct ipv4_network {
  uint32_t address = 0;
  int prefix = 0;
};

std::string format_ipv4(uint32_t a, int prefix) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u/%d", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
                a & 0xff, prefix);
  return buf;
}

std::optional<ipv4_network> parse_cidr(std::string_view text) {
  ipv4_network net;
  size_t pos = 0;
  auto read_number = [&](int max) -> std::optional<uint32_t> {
    size_t start = pos;
    uint32_t value = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) &&
           pos - start < 3) {
      value = value * 10 + static_cast<uint32_t>(text[pos] - '0');
      ++pos;
    }
    if (pos == start || value > static_cast<uint32_t>(max)) return std::nullopt;
    return value;
  };
  for (int octet = 0; octet < 4; ++octet) {
    auto value = read_number(255);
    if (!value) return std::nullopt;
    net.address = (net.address << 8) | *value;
    char expected = octet < 3 ? '.' : '/';
    if (pos >= text.size() || text[pos] != expected) return std::nullopt;
    ++pos;
  }
  auto prefix = read_number(32);
  if (!prefix || pos != text.size()) return std::nullopt;
  net.prefix = static_cast<int>(*prefix);
  uint32_t mask = net.prefix == 0 ? 0 : ~uint32_t{0} << (32 - net.prefix);
  net.address &= mask;
  return net;
}

/// The index-th block of size /new_prefix inside net.
std::string subnet(const ipv4_network& net, int new_prefix, uint32_t index) {
  return format_ipv4(net.address | (index << (32 - new_prefix)), new_prefix);
}

bool overlaps(const ipv4_network& a, const ipv4_network& b) {
  int prefix = std::min(a.prefix, b.prefix);
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  return (a.address & mask) == (b.address & mask);
}

// ---- what a rendering needs -------------------------------------------------------

constexpr int aws_min_vpc_prefix = 16;  // AWS VPCs are /16 to /28
constexpr int min_network_prefix = 8;
constexpr int max_network_prefix = 24;  // leaves 4 bits for subnets of at least /28
constexpr int subnet_bits = 4;          // each network is cut into 16 equal subnets

struct input {
  cloud_provider provider;
  const task_context& context;
  const requirements& req;
  std::string environment;
  bool production;
  std::string prefix;  // project-environment slug, the local.name_prefix
  ipv4_network network;
  int subnet_prefix;

  input(cloud_provider p, const task_context& ctx, const requirements& r)
      : provider(p),
        context(ctx),
        req(r),
        environment(ctx.environment.empty() ? "development" : ctx.environment),
        production(is_production(environment)),
        prefix(slug(r.project, 24) + "-" + slug(environment, 12)) {
    auto parsed = parse_cidr(r.vpc_cidr);
    int min_prefix = p == cloud_provider::aws ? aws_min_vpc_prefix : min_network_prefix;
    if (!parsed || parsed->prefix < min_prefix || parsed->prefix > max_network_prefix) {
      throw std::invalid_argument("requirements.vpc_cidr \"" + r.vpc_cidr +
                                  "\" must be an IPv4 CIDR block with a prefix from /" +
                                  std::to_string(min_prefix) + " to /" +
                                  std::to_string(max_network_prefix) + ", like 10.0.0.0/16");
    }
    network = *parsed;
    subnet_prefix = network.prefix + subnet_bits;
  }

  bool has(std::string_view component) const {
    return std::find(context.components.begin(), context.components.end(), component) !=
           context.components.end();
  }
  int azs() const { return effective_azs(req, environment); }
  int nodes() const { return effective_node_count(req, environment); }
  int backup_days() const { return effective_backup_days(req, environment); }
  bool multi_az() const { return effective_multi_az(req, environment); }
  std::string region() const {
    return context.region.empty() ? planner::default_region(provider) : context.region;
  }
  std::string cidr() const { return format_ipv4(network.address, network.prefix); }
  std::string tier_subnet(uint32_t index) const { return subnet(network, subnet_prefix, index); }

  /// "${local.name_prefix}-suffix" (suffix is ours, never user text).
  static std::string named(std::string_view suffix) {
    return "\"${local.name_prefix}-" + std::string(suffix) + "\"";
  }

  /// Tags of an aws/azure resource: the user's tags and Name.
  std::vector<std::pair<std::string, std::string>> tags(const std::string& name_expression) const {
    std::vector<std::pair<std::string, std::string>> entries;
    if (!req.tags.count("Name")) entries.emplace_back("Name", name_expression);
    for (const auto& [key, value] : req.tags)
      entries.emplace_back(hcl_quote(key), hcl_quote(value));
    return entries;
  }
  /// Labels of a gcp resource: the user's tags made valid labels, and name.
  std::vector<std::pair<std::string, std::string>> labels(std::string_view name) const {
    std::map<std::string, std::string> valid;
    for (const auto& [key, value] : req.tags) valid[gcp_label(key, true)] = gcp_label(value, false);
    if (!valid.count("name")) valid["name"] = gcp_label(prefix + "-" + std::string(name), false);
    std::vector<std::pair<std::string, std::string>> entries;
    for (const auto& [key, value] : valid) entries.emplace_back(hcl_quote(key), hcl_quote(value));
    return entries;
  }

  std::string db_engine() const {
    if (provider == cloud_provider::azure) return "postgres";
    return req.db_engine.empty() ? "postgres" : req.db_engine;
  }
  std::string db_version() const {
    if (req.has_db_engine_version && !req.db_engine_version.empty() &&
        (provider != cloud_provider::azure || req.db_engine == "postgres"))
      return req.db_engine_version;
    std::string engine = db_engine();
    if (engine == "mysql") return "8.0";
    if (engine == "mariadb") return "10.11";
    return "15";
  }
  int db_port() const {
    std::string engine = db_engine();
    return engine == "mysql" || engine == "mariadb" ? 3306 : 5432;
  }
  std::string db_name() const { return alnum_name(req.project, 32); }
  std::string kubernetes_version() const {
    return req.kubernetes_version.empty() ? "1.30" : req.kubernetes_version;
  }
};

hcl_body variable(std::string_view name, std::string_view description, std::string type) {
  return top("variable", {std::string(name)},
             hcl_body{}.text("description", description).set("type", std::move(type)));
}

// ---- aws --------------------------------------------------------------------------

std::string render_aws_vpc(const input& in) {
  std::vector<std::string> public_cidrs, private_cidrs;
  constexpr uint32_t private_offset = 8;  // private subnets take the upper half of the network
  for (int i = 0; i < in.azs(); ++i) {
    public_cidrs.push_back(in.tier_subnet(static_cast<uint32_t>(i)));
    private_cidrs.push_back(in.tier_subnet(private_offset + static_cast<uint32_t>(i)));
  }
  auto subnet_tags = [&](const char* tier, const char* elb_role) {
    auto tags = in.tags("\"${local.name_prefix}-" + std::string(tier) + "-${count.index + 1}\"");
    if (in.has("eks")) tags.emplace_back(hcl_quote(elb_role), "\"1\"");
    return tags;
  };
  auto subnet_block = [&](const char* tier, const char* elb_role) {
    std::string list = std::string("local.vpc_") + tier + "_subnet_cidrs";
    return top(
        "resource", {"aws_subnet", tier},
        hcl_body{}
            .set("count", "length(" + list + ")")
            .set("vpc_id", "aws_vpc.main.id")
            .set("cidr_block", list + "[count.index]")
            .set("availability_zone", "data.aws_availability_zones.available.names[count.index]")
            .flag("map_public_ip_on_launch", false)
            .map("tags", subnet_tags(tier, elb_role)));
  };
  auto route_table = [&](const char* tier, const char* target, const char* target_expression) {
    return top("resource", {"aws_route_table", tier},
               hcl_body{}
                   .set("vpc_id", "aws_vpc.main.id")
                   .block("route",
                          hcl_body{}.text("cidr_block", "0.0.0.0/0").set(target, target_expression))
                   .map("tags", in.tags(input::named(std::string(tier) + "-routes"))));
  };
  auto association = [&](const char* tier) {
    std::string subnets = std::string("aws_subnet.") + tier;
    return top("resource", {"aws_route_table_association", tier},
               hcl_body{}
                   .set("count", "length(" + subnets + ")")
                   .set("subnet_id", subnets + "[count.index].id")
                   .set("route_table_id", std::string("aws_route_table.") + tier + ".id"));
  };
  return render_file(
      "Network: a VPC with public and private subnets in " + std::to_string(in.azs()) +
          " availability zones and a NAT gateway.",
      {top("data", {"aws_availability_zones", "available"}, hcl_body{}.text("state", "available")),
       hcl_body{}.block("locals",
                        hcl_body{}
                            .set("vpc_public_subnet_cidrs", list_of_strings(public_cidrs))
                            .set("vpc_private_subnet_cidrs", list_of_strings(private_cidrs))),
       top("resource", {"aws_vpc", "main"},
           hcl_body{}
               .text("cidr_block", in.cidr())
               .flag("enable_dns_support", true)
               .flag("enable_dns_hostnames", true)
               .map("tags", in.tags(input::named("vpc")))),
       subnet_block("public", "kubernetes.io/role/elb"),
       subnet_block("private", "kubernetes.io/role/internal-elb"),
       top("resource", {"aws_internet_gateway", "main"},
           hcl_body{}.set("vpc_id", "aws_vpc.main.id").map("tags", in.tags(input::named("igw")))),
       top("resource", {"aws_eip", "nat"},
           hcl_body{}.text("domain", "vpc").map("tags", in.tags(input::named("nat")))),
       top("resource", {"aws_nat_gateway", "main"},
           hcl_body{}
               .set("allocation_id", "aws_eip.nat.id")
               .set("subnet_id", "aws_subnet.public[0].id")
               .map("tags", in.tags(input::named("nat")))
               .set("depends_on", "[aws_internet_gateway.main]")),
       route_table("public", "gateway_id", "aws_internet_gateway.main.id"),
       route_table("private", "nat_gateway_id", "aws_nat_gateway.main.id"), association("public"),
       association("private")});
}

/// aws_kms_key.main.arn when the kms component is rendered and encryption is asked for.
std::optional<std::string> aws_kms_key(const input& in) {
  if (in.req.encryption && in.has("kms")) return std::string("aws_kms_key.main.arn");
  return std::nullopt;
}

std::string render_aws_ec2(const input& in) {
  std::vector<hcl_body> parts;
  std::string vpc_id = "aws_vpc.main.id";
  std::string subnet_ids = "aws_subnet.private[*].id";
  if (!in.has("vpc")) {
    parts.push_back(variable("ec2_vpc_id", "VPC the instances run in.", "string"));
    parts.push_back(
        variable("ec2_subnet_ids", "Subnets the instances are spread over.", "list(string)"));
    vpc_id = "var.ec2_vpc_id";
    subnet_ids = "var.ec2_subnet_ids";
  }
  parts.push_back(top(
      "data", {"aws_ami", "ec2"},
      hcl_body{}
          .flag("most_recent", true)
          .set("owners", "[\"amazon\"]")
          .block("filter",
                 hcl_body{}.text("name", "name").set("values", "[\"al2023-ami-2023.*-x86_64\"]"))));
  parts.push_back(top("resource", {"aws_security_group", "ec2"},
                      hcl_body{}
                          .set("name", input::named("ec2"))
                          .text("description", "Application instances: outbound traffic only")
                          .set("vpc_id", vpc_id)
                          .block("egress", hcl_body{}
                                               .text("description", "All outbound traffic")
                                               .number("from_port", 0)
                                               .number("to_port", 0)
                                               .text("protocol", "-1")
                                               .set("cidr_blocks", "[\"0.0.0.0/0\"]"))
                          .map("tags", in.tags(input::named("ec2")))));
  hcl_body disk;
  disk.text("volume_type", "gp3").number("volume_size", 20).flag("encrypted", in.req.encryption);
  if (auto key = aws_kms_key(in)) disk.set("kms_key_id", *key);
  hcl_body instance;
  instance.number("count", in.req.instance_count)
      .set("ami", "data.aws_ami.ec2.id")
      .text("instance_type", in.req.instance_type.empty() ? "t3.micro" : in.req.instance_type)
      .set("subnet_id", "element(" + subnet_ids + ", count.index)")
      .set("vpc_security_group_ids", "[aws_security_group.ec2.id]");
  if (in.has("iam")) instance.set("iam_instance_profile", "aws_iam_instance_profile.app.name");
  instance.flag("monitoring", in.req.enable_logging)
      .block("metadata_options",
             hcl_body{}.text("http_endpoint", "enabled").text("http_tokens", "required"))
      .block("root_block_device", std::move(disk))
      .map("tags", in.tags("\"${local.name_prefix}-app-${count.index + 1}\""));
  parts.push_back(top("resource", {"aws_instance", "app"}, std::move(instance)));
  return render_file("Compute: " + std::to_string(in.req.instance_count) +
                         " EC2 instance(s) in the private subnets, reachable through SSM.",
                     parts);
}

hcl_body aws_role(const std::string& label, const std::string& suffix, std::string_view service,
                  const input& in) {
  return top("resource", {"aws_iam_role", label},
             hcl_body{}
                 .set("name", input::named(suffix))
                 .heredoc("assume_role_policy", assume_role_policy(service))
                 .map("tags", in.tags(input::named(suffix))));
}

std::string render_aws_eks(const input& in) {
  std::vector<hcl_body> parts;
  std::string subnet_ids = "aws_subnet.private[*].id";
  if (!in.has("vpc")) {
    parts.push_back(variable("eks_subnet_ids", "Private subnets of the cluster and its nodes.",
                             "list(string)"));
    subnet_ids = "var.eks_subnet_ids";
  }
  parts.push_back(aws_role("eks_cluster", "eks-cluster", "eks.amazonaws.com", in));
  parts.push_back(top("resource", {"aws_iam_role_policy_attachment", "eks_cluster"},
                      hcl_body{}
                          .set("role", "aws_iam_role.eks_cluster.name")
                          .text("policy_arn", "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy")));
  parts.push_back(aws_role("eks_nodes", "eks-nodes", "ec2.amazonaws.com", in));
  parts.push_back(top(
      "resource", {"aws_iam_role_policy_attachment", "eks_nodes"},
      hcl_body{}
          .set("for_each", "toset(" +
                               list_of_strings({"arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
                                                "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
                                                "arn:aws:iam::aws:policy/"
                                                "AmazonEC2ContainerRegistryReadOnly"}) +
                               ")")
          .set("role", "aws_iam_role.eks_nodes.name")
          .set("policy_arn", "each.value")));
  std::optional<std::string> key = aws_kms_key(in);
  if (in.req.encryption && !key) {
    parts.push_back(top("resource", {"aws_kms_key", "eks"},
                        hcl_body{}
                            .text("description", "Encrypts the Kubernetes secrets of " +
                                                     in.req.project + " " + in.environment)
                            .flag("enable_key_rotation", true)
                            .number("deletion_window_in_days", in.production ? 30 : 7)
                            .map("tags", in.tags(input::named("eks")))));
    key = "aws_kms_key.eks.arn";
  }
  hcl_body cluster;
  cluster.set("name", input::named("eks"))
      .set("role_arn", "aws_iam_role.eks_cluster.arn")
      .text("version", in.kubernetes_version());
  if (in.req.enable_logging)
    cluster.set("enabled_cluster_log_types", "[\"api\", \"audit\", \"authenticator\"]");
  cluster.block("vpc_config", hcl_body{}
                                  .set("subnet_ids", subnet_ids)
                                  .flag("endpoint_private_access", true)
                                  .flag("endpoint_public_access", in.req.public_access));
  if (key) {
    cluster.block("encryption_config", hcl_body{}
                                           .block("provider", hcl_body{}.set("key_arn", *key))
                                           .set("resources", "[\"secrets\"]"));
  }
  cluster.map("tags", in.tags(input::named("eks")))
      .set("depends_on", "[aws_iam_role_policy_attachment.eks_cluster]");
  parts.push_back(top("resource", {"aws_eks_cluster", "main"}, std::move(cluster)));
  int nodes = in.nodes();
  parts.push_back(top("resource", {"aws_eks_node_group", "main"},
                      hcl_body{}
                          .set("cluster_name", "aws_eks_cluster.main.name")
                          .set("node_group_name", input::named("nodes"))
                          .set("node_role_arn", "aws_iam_role.eks_nodes.arn")
                          .set("subnet_ids", subnet_ids)
                          .set("instance_types", list_of_strings({in.req.node_instance_type.empty()
                                                                      ? "t3.medium"
                                                                      : in.req.node_instance_type}))
                          .number("disk_size", 50)
                          .block("scaling_config", hcl_body{}
                                                       .number("desired_size", nodes)
                                                       .number("min_size", nodes)
                                                       .number("max_size", nodes * 2))
                          .block("update_config", hcl_body{}.number("max_unavailable", 1))
                          .map("tags", in.tags(input::named("nodes")))
                          .set("depends_on", "[aws_iam_role_policy_attachment.eks_nodes]")));
  return render_file("Kubernetes: an EKS " + in.kubernetes_version() + " cluster with " +
                         std::to_string(nodes) + " worker nodes.",
                     parts);
}

std::string render_aws_rds(const input& in) {
  std::vector<hcl_body> parts;
  std::string vpc_id = "aws_vpc.main.id";
  std::string subnet_ids = "aws_subnet.private[*].id";
  std::string client_cidr = "aws_vpc.main.cidr_block";
  if (!in.has("vpc")) {
    parts.push_back(variable("rds_vpc_id", "VPC the database runs in.", "string"));
    parts.push_back(variable("rds_subnet_ids", "Private subnets of the database (two or more).",
                             "list(string)"));
    vpc_id = "var.rds_vpc_id";
    subnet_ids = "var.rds_subnet_ids";
    client_cidr = hcl_quote(in.cidr());
  }
  const std::string engine = in.db_engine();
  const int port = in.db_port();
  parts.push_back(top("resource", {"aws_db_subnet_group", "main"},
                      hcl_body{}
                          .set("name", input::named("db"))
                          .set("subnet_ids", subnet_ids)
                          .map("tags", in.tags(input::named("db")))));
  parts.push_back(top("resource", {"aws_security_group", "rds"},
                      hcl_body{}
                          .set("name", input::named("db"))
                          .text("description", "Database: " + engine + " from inside the network")
                          .set("vpc_id", vpc_id)
                          .block("ingress", hcl_body{}
                                                .text("description", engine + " clients")
                                                .number("from_port", port)
                                                .number("to_port", port)
                                                .text("protocol", "tcp")
                                                .set("cidr_blocks", "[" + client_cidr + "]"))
                          .map("tags", in.tags(input::named("db")))));
  const int days = in.backup_days();
  hcl_body db;
  db.set("identifier", input::named("db"))
      .text("engine", engine)
      .text("engine_version", in.db_version())
      .text("instance_class",
            in.req.db_instance_class.empty() ? "db.t3.micro" : in.req.db_instance_class)
      .number("allocated_storage", in.req.storage_gb)
      .number("max_allocated_storage", in.req.storage_gb * 2)
      .text("storage_type", "gp3")
      .flag("storage_encrypted", in.req.encryption);
  if (auto key = aws_kms_key(in)) db.set("kms_key_id", *key);
  db.text("db_name", in.db_name())
      .text("username", "dbadmin")
      .flag("manage_master_user_password", true)
      .number("port", port)
      .flag("multi_az", in.multi_az())
      .set("db_subnet_group_name", "aws_db_subnet_group.main.name")
      .set("vpc_security_group_ids", "[aws_security_group.rds.id]")
      .flag("publicly_accessible", in.req.public_access)
      .number("backup_retention_period", days);
  if (days > 0) db.text("backup_window", "03:00-04:00");
  db.text("maintenance_window", "sun:04:30-sun:05:30")
      .flag("copy_tags_to_snapshot", true)
      .flag("auto_minor_version_upgrade", true)
      .flag("deletion_protection", in.production)
      .flag("skip_final_snapshot", !in.production);
  if (in.production) db.set("final_snapshot_identifier", input::named("db-final"));
  if (in.req.enable_logging) {
    db.set("enabled_cloudwatch_logs_exports",
           engine == "postgres" ? "[\"postgresql\", \"upgrade\"]" : "[\"error\", \"slowquery\"]");
  }
  db.map("tags", in.tags(input::named("db")));
  parts.push_back(top("resource", {"aws_db_instance", "main"}, std::move(db)));
  return render_file("Database: RDS " + engine + " " + in.db_version() + ", " +
                         std::to_string(in.req.storage_gb) + " GB, backups kept " +
                         std::to_string(days) + " days.",
                     parts);
}

std::string render_aws_s3(const input& in) {
  std::vector<hcl_body> parts;
  const int days = in.backup_days();
  parts.push_back(top("resource", {"aws_s3_bucket", "main"},
                      hcl_body{}
                          .set("bucket", input::named("data"))
                          .flag("force_destroy", !in.production)
                          .map("tags", in.tags(input::named("data")))));
  if (days > 0) {
    parts.push_back(
        top("resource", {"aws_s3_bucket_versioning", "main"},
            hcl_body{}
                .set("bucket", "aws_s3_bucket.main.id")
                .block("versioning_configuration", hcl_body{}.text("status", "Enabled"))));
  }
  if (in.req.encryption) {
    hcl_body by_default;
    auto key = aws_kms_key(in);
    by_default.text("sse_algorithm", key ? "aws:kms" : "AES256");
    if (key) by_default.set("kms_master_key_id", *key);
    hcl_body rule;
    rule.block("apply_server_side_encryption_by_default", std::move(by_default));
    if (key) rule.flag("bucket_key_enabled", true);
    parts.push_back(
        top("resource", {"aws_s3_bucket_server_side_encryption_configuration", "main"},
            hcl_body{}.set("bucket", "aws_s3_bucket.main.id").block("rule", std::move(rule))));
  }
  if (days > 0) {
    parts.push_back(
        top("resource", {"aws_s3_bucket_lifecycle_configuration", "main"},
            hcl_body{}
                .set("bucket", "aws_s3_bucket.main.id")
                .block("rule", hcl_body{}
                                   .text("id", "expire-old-versions")
                                   .text("status", "Enabled")
                                   .block("filter", hcl_body{})
                                   .block("noncurrent_version_expiration",
                                          hcl_body{}.number("noncurrent_days", days))
                                   .block("abort_incomplete_multipart_upload",
                                          hcl_body{}.number("days_after_initiation", 7)))
                .set("depends_on", "[aws_s3_bucket_versioning.main]")));
  }
  return render_file(
      "Storage: an S3 bucket" +
          std::string(days > 0 ? ", versioned, old versions kept " + std::to_string(days) + " days."
                               : "."),
      parts);
}

std::string render_aws_iam(const input& in) {
  std::vector<hcl_body> parts;
  parts.push_back(aws_role("app", "app", "ec2.amazonaws.com", in));
  parts.push_back(
      top("resource", {"aws_iam_role_policy_attachment", "app_ssm"},
          hcl_body{}
              .set("role", "aws_iam_role.app.name")
              .text("policy_arn", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")));
  parts.push_back(top("resource", {"aws_iam_instance_profile", "app"},
                      hcl_body{}
                          .set("name", input::named("app"))
                          .set("role", "aws_iam_role.app.name")
                          .map("tags", in.tags(input::named("app")))));
  if (in.has("s3")) {
    parts.push_back(
        top("resource", {"aws_iam_role_policy", "app_data"},
            hcl_body{}
                .text("name", "data-bucket")
                .set("role", "aws_iam_role.app.id")
                .set("policy",
                     "jsonencode({ Version = \"2012-10-17\", Statement = [{ Effect = \"Allow\", "
                     "Action = [\"s3:GetObject\", \"s3:PutObject\", \"s3:ListBucket\"], Resource = "
                     "[aws_s3_bucket.main.arn, \"${aws_s3_bucket.main.arn}/*\"] }] })")));
  }
  return render_file("Identity: the application's IAM role and instance profile.", parts);
}

std::string render_aws_kms(const input& in) {
  return render_file(
      "Encryption: a customer managed KMS key with yearly rotation.",
      {top("resource", {"aws_kms_key", "main"},
           hcl_body{}
               .text("description", "Encrypts the data of " + in.req.project + " " + in.environment)
               .flag("enable_key_rotation", true)
               .number("deletion_window_in_days", in.production ? 30 : 7)
               .map("tags", in.tags(input::named("key")))),
       top("resource", {"aws_kms_alias", "main"},
           hcl_body{}
               .set("name", "\"alias/${local.name_prefix}\"")
               .set("target_key_id", "aws_kms_key.main.key_id"))});
}

hcl_body aws_alarm(const input& in, const std::string& label, const std::string& description,
                   const std::string& name_suffix, const std::string& metric_namespace,
                   const std::string& metric, const std::string& comparison,
                   const std::string& threshold,
                   std::vector<std::pair<std::string, std::string>> dimensions, bool counted) {
  hcl_body alarm;
  if (counted) alarm.number("count", in.req.instance_count);
  alarm
      .set("alarm_name", counted ? "\"${local.name_prefix}-" + name_suffix + "-${count.index + 1}\""
                                 : input::named(name_suffix))
      .text("alarm_description", description)
      .text("namespace", metric_namespace)
      .text("metric_name", metric)
      .text("statistic", "Average")
      .number("period", 300)
      .number("evaluation_periods", 3)
      .set("threshold", threshold)
      .text("comparison_operator", comparison)
      .map("dimensions", std::move(dimensions))
      .set("alarm_actions", "[aws_sns_topic.alerts.arn]")
      .map("tags", in.tags(input::named(name_suffix)));
  return top("resource", {"aws_cloudwatch_metric_alarm", label}, std::move(alarm));
}

std::string render_aws_cloudwatch(const input& in) {
  std::vector<hcl_body> parts;
  parts.push_back(top("resource", {"aws_cloudwatch_log_group", "app"},
                      hcl_body{}
                          .set("name", "\"/${local.name_prefix}/app\"")
                          .number("retention_in_days", in.production ? 90 : 30)
                          .map("tags", in.tags(input::named("app-logs")))));
  hcl_body topic;
  topic.set("name", input::named("alerts"));
  if (in.req.encryption) topic.text("kms_master_key_id", "alias/aws/sns");
  topic.map("tags", in.tags(input::named("alerts")));
  parts.push_back(top("resource", {"aws_sns_topic", "alerts"}, std::move(topic)));
  constexpr int cpu_alarm_percent = 80;
  constexpr long long bytes_per_gb = 1024LL * 1024 * 1024;
  if (in.has("ec2")) {
    parts.push_back(aws_alarm(in, "ec2_cpu", "An application instance runs above 80% CPU",
                              "ec2-cpu", "AWS/EC2", "CPUUtilization", "GreaterThanThreshold",
                              std::to_string(cpu_alarm_percent),
                              {{"InstanceId", "aws_instance.app[count.index].id"}}, true));
  }
  if (in.has("rds")) {
    parts.push_back(
        aws_alarm(in, "rds_cpu", "The database runs above 80% CPU", "db-cpu", "AWS/RDS",
                  "CPUUtilization", "GreaterThanThreshold", std::to_string(cpu_alarm_percent),
                  {{"DBInstanceIdentifier", "aws_db_instance.main.identifier"}}, false));
    // Alarm when less than a tenth of the allocated storage is free.
    parts.push_back(aws_alarm(in, "rds_storage", "The database has less than 10% storage free",
                              "db-storage", "AWS/RDS", "FreeStorageSpace", "LessThanThreshold",
                              std::to_string(in.req.storage_gb * bytes_per_gb / 10),
                              {{"DBInstanceIdentifier", "aws_db_instance.main.identifier"}},
                              false));
  }
  return render_file("Monitoring: an application log group, an alert topic and alarms.", parts);
}

// ---- gcp --------------------------------------------------------------------------

std::string render_gcp_vpc(const input& in) {
  hcl_body subnetwork;
  subnetwork.set("name", input::named("private"))
      .set("region", "var.region")
      .set("network", "google_compute_network.main.id")
      .text("ip_cidr_range", in.tier_subnet(0))
      .flag("private_ip_google_access", true);
  if (in.has("gke")) {
    // Pods take a quarter of the network, services one sixteenth.
    subnetwork
        .block("secondary_ip_range",
               hcl_body{}
                   .text("range_name", "pods")
                   .text("ip_cidr_range", subnet(in.network, in.network.prefix + 2, 1)))
        .block("secondary_ip_range",
               hcl_body{}.text("range_name", "services").text("ip_cidr_range", in.tier_subnet(1)));
  }
  hcl_body firewall;
  firewall.set("name", input::named("allow-internal"))
      .set("network", "google_compute_network.main.name")
      .text("direction", "INGRESS")
      .set("source_ranges", list_of_strings({in.cidr()}));
  for (const char* protocol : {"tcp", "udp", "icmp"})
    firewall.block("allow", hcl_body{}.text("protocol", protocol));
  return render_file(
      "Network: a VPC network with a private subnetwork and Cloud NAT.",
      {top("resource", {"google_compute_network", "main"},
           hcl_body{}
               .set("name", input::named("vpc"))
               .flag("auto_create_subnetworks", false)
               .text("routing_mode", "REGIONAL")),
       top("resource", {"google_compute_subnetwork", "private"}, std::move(subnetwork)),
       top("resource", {"google_compute_router", "main"},
           hcl_body{}
               .set("name", input::named("router"))
               .set("region", "var.region")
               .set("network", "google_compute_network.main.id")),
       top("resource", {"google_compute_router_nat", "main"},
           hcl_body{}
               .set("name", input::named("nat"))
               .set("router", "google_compute_router.main.name")
               .set("region", "var.region")
               .text("nat_ip_allocate_option", "AUTO_ONLY")
               .text("source_subnetwork_ip_ranges_to_nat", "ALL_SUBNETWORKS_ALL_IP_RANGES")),
       top("resource", {"google_compute_firewall", "internal"}, std::move(firewall))});
}

/// A service account id: 6 to 30 lower-case letters, digits and hyphens.
std::string service_account_id(const input& in, const std::string& suffix) {
  std::string base = slug(in.prefix, 29 - suffix.size());
  std::string id = base + "-" + suffix;
  while (id.size() < 6) id += "0";
  return id;
}

hcl_body gcp_project_roles(const std::string& label, const std::string& account,
                           const std::vector<std::string>& roles) {
  return top(
      "resource", {"google_project_iam_member", label},
      hcl_body{}
          .set("for_each", "toset(" + list_of_strings(roles) + ")")
          .set("project", "var.project_id")
          .set("role", "each.value")
          .set("member", "\"serviceAccount:${google_service_account." + account + ".email}\""));
}

std::string render_gcp_gke(const input& in) {
  std::vector<hcl_body> parts;
  std::string network = "google_compute_network.main.id";
  std::string subnetwork = "google_compute_subnetwork.private.id";
  if (!in.has("vpc")) {
    parts.push_back(variable("gke_network", "VPC network of the cluster.", "string"));
    parts.push_back(variable("gke_subnetwork", "Subnetwork of the cluster's nodes.", "string"));
    network = "var.gke_network";
    subnetwork = "var.gke_subnetwork";
  }
  parts.push_back(
      top("resource", {"google_service_account", "gke_nodes"},
          hcl_body{}
              .text("account_id", service_account_id(in, "gke"))
              .text("display_name", "GKE nodes of " + in.req.project + " " + in.environment)));
  parts.push_back(gcp_project_roles("gke_nodes", "gke_nodes",
                                    {"roles/logging.logWriter", "roles/monitoring.metricWriter",
                                     "roles/monitoring.viewer", "roles/artifactregistry.reader"}));
  hcl_body ip_allocation;
  if (in.has("vpc")) {
    ip_allocation.text("cluster_secondary_range_name", "pods")
        .text("services_secondary_range_name", "services");
  } else {
    ip_allocation.text("cluster_ipv4_cidr_block", "/16").text("services_ipv4_cidr_block", "/22");
  }
  parts.push_back(
      top("resource", {"google_container_cluster", "main"},
          hcl_body{}
              .set("name", input::named("gke"))
              .set("location", "var.region")
              .set("network", network)
              .set("subnetwork", subnetwork)
              .text("min_master_version", in.kubernetes_version())
              .flag("remove_default_node_pool", true)
              .number("initial_node_count", 1)
              .text("networking_mode", "VPC_NATIVE")
              .flag("deletion_protection", in.production)
              .text("logging_service",
                    in.req.enable_logging ? "logging.googleapis.com/kubernetes" : "none")
              .text("monitoring_service", "monitoring.googleapis.com/kubernetes")
              .map("resource_labels", in.labels("gke"))
              .block("ip_allocation_policy", std::move(ip_allocation))
              .block("private_cluster_config",
                     hcl_body{}
                         .flag("enable_private_nodes", true)
                         .flag("enable_private_endpoint", !in.req.public_access)
                         .text("master_ipv4_cidr_block", "172.16.0.0/28"))
              .block("workload_identity_config",
                     hcl_body{}.set("workload_pool", "\"${var.project_id}.svc.id.goog\""))));
  int nodes = in.nodes();
  parts.push_back(top(
      "resource", {"google_container_node_pool", "main"},
      hcl_body{}
          .set("name", input::named("nodes"))
          .set("cluster", "google_container_cluster.main.id")
          .set("location", "var.region")
          .number("initial_node_count", 1)
          .block("autoscaling", hcl_body{}
                                    .number("total_min_node_count", nodes)
                                    .number("total_max_node_count", nodes * 2)
                                    .text("location_policy", "BALANCED"))
          .block("management", hcl_body{}.flag("auto_repair", true).flag("auto_upgrade", true))
          .block(
              "node_config",
              hcl_body{}
                  .text("machine_type", in.req.node_instance_type.empty()
                                            ? "e2-standard-2"
                                            : in.req.node_instance_type)
                  .number("disk_size_gb", 50)
                  .text("disk_type", "pd-balanced")
                  .set("service_account", "google_service_account.gke_nodes.email")
                  .set("oauth_scopes", "[\"https://www.googleapis.com/auth/cloud-platform\"]")
                  .map("resource_labels", in.labels("nodes"))
                  .block("shielded_instance_config", hcl_body{}
                                                         .flag("enable_secure_boot", true)
                                                         .flag("enable_integrity_monitoring", true))
                  .block("workload_metadata_config", hcl_body{}.text("mode", "GKE_METADATA")))));
  return render_file("Kubernetes: a regional GKE " + in.kubernetes_version() +
                         " cluster with a node pool of " + std::to_string(nodes) + " to " +
                         std::to_string(nodes * 2) + " nodes.",
                     parts);
}

std::string render_gcp_gcs(const input& in) {
  const int days = in.backup_days();
  hcl_body bucket;
  bucket.set("name", input::named("data"))
      .set("location", "var.region")
      .text("storage_class", "STANDARD")
      .flag("uniform_bucket_level_access", true)
      .flag("force_destroy", !in.production)
      .map("labels", in.labels("data"))
      .block("versioning", hcl_body{}.flag("enabled", days > 0));
  if (days > 0) {
    bucket.block("lifecycle_rule",
                 hcl_body{}
                     .block("condition", hcl_body{}.number("days_since_noncurrent_time", days))
                     .block("action", hcl_body{}.text("type", "Delete")));
  }
  return render_file(
      "Storage: a Cloud Storage bucket, encrypted at rest with Google-managed keys" +
          std::string(days > 0 ? ", old versions kept " + std::to_string(days) + " days." : "."),
      {top("resource", {"google_storage_bucket", "main"}, std::move(bucket))});
}

std::string cloudsql_version(const input& in) {
  std::string engine = in.db_engine() == "mysql" ? "MYSQL" : "POSTGRES";
  std::string version = in.db_version();
  if (engine == "POSTGRES") version = version.substr(0, version.find('.'));
  std::replace(version.begin(), version.end(), '.', '_');
  return engine + "_" + version;
}

std::string render_gcp_cloudsql(const input& in) {
  std::vector<hcl_body> parts;
  std::string network = "google_compute_network.main.id";
  if (in.has("vpc")) {
    parts.push_back(top("resource", {"google_compute_global_address", "cloudsql_private_services"},
                        hcl_body{}
                            .set("name", input::named("sql-peering"))
                            .text("purpose", "VPC_PEERING")
                            .text("address_type", "INTERNAL")
                            .number("prefix_length", 16)
                            .set("network", "google_compute_network.main.id")));
    parts.push_back(
        top("resource", {"google_service_networking_connection", "cloudsql"},
            hcl_body{}
                .set("network", "google_compute_network.main.id")
                .text("service", "servicenetworking.googleapis.com")
                .set("reserved_peering_ranges",
                     "[google_compute_global_address.cloudsql_private_services.name]")));
  } else {
    parts.push_back(variable("cloudsql_network",
                             "VPC network (self link) the database is reached from.", "string"));
    network = "var.cloudsql_network";
  }
  const bool postgres = in.db_engine() != "mysql";
  const int days = in.backup_days();
  constexpr int max_log_retention_days = 7;  // Cloud SQL keeps transaction logs 1 to 7 days
  hcl_body backup;
  backup.flag("enabled", days > 0).text("start_time", "03:00");
  backup.flag(postgres ? "point_in_time_recovery_enabled" : "binary_log_enabled", days > 0);
  if (days > 0) {
    backup.number("transaction_log_retention_days", std::min(days, max_log_retention_days))
        .block("backup_retention_settings",
               hcl_body{}.number("retained_backups", days).text("retention_unit", "COUNT"));
  }
  std::string tier = in.req.db_instance_class;
  if (tier.empty()) tier = in.production || in.multi_az() ? "db-custom-2-7680" : "db-f1-micro";
  constexpr int min_disk_gb = 10;
  hcl_body settings;
  settings.text("tier", tier)
      .text("availability_type", in.multi_az() ? "REGIONAL" : "ZONAL")
      .text("disk_type", "PD_SSD")
      .number("disk_size", std::max(in.req.storage_gb, min_disk_gb))
      .flag("disk_autoresize", true)
      .map("user_labels", in.labels("db"))
      .block("backup_configuration", std::move(backup))
      .block("ip_configuration", hcl_body{}
                                     .flag("ipv4_enabled", in.req.public_access)
                                     .set("private_network", network)
                                     .text("ssl_mode", "ENCRYPTED_ONLY"));
  if (in.req.enable_logging && postgres) {
    for (const char* flag : {"log_connections", "log_disconnections", "log_checkpoints"})
      settings.block("database_flags", hcl_body{}.text("name", flag).text("value", "on"));
  }
  settings.block("insights_config",
                 hcl_body{}.flag("query_insights_enabled", in.req.enable_logging));
  hcl_body instance;
  instance.set("name", input::named("db"))
      .text("database_version", cloudsql_version(in))
      .set("region", "var.region")
      .flag("deletion_protection", in.production)
      .block("settings", std::move(settings));
  if (in.has("vpc")) instance.set("depends_on", "[google_service_networking_connection.cloudsql]");
  parts.push_back(top("resource", {"google_sql_database_instance", "main"}, std::move(instance)));
  parts.push_back(top("resource", {"google_sql_database", "main"},
                      hcl_body{}
                          .text("name", in.db_name())
                          .set("instance", "google_sql_database_instance.main.name")));
  return render_file("Database: Cloud SQL " + cloudsql_version(in) + ", " +
                         std::to_string(in.req.storage_gb) + " GB, reached over private IP.",
                     parts);
}

std::string render_gcp_iam(const input& in) {
  std::vector<hcl_body> parts;
  parts.push_back(
      top("resource", {"google_service_account", "app"},
          hcl_body{}
              .text("account_id", service_account_id(in, "app"))
              .text("display_name", "Application of " + in.req.project + " " + in.environment)));
  std::vector<std::string> roles = {"roles/logging.logWriter", "roles/monitoring.metricWriter"};
  if (in.has("cloudsql")) roles.push_back("roles/cloudsql.client");
  parts.push_back(gcp_project_roles("app", "app", roles));
  if (in.has("gcs")) {
    parts.push_back(
        top("resource", {"google_storage_bucket_iam_member", "app_data"},
            hcl_body{}
                .set("bucket", "google_storage_bucket.main.name")
                .text("role", "roles/storage.objectAdmin")
                .set("member", "\"serviceAccount:${google_service_account.app.email}\"")));
  }
  return render_file("Identity: the application's service account and its roles.", parts);
}

// ---- azure ------------------------------------------------------------------------

constexpr uint32_t azure_app_subnet = 0;
constexpr uint32_t azure_aks_subnet = 1;
constexpr uint32_t azure_postgres_subnet = 2;

/// name, location and resource_group_name of an azure resource.
hcl_body azure_placed(std::string name_expression) {
  return hcl_body{}
      .set("name", std::move(name_expression))
      .set("location", "azurerm_resource_group.main.location")
      .set("resource_group_name", "azurerm_resource_group.main.name");
}

hcl_body azure_subnet(const input& in, const std::string& label, uint32_t index) {
  return hcl_body{}
      .text("name", label)
      .set("resource_group_name", "azurerm_resource_group.main.name")
      .set("virtual_network_name", "azurerm_virtual_network.main.name")
      .set("address_prefixes", list_of_strings({in.tier_subnet(index)}));
}

std::string render_azure_vnet(const input& in) {
  return render_file(
      "Network: a virtual network with an application subnet behind a NAT gateway.",
      {top("resource", {"azurerm_virtual_network", "main"},
           azure_placed(input::named("vnet"))
               .set("address_space", list_of_strings({in.cidr()}))
               .map("tags", in.tags(input::named("vnet")))),
       top("resource", {"azurerm_subnet", "app"}, azure_subnet(in, "app", azure_app_subnet)),
       top("resource", {"azurerm_network_security_group", "app"},
           azure_placed(input::named("app-nsg")).map("tags", in.tags(input::named("app-nsg")))),
       top("resource", {"azurerm_subnet_network_security_group_association", "app"},
           hcl_body{}
               .set("subnet_id", "azurerm_subnet.app.id")
               .set("network_security_group_id", "azurerm_network_security_group.app.id")),
       top("resource", {"azurerm_public_ip", "nat"},
           azure_placed(input::named("nat-ip"))
               .text("allocation_method", "Static")
               .text("sku", "Standard")
               .map("tags", in.tags(input::named("nat-ip")))),
       top("resource", {"azurerm_nat_gateway", "main"},
           azure_placed(input::named("nat"))
               .text("sku_name", "Standard")
               .map("tags", in.tags(input::named("nat")))),
       top("resource", {"azurerm_nat_gateway_public_ip_association", "main"},
           hcl_body{}
               .set("nat_gateway_id", "azurerm_nat_gateway.main.id")
               .set("public_ip_address_id", "azurerm_public_ip.nat.id")),
       top("resource", {"azurerm_subnet_nat_gateway_association", "app"},
           hcl_body{}
               .set("subnet_id", "azurerm_subnet.app.id")
               .set("nat_gateway_id", "azurerm_nat_gateway.main.id"))});
}

std::string render_azure_aks(const input& in) {
  std::vector<hcl_body> parts;
  std::string subnet_id = "azurerm_subnet.aks.id";
  if (in.has("vnet")) {
    parts.push_back(
        top("resource", {"azurerm_subnet", "aks"}, azure_subnet(in, "aks", azure_aks_subnet)));
  } else {
    parts.push_back(variable("aks_subnet_id", "Subnet of the cluster's nodes.", "string"));
    subnet_id = "var.aks_subnet_id";
  }
  if (in.req.enable_logging) {
    parts.push_back(top("resource", {"azurerm_log_analytics_workspace", "aks"},
                        azure_placed(input::named("aks-logs"))
                            .text("sku", "PerGB2018")
                            .number("retention_in_days", in.production ? 90 : 30)
                            .map("tags", in.tags(input::named("aks-logs")))));
  }
  const int nodes = in.nodes();
  hcl_body pool;
  pool.text("name", "system")
      .number("node_count", nodes)
      .text("vm_size",
            in.req.node_instance_type.empty() ? "Standard_D2s_v3" : in.req.node_instance_type)
      .set("vnet_subnet_id", subnet_id)
      .number("os_disk_size_gb", 64);
  if (in.multi_az()) pool.set("zones", "[\"1\", \"2\", \"3\"]");
  // Kubernetes services get their own range, which must not overlap the network.
  ipv4_network default_services = *parse_cidr("172.20.0.0/16");
  bool clash = overlaps(default_services, in.network);
  hcl_body cluster = azure_placed(input::named("aks"));
  cluster.text("dns_prefix", slug(in.prefix, 54))
      .text("kubernetes_version", in.kubernetes_version())
      .text("sku_tier", in.production ? "Standard" : "Free")
      .flag("private_cluster_enabled", !in.req.public_access)
      .flag("role_based_access_control_enabled", true)
      .flag("oidc_issuer_enabled", true)
      .flag("workload_identity_enabled", true)
      .block("default_node_pool", std::move(pool))
      .block("identity", hcl_body{}.text("type", "SystemAssigned"))
      .block("network_profile",
             hcl_body{}
                 .text("network_plugin", "azure")
                 .text("network_policy", "azure")
                 .text("service_cidr", clash ? "192.168.0.0/20" : "172.20.0.0/16")
                 .text("dns_service_ip", clash ? "192.168.0.10" : "172.20.0.10"));
  if (in.req.enable_logging) {
    cluster.block("oms_agent", hcl_body{}.set("log_analytics_workspace_id",
                                              "azurerm_log_analytics_workspace.aks.id"));
  }
  cluster.map("tags", in.tags(input::named("aks")));
  parts.push_back(top("resource", {"azurerm_kubernetes_cluster", "main"}, std::move(cluster)));
  return render_file("Kubernetes: an AKS " + in.kubernetes_version() + " cluster with " +
                         std::to_string(nodes) + " system nodes.",
                     parts);
}

std::string render_azure_storage(const input& in) {
  const int days = in.backup_days();
  constexpr int max_retention_days = 365;
  hcl_body blobs;
  blobs.flag("versioning_enabled", days > 0);
  if (days > 0) {
    int kept = std::min(days, max_retention_days);
    blobs.block("delete_retention_policy", hcl_body{}.number("days", kept))
        .block("container_delete_retention_policy", hcl_body{}.number("days", kept));
  }
  return render_file(
      "Storage: a StorageV2 account with a private blob container.",
      {top("resource", {"azurerm_storage_account", "main"},
           hcl_body{}
               .text("name", "st" + alnum_name(in.prefix, 22))
               .set("resource_group_name", "azurerm_resource_group.main.name")
               .set("location", "azurerm_resource_group.main.location")
               .text("account_kind", "StorageV2")
               .text("account_tier", "Standard")
               .text("account_replication_type", in.multi_az() ? "ZRS" : "LRS")
               .text("min_tls_version", "TLS1_2")
               .flag("enable_https_traffic_only", true)
               .flag("allow_nested_items_to_be_public", in.req.public_access)
               .flag("infrastructure_encryption_enabled", in.req.encryption)
               .block("blob_properties", std::move(blobs))
               .map("tags", in.tags(input::named("storage")))),
       top("resource", {"azurerm_storage_container", "data"},
           hcl_body{}
               .text("name", "data")
               .set("storage_account_name", "azurerm_storage_account.main.name")
               .text("container_access_type", in.req.public_access ? "blob" : "private"))});
}

/// The smallest storage size a flexible server offers that holds storage_gb.
int postgres_storage_mb(int storage_gb) {
  static const int sizes_mb[] = {32768,   65536,   131072,  262144,   524288,  1048576,
                                 2097152, 4194304, 8388608, 16777216, 33553408};
  for (int mb : sizes_mb)
    if (mb >= storage_gb * 1024) return mb;
  return sizes_mb[std::size(sizes_mb) - 1];
}

std::string render_azure_postgres(const input& in) {
  std::vector<hcl_body> parts;
  std::optional<std::string> subnet_id, dns_zone_id;
  if (in.has("vnet")) {
    parts.push_back(
        top("resource", {"azurerm_subnet", "postgres"},
            azure_subnet(in, "postgres", azure_postgres_subnet)
                .set("service_endpoints", "[\"Microsoft.Storage\"]")
                .block("delegation",
                       hcl_body{}
                           .text("name", "postgres-flexible-server")
                           .block("service_delegation",
                                  hcl_body{}
                                      .text("name", "Microsoft.DBforPostgreSQL/flexibleServers")
                                      .set("actions",
                                           "[\"Microsoft.Network/virtualNetworks/subnets/join/"
                                           "action\"]")))));
    parts.push_back(top("resource", {"azurerm_private_dns_zone", "postgres"},
                        hcl_body{}
                            .text("name", in.prefix + ".postgres.database.azure.com")
                            .set("resource_group_name", "azurerm_resource_group.main.name")
                            .map("tags", in.tags(input::named("postgres-dns")))));
    parts.push_back(top("resource", {"azurerm_private_dns_zone_virtual_network_link", "postgres"},
                        hcl_body{}
                            .set("name", input::named("postgres-dns"))
                            .set("private_dns_zone_name", "azurerm_private_dns_zone.postgres.name")
                            .set("virtual_network_id", "azurerm_virtual_network.main.id")
                            .set("resource_group_name", "azurerm_resource_group.main.name")));
    subnet_id = "azurerm_subnet.postgres.id";
    dns_zone_id = "azurerm_private_dns_zone.postgres.id";
  } else if (!in.req.public_access) {
    parts.push_back(variable("postgres_subnet_id",
                             "Subnet delegated to Microsoft.DBforPostgreSQL/flexibleServers.",
                             "string"));
    parts.push_back(variable("postgres_private_dns_zone_id",
                             "Private DNS zone (*.postgres.database.azure.com) of the server.",
                             "string"));
    subnet_id = "var.postgres_subnet_id";
    dns_zone_id = "var.postgres_private_dns_zone_id";
  }
  // Azure keeps flexible server backups 7 to 35 days.
  constexpr int min_backup_days = 7;
  constexpr int max_backup_days = 35;
  const int days = std::clamp(in.backup_days(), min_backup_days, max_backup_days);
  std::string version = in.db_version();
  version = version.substr(0, version.find('.'));
  std::string sku = in.req.db_instance_class;
  if (sku.empty())  // burstable servers offer no high availability
    sku = in.production || in.multi_az() ? "GP_Standard_D2s_v3" : "B_Standard_B1ms";
  hcl_body server = azure_placed(input::named("pg"));
  server.text("version", version)
      .text("sku_name", sku)
      .number("storage_mb", postgres_storage_mb(in.req.storage_gb))
      .number("backup_retention_days", days)
      .flag("geo_redundant_backup_enabled", in.production)
      .text("zone", "1");
  if (subnet_id)
    server.set("delegated_subnet_id", *subnet_id).set("private_dns_zone_id", *dns_zone_id);
  if (in.multi_az()) {
    server.block("high_availability",
                 hcl_body{}.text("mode", "ZoneRedundant").text("standby_availability_zone", "2"));
  }
  server
      .block("authentication",
             hcl_body{}
                 .flag("active_directory_auth_enabled", true)
                 .flag("password_auth_enabled", false)
                 .set("tenant_id", "data.azurerm_client_config.current.tenant_id"))
      .map("tags", in.tags(input::named("pg")))
      .block("lifecycle", hcl_body{}.set("ignore_changes", "[zone]"));
  if (in.has("vnet")) {
    server.set("depends_on", "[azurerm_private_dns_zone_virtual_network_link.postgres]");
  }
  parts.push_back(
      top("resource", {"azurerm_postgresql_flexible_server", "main"}, std::move(server)));
  parts.push_back(top("resource", {"azurerm_postgresql_flexible_server_database", "app"},
                      hcl_body{}
                          .text("name", in.db_name())
                          .set("server_id", "azurerm_postgresql_flexible_server.main.id")
                          .text("charset", "UTF8")
                          .text("collation", "en_US.utf8")));
  if (in.req.enable_logging) {
    parts.push_back(top("resource",
                        {"azurerm_postgresql_flexible_server_configuration", "log_connections"},
                        hcl_body{}
                            .text("name", "log_connections")
                            .set("server_id", "azurerm_postgresql_flexible_server.main.id")
                            .text("value", "on")));
  }
  return render_file("Database: Azure Database for PostgreSQL flexible server " + version +
                         ", backups kept " + std::to_string(days) + " days.",
                     parts);
}

std::string render_azure_keyvault(const input& in) {
  return render_file(
      "Secrets: a Key Vault using Azure RBAC, administered by the deploying identity.",
      {top("resource", {"azurerm_key_vault", "main"},
           azure_placed(hcl_quote("kv-" + slug(in.prefix, 21)))
               .set("tenant_id", "data.azurerm_client_config.current.tenant_id")
               .text("sku_name", "standard")
               .number("soft_delete_retention_days", in.production ? 90 : 7)
               .flag("purge_protection_enabled", in.production)
               .flag("enable_rbac_authorization", true)
               .block("network_acls",
                      hcl_body{}
                          .text("default_action", in.req.public_access ? "Allow" : "Deny")
                          .text("bypass", "AzureServices"))
               .map("tags", in.tags(input::named("kv")))),
       top("resource", {"azurerm_role_assignment", "keyvault_admin"},
           hcl_body{}
               .set("scope", "azurerm_key_vault.main.id")
               .text("role_definition_name", "Key Vault Administrator")
               .set("principal_id", "data.azurerm_client_config.current.object_id"))});
}

// ---- the registry of templates -----------------------------------------------------

using renderer = std::string (*)(const input&);

struct template_entry {
  cloud_provider provider;
  const char* component;
  renderer render;
};

const template_entry templates[] = {
    {cloud_provider::aws, "vpc", render_aws_vpc},
    {cloud_provider::aws, "ec2", render_aws_ec2},
    {cloud_provider::aws, "eks", render_aws_eks},
    {cloud_provider::aws, "rds", render_aws_rds},
    {cloud_provider::aws, "s3", render_aws_s3},
    {cloud_provider::aws, "iam", render_aws_iam},
    {cloud_provider::aws, "kms", render_aws_kms},
    {cloud_provider::aws, "cloudwatch", render_aws_cloudwatch},
    {cloud_provider::gcp, "vpc", render_gcp_vpc},
    {cloud_provider::gcp, "gke", render_gcp_gke},
    {cloud_provider::gcp, "gcs", render_gcp_gcs},
    {cloud_provider::gcp, "cloudsql", render_gcp_cloudsql},
    {cloud_provider::gcp, "iam", render_gcp_iam},
    {cloud_provider::azure, "vnet", render_azure_vnet},
    {cloud_provider::azure, "aks", render_azure_aks},
    {cloud_provider::azure, "storage", render_azure_storage},
    {cloud_provider::azure, "postgres", render_azure_postgres},
    {cloud_provider::azure, "keyvault", render_azure_keyvault},
};

const template_entry* find_template(cloud_provider provider, std::string_view component) {
  for (const auto& t : templates)
    if (t.provider == provider && component == t.component) return &t;
  return nullptr;
}

/// The context's components that have a template, without repeats, in the context's order.
std::vector<std::string> rendered_components(const task_context& context) {
  std::vector<std::string> out;
  for (const auto& c : context.components)
    if (has_template(context.provider, c) && std::find(out.begin(), out.end(), c) == out.end())
      out.push_back(c);
  return out;
}

// ---- outputs ------------------------------------------------------------------------

struct output_spec {
  const char* name;
  const char* description;
  const char* value;
  bool sensitive;
};

std::vector<output_spec> outputs_of(cloud_provider provider, const std::string& component) {
  using o = output_spec;
  switch (provider) {
    case cloud_provider::aws:
      if (component == "vpc")
        return {
            o{"vpc_id", "ID of the VPC.", "aws_vpc.main.id", false},
            o{"private_subnet_ids", "IDs of the private subnets.", "aws_subnet.private[*].id",
              false},
            o{"public_subnet_ids", "IDs of the public subnets.", "aws_subnet.public[*].id", false}};
      if (component == "ec2")
        return {
            o{"instance_ids", "IDs of the application instances.", "aws_instance.app[*].id", false},
            o{"instance_private_ips", "Private IP addresses of the application instances.",
              "aws_instance.app[*].private_ip", false}};
      if (component == "eks")
        return {o{"cluster_name", "Name of the EKS cluster.", "aws_eks_cluster.main.name", false},
                o{"cluster_endpoint", "Endpoint of the Kubernetes API.",
                  "aws_eks_cluster.main.endpoint", false},
                o{"cluster_certificate_authority_data",
                  "CA certificate of the Kubernetes API (base64).",
                  "aws_eks_cluster.main.certificate_authority[0].data", false}};
      if (component == "rds")
        return {
            o{"db_endpoint", "Address and port of the database.", "aws_db_instance.main.endpoint",
              false},
            o{"db_port", "Port of the database.", "aws_db_instance.main.port", false},
            o{"db_master_user_secret_arn", "Secrets Manager secret holding the master password.",
              "aws_db_instance.main.master_user_secret[0].secret_arn", false}};
      if (component == "s3")
        return {o{"bucket_name", "Name of the data bucket.", "aws_s3_bucket.main.id", false},
                o{"bucket_arn", "ARN of the data bucket.", "aws_s3_bucket.main.arn", false}};
      if (component == "iam")
        return {o{"app_role_arn", "ARN of the application role.", "aws_iam_role.app.arn", false},
                o{"app_instance_profile_name", "Instance profile of the application role.",
                  "aws_iam_instance_profile.app.name", false}};
      if (component == "kms")
        return {o{"kms_key_arn", "ARN of the KMS key.", "aws_kms_key.main.arn", false},
                o{"kms_key_alias", "Alias of the KMS key.", "aws_kms_alias.main.name", false}};
      if (component == "cloudwatch")
        return {o{"log_group_name", "Log group of the application.",
                  "aws_cloudwatch_log_group.app.name", false},
                o{"alerts_topic_arn", "SNS topic the alarms notify.", "aws_sns_topic.alerts.arn",
                  false}};
      break;
    case cloud_provider::gcp:
      if (component == "vpc")
        return {o{"network_id", "ID of the VPC network.", "google_compute_network.main.id", false},
                o{"subnetwork_id", "ID of the private subnetwork.",
                  "google_compute_subnetwork.private.id", false}};
      if (component == "gke")
        return {o{"cluster_name", "Name of the GKE cluster.", "google_container_cluster.main.name",
                  false},
                o{"cluster_endpoint", "Endpoint of the Kubernetes API.",
                  "google_container_cluster.main.endpoint", true},
                o{"cluster_ca_certificate", "CA certificate of the Kubernetes API (base64).",
                  "google_container_cluster.main.master_auth[0].cluster_ca_certificate", true}};
      if (component == "gcs")
        return {
            o{"bucket_name", "Name of the data bucket.", "google_storage_bucket.main.name", false},
            o{"bucket_url", "gs:// URL of the data bucket.", "google_storage_bucket.main.url",
              false}};
      if (component == "cloudsql")
        return {o{"db_connection_name", "Connection name for the Cloud SQL proxy.",
                  "google_sql_database_instance.main.connection_name", false},
                o{"db_private_ip", "Private IP address of the database.",
                  "google_sql_database_instance.main.private_ip_address", false}};
      if (component == "iam")
        return {o{"app_service_account_email", "Service account of the application.",
                  "google_service_account.app.email", false}};
      break;
    case cloud_provider::azure:
      if (component == "vnet")
        return {
            o{"vnet_id", "ID of the virtual network.", "azurerm_virtual_network.main.id", false},
            o{"app_subnet_id", "ID of the application subnet.", "azurerm_subnet.app.id", false}};
      if (component == "aks")
        return {o{"cluster_name", "Name of the AKS cluster.",
                  "azurerm_kubernetes_cluster.main.name", false},
                o{"cluster_host", "Endpoint of the Kubernetes API.",
                  "azurerm_kubernetes_cluster.main.kube_config[0].host", true}};
      if (component == "storage")
        return {o{"storage_account_name", "Name of the storage account.",
                  "azurerm_storage_account.main.name", false},
                o{"blob_endpoint", "Blob endpoint of the storage account.",
                  "azurerm_storage_account.main.primary_blob_endpoint", false}};
      if (component == "postgres")
        return {o{"db_fqdn", "Host name of the PostgreSQL server.",
                  "azurerm_postgresql_flexible_server.main.fqdn", false}};
      if (component == "keyvault")
        return {
            o{"key_vault_uri", "URI of the Key Vault.", "azurerm_key_vault.main.vault_uri", false}};
      break;
  }
  return {};
}

}  // namespace

std::string hcl_quote(std::string_view text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '$':
      case '%':
        out += c;
        if (i + 1 < text.size() && text[i + 1] == '{') out += c;  // ${ -> $${, %{ -> %%{
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

const std::vector<std::string>& template_components(cloud_provider provider) {
  static const auto names = [] {
    std::map<cloud_provider, std::vector<std::string>> all;
    for (const auto& t : templates) all[t.provider].push_back(t.component);
    return all;
  }();
  return names.at(provider);
}

bool has_template(cloud_provider provider, std::string_view component) {
  return find_template(provider, component) != nullptr;
}

rendered_file render_component(cloud_provider provider, std::string_view component,
                               const task_context& context, const requirements& req) {
  const template_entry* entry = find_template(provider, component);
  if (!entry) {
    throw std::invalid_argument("no Terraform template for " + std::string(to_string(provider)) +
                                " component '" + std::string(component) + "'");
  }
  input in(provider, context, req);
  return {std::string(component) + ".tf", artifact_type::terraform, entry->render(in)};
}

provider_requirement required_provider(cloud_provider provider) {
  switch (provider) {
    case cloud_provider::aws:
      return {"aws", "hashicorp/aws", "~> 5.0"};
    case cloud_provider::gcp:
      return {"google", "hashicorp/google", "~> 5.0"};
    case cloud_provider::azure:
      return {"azurerm", "hashicorp/azurerm", "~> 3.0"};
  }
  return {};
}

rendered_file render_root_module(const task_context& context, const requirements& req) {
  input in(context.provider, context, req);
  const auto plugin = required_provider(context.provider);
  const bool gcp = context.provider == cloud_provider::gcp;
  std::vector<hcl_body> parts;
  parts.push_back(
      top("terraform", {},
          hcl_body{}
              .text("required_version", required_terraform_version)
              .block("required_providers",
                     hcl_body{}.map(plugin.name, {{"source", hcl_quote(plugin.source)},
                                                  {"version", hcl_quote(plugin.version)}}))));

  hcl_body provider;
  switch (context.provider) {
    case cloud_provider::aws:
      provider.set("region", "var.region")
          .block("default_tags", hcl_body{}.set("tags", "local.common_tags"));
      break;
    case cloud_provider::gcp:
      provider.set("project", "var.project_id")
          .set("region", "var.region")
          .set("default_labels", "local.common_labels");
      break;
    case cloud_provider::azure:
      provider.block("features", hcl_body{});
      break;
  }
  parts.push_back(top("provider", {plugin.name}, std::move(provider)));

  auto variable_with_default = [](const char* name, const char* description,
                                  const std::string& value) {
    return top(
        "variable", {name},
        hcl_body{}.text("description", description).set("type", "string").text("default", value));
  };
  parts.push_back(
      variable_with_default("region", "Region every resource is created in.", in.region()));
  parts.push_back(variable_with_default("environment", "Deployment environment.", in.environment));
  parts.push_back(
      variable_with_default("project", "Project the resources belong to.", req.project));
  if (gcp) {
    parts.push_back(
        variable("project_id", "Google Cloud project ID the resources are created in.", "string"));
  }

  std::vector<std::pair<std::string, std::string>> common;
  if (gcp) {
    for (const auto& [key, value] : in.labels("")) {
      if (key != "\"name\"") common.emplace_back(key, value);
    }
    common.emplace_back("environment", hcl_quote(gcp_label(in.environment, false)));
    common.emplace_back("project", hcl_quote(gcp_label(req.project, false)));
  } else {
    for (const auto& [key, value] : req.tags) {
      if (key != "Environment" && key != "Project")
        common.emplace_back(hcl_quote(key), hcl_quote(value));
    }
    common.emplace_back("Environment", req.tags.count("Environment")
                                           ? hcl_quote(req.tags.at("Environment"))
                                           : "var.environment");
    common.emplace_back(
        "Project", req.tags.count("Project") ? hcl_quote(req.tags.at("Project")) : "var.project");
  }
  hcl_body locals;
  locals.text("name_prefix", in.prefix)
      .map(gcp ? "common_labels" : "common_tags", std::move(common));
  parts.push_back(top("locals", {}, std::move(locals)));

  if (context.provider == cloud_provider::azure) {
    parts.push_back(top("data", {"azurerm_client_config", "current"}, hcl_body{}));
    parts.push_back(top("resource", {"azurerm_resource_group", "main"},
                        hcl_body{}
                            .set("name", "\"rg-${local.name_prefix}\"")
                            .set("location", "var.region")
                            .set("tags", "local.common_tags")));
  }
  return {"main.tf", artifact_type::terraform,
          render_file("Root module: providers, variables and shared values of " +
                          std::string(to_string(context.provider)) + " " + in.environment + ".",
                      parts)};
}

rendered_file render_outputs(const task_context& context, const requirements& req) {
  input in(context.provider, context, req);
  std::vector<hcl_body> parts;
  if (context.provider == cloud_provider::azure) {
    parts.push_back(top("output", {"resource_group_name"},
                        hcl_body{}
                            .text("description", "Resource group holding every resource.")
                            .set("value", "azurerm_resource_group.main.name")));
  }
  for (const auto& component : rendered_components(context)) {
    for (const auto& o : outputs_of(context.provider, component)) {
      hcl_body body;
      body.text("description", o.description).set("value", o.value);
      if (o.sensitive) body.flag("sensitive", true);
      parts.push_back(top("output", {o.name}, std::move(body)));
    }
  }
  return {"outputs.tf", artifact_type::terraform, render_file("Outputs of the module.", parts)};
}

}  // namespace ce::executor
