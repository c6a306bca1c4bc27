#include "actors/executor/remote_generation.hpp"

#include <algorithm>
#include <cctype>

#include <boost/json.hpp>

#include "actors/executor/hcl_check.hpp"
#include "actors/executor/hcl_edit.hpp"
#include "actors/executor/templates.hpp"
#include "actors/planner/catalog.hpp"
#include "messages/json_codec.hpp"

namespace ce::executor {

namespace {

namespace json = boost::json;

std::string region_of(const task_context& context) {
  return context.region.empty() ? planner::default_region(context.provider) : context.region;
}

json::object requested_object(const task_context& context) {
  boost::system::error_code ec;
  auto value = json::parse(context.requirements.text, ec);
  if (ec || !value.is_object()) return {};
  auto object = std::move(value.get_object());
  object.erase("simulate");  // fault injection is for this node, not for the service
  return object;
}

json::object tags_of(const requirements& req, const task_context& context) {
  json::object tags{
      {"Project", req.project}, {"Environment", context.environment}, {"ManagedBy", "Terraform"}};
  for (const auto& [key, value] : req.tags) tags[key] = value;
  return tags;
}

/// The HCL literal of a requirement's JSON value; nullopt for what HCL cannot take as is.
std::optional<std::string> hcl_literal(const json::value& v) {
  if (v.is_string()) return hcl_quote(v.get_string());
  if (v.is_bool()) return std::string(v.get_bool() ? "true" : "false");
  if (v.is_int64() || v.is_uint64() || v.is_double()) return codec::serialize(v);
  if (v.is_array()) {
    std::string out = "[";
    for (const auto& item : v.get_array()) {
      auto literal = hcl_literal(item);
      if (!literal || item.is_array() || item.is_object()) return std::nullopt;
      out += (out.size() > 1 ? ", " : "") + *literal;
    }
    return out + "]";
  }
  if (v.is_object()) {
    std::string out = "{";
    for (const auto& [key, item] : v.get_object()) {
      if (!item.is_string()) return std::nullopt;
      out += (out.size() > 1 ? ", " : "") + hcl_quote(key) + " = " + hcl_quote(item.get_string());
    }
    return out + "}";
  }
  return std::nullopt;
}

/// What another component of the task provides: the attributes of our vpc (the names the
/// built-in templates and the service's vpc template both use).
std::optional<variable_binding> component_binding(const std::string& name,
                                                  const task_context& context) {
  if (context.provider != cloud_provider::aws) return std::nullopt;
  bool has_vpc = std::find(context.components.begin(), context.components.end(), "vpc") !=
                 context.components.end();
  if (!has_vpc) return std::nullopt;
  static const std::pair<const char*, const char*> vpc_outputs[] = {
      {"vpc_id", "aws_vpc.main.id"},
      {"private_subnet_ids", "aws_subnet.private[*].id"},
      {"subnet_ids", "aws_subnet.private[*].id"},
      {"public_subnet_ids", "aws_subnet.public[*].id"},
      {"vpc_cidr_block", "aws_vpc.main.cidr_block"}};
  for (const auto& [output, expression] : vpc_outputs)
    if (name == output) return variable_binding{name, {}, expression, "component vpc"};
  return std::nullopt;
}

/// What the requirements provide: the context's own fields, then any requirement of that name.
std::optional<variable_binding> requirement_binding(const std::string& name,
                                                    const task_context& context,
                                                    const requirements& req,
                                                    const json::object& requested) {
  auto bound = [&](std::string expression, const std::string& from) {
    return variable_binding{name, {}, std::move(expression), "requirement " + from};
  };
  if (name == "project_name" || name == "project") return bound(hcl_quote(req.project), "project");
  if (name == "environment") return bound(hcl_quote(context.environment), "environment");
  if (name == "region" || name == "aws_region")
    return bound(hcl_quote(region_of(context)), "region");
  if (name == "vpc_cidr") return bound(hcl_quote(req.vpc_cidr), "vpc_cidr");
  if (name == "tags")
    if (auto literal = hcl_literal(tags_of(req, context))) return bound(*literal, "tags");
  if (auto* v = requested.if_contains(name))
    if (auto literal = hcl_literal(*v)) return bound(*literal, name);
  return std::nullopt;
}

bool identifier_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

/// Replaces the traversal `var.<name>` by `local.<local_name>` wherever it stands as a whole
/// name. Template text is data here, not code: a literal "var.x" inside a description would
/// be rewritten too, which changes prose, never meaning.
std::string rewrite_variable(std::string text, const std::string& name,
                             const std::string& local_name) {
  const std::string from = "var." + name, to = "local." + local_name;
  size_t pos = 0;
  while ((pos = text.find(from, pos)) != std::string::npos) {
    bool starts = pos == 0 || !(identifier_char(text[pos - 1]) || text[pos - 1] == '.');
    size_t end = pos + from.size();
    bool ends = end == text.size() || !identifier_char(text[end]);
    if (starts && ends) {
      text.replace(pos, from.size(), to);
      pos += to.size();
    } else {
      pos = end;
    }
  }
  return text;
}

/// Drops the top-level `<type> "<name>"` blocks of the names given.
std::string drop_blocks(std::string text, std::string_view type,
                        const std::vector<std::string>& names) {
  auto outline = outline_file(text);
  // Back to front, so the offsets of the blocks still to go stay valid.
  for (auto block = outline.blocks.rbegin(); block != outline.blocks.rend(); ++block) {
    if (block->type != type || block->labels.size() != 1) continue;
    if (std::find(names.begin(), names.end(), block->labels[0]) == names.end()) continue;
    size_t end = block->close_brace + 1;
    if (end < text.size() && text[end] == '\n') ++end;
    text.erase(block->begin, end - block->begin);
  }
  return text;
}

bound_component failure(std::string code, std::string message, json::value details = nullptr) {
  bound_component out;
  out.error_code = std::move(code);
  out.error = std::move(message);
  out.details = std::move(details);
  return out;
}

}  // namespace

std::string remote_template_id(cloud_provider provider, std::string_view component) {
  return "terraform/" + std::string(to_string(provider)) + "/" + std::string(component);
}

std::string render_request_body(cloud_provider provider, std::string_view component,
                                const task_context& context, const requirements& req) {
  // Every requirement as given, then the names the service's templates read.
  json::object variables = requested_object(context);
  variables["project_name"] = req.project;
  variables["environment"] = context.environment;
  variables["region"] = region_of(context);
  variables["vpc_cidr"] = req.vpc_cidr;
  variables["tags"] = tags_of(req, context);
  if (!req.kubernetes_version.empty()) variables["eks_version"] = req.kubernetes_version;
  if (!req.db_engine.empty()) variables["engine"] = req.db_engine;
  return codec::serialize(json::object{{"templateId", remote_template_id(provider, component)},
                                       {"variables", std::move(variables)}});
}

std::string best_practice_request_body(std::string_view component, const task_context& context,
                                       const requirements& req) {
  json::object config = requested_object(context);
  config["environment"] = context.environment;
  config["region"] = region_of(context);
  config["encryption_enabled"] = req.encryption;
  config["publicly_accessible"] = req.public_access;
  config["logging_enabled"] = req.enable_logging;
  config["tags"] = tags_of(req, context);
  return codec::serialize(json::object{{"component", component}, {"config", std::move(config)}});
}

bound_component bind_remote_component(std::string_view component, std::string_view template_id,
                                      std::string_view data_json, const task_context& context,
                                      const requirements& req,
                                      const std::vector<std::string>& module_outputs) {
  const std::string template_name(template_id);
  boost::system::error_code ec;
  auto data = json::parse(data_json, ec);
  const json::value* content = nullptr;
  if (!ec && data.is_object()) content = data.get_object().if_contains("rendered_content");
  if (content == nullptr || !content->is_string() || content->get_string().empty())
    return failure("invalid_response", "the generator service's answer for template " +
                                           template_name + " holds no rendered_content");
  std::string text(content->get_string());

  auto report = check_hcl(text);
  if (!report.ok) {
    json::array errors;
    std::string first;
    for (const auto& e : report.errors) {
      errors.push_back(
          json::object{{"line", e.line}, {"column", e.column}, {"message", e.message}});
      if (first.empty())
        first = "line " + std::to_string(e.line) + ", column " + std::to_string(e.column) + ": " +
                e.message;
    }
    return failure("invalid_code",
                   "template " + template_name + " from the generator service is not valid HCL (" +
                       first + ")",
                   json::object{{"template_id", template_name}, {"errors", std::move(errors)}});
  }

  auto requested = requested_object(context);
  bound_component out;
  std::vector<std::string> unbound;
  for (const auto& reference : report.references) {
    if (reference.rfind("var.", 0) != 0) continue;
    auto name = reference.substr(4);
    auto binding = component_binding(name, context);
    if (!binding) binding = requirement_binding(name, context, req, requested);
    if (!binding) {
      unbound.push_back(name);
      continue;
    }
    binding->local_name = std::string(component) + "_" + name;
    out.bindings.push_back(std::move(*binding));
  }
  if (!unbound.empty()) {
    std::string names;
    json::array list;
    for (const auto& n : unbound) {
      names += (names.empty() ? "" : ", ") + n;
      list.emplace_back(n);
    }
    return failure("unbound_variable",
                   "template " + template_name + " uses variable(s) " + names +
                       " that no component of the task and no requirement provides",
                   json::object{{"template_id", template_name}, {"variables", std::move(list)}});
  }

  std::vector<std::string> bound_names;
  for (const auto& b : out.bindings) {
    text = rewrite_variable(std::move(text), b.name, b.local_name);
    bound_names.push_back(b.name);
  }
  text = drop_blocks(std::move(text), "variable", bound_names);
  // The task's outputs.tf is the module's one place for outputs: a template's output of
  // the same name would be defined twice.
  std::vector<std::string> duplicates;
  for (const auto& name : report.outputs)
    if (std::find(module_outputs.begin(), module_outputs.end(), name) != module_outputs.end())
      duplicates.push_back(name);
  text = drop_blocks(std::move(text), "output", duplicates);
  if (!out.bindings.empty()) {
    std::string locals = "\n# Inputs of " + template_name + ", bound by the engine\nlocals {\n";
    for (const auto& b : out.bindings)
      locals += "  " + b.local_name + " = " + b.expression + "  # " + b.source + "\n";
    text += (text.empty() || text.back() == '\n' ? "" : "\n") + locals + "}\n";
  }
  out.content = "# generator: remote " + template_name + "\n" + text;
  // The edits must leave valid HCL; a failure here is ours, not the service's.
  auto rechecked = check_hcl(out.content);
  if (!rechecked.ok)
    return failure("invalid_code", "template " + template_name +
                                       " is not valid HCL once its variables are bound: " +
                                       rechecked.errors.front().message);
  out.ok = true;
  return out;
}

std::optional<json::object> remote_practices_summary(std::string_view component,
                                                     std::string_view analyze_data,
                                                     std::string_view autofix_data,
                                                     std::string& error) {
  boost::system::error_code ec;
  auto analyze = json::parse(analyze_data, ec);
  const json::object* summary = nullptr;
  const json::array* violations = nullptr;
  if (!ec && analyze.is_object()) {
    if (auto* s = analyze.get_object().if_contains("summary"); s && s->is_object())
      summary = &s->get_object();
    if (auto* v = analyze.get_object().if_contains("violations"); v && v->is_array())
      violations = &v->get_array();
  }
  if (summary == nullptr || violations == nullptr) {
    error = "the generator service's analysis of " + std::string(component) +
            " has no summary and violations";
    return std::nullopt;
  }
  auto autofix = json::parse(autofix_data, ec);
  const json::array* applied = nullptr;
  const json::array* remaining = nullptr;
  if (!ec && autofix.is_object()) {
    if (auto* a = autofix.get_object().if_contains("applied_fixes"); a && a->is_array())
      applied = &a->get_array();
    if (auto* r = autofix.get_object().if_contains("violations_remaining"); r && r->is_array())
      remaining = &r->get_array();
  }
  if (applied == nullptr || remaining == nullptr) {
    error = "the generator service's autofix of " + std::string(component) +
            " has no applied_fixes and violations_remaining";
    return std::nullopt;
  }
  json::array found;
  for (const auto& v : *violations)
    if (v.is_object())
      if (auto* id = v.get_object().if_contains("rule_id")) found.push_back(*id);
  json::array left;
  for (const auto& v : *remaining) {
    if (v.is_object()) {
      if (auto* id = v.get_object().if_contains("rule_id")) left.push_back(*id);
    } else if (v.is_string()) {
      left.push_back(v);
    }
  }
  json::object out{{"violations", std::move(found)},
                   {"applied_fixes", *applied},
                   {"violations_remaining", std::move(left)}};
  if (auto* n = summary->if_contains("violations_found")) out["violations_found"] = *n;
  if (auto* n = summary->if_contains("total_rules_checked")) out["rules_checked"] = *n;
  return out;
}

}  // namespace ce::executor
