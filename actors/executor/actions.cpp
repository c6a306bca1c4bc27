#include "actors/executor/actions.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <stdexcept>

#include <boost/json.hpp>

#include "messages/json_codec.hpp"

#include "actors/executor/artifacts.hpp"
#include "actors/executor/best_practices.hpp"
#include "actors/executor/docs.hpp"
#include "actors/executor/hcl_check.hpp"
#include "actors/executor/remote_generation.hpp"
#include "actors/executor/rendering.hpp"
#include "actors/executor/templates.hpp"
#include "actors/planner/catalog.hpp"
#include "messages/clock.hpp"
#include "messages/ids.hpp"

namespace ce::executor {

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

/// An expected failure of an action: it ends the action with status failure.
struct action_failure {
  std::string code;
  std::string message;
  json::value details;
};

/// Collects what one action produces into its execution_result.
class result_builder {
 public:
  explicit result_builder(const action_input& in) : in_(in) {
    result_.id = in.result_id;
    result_.plan_id = in.p->id;
    result_.step_id = in.step->id;
    result_.started_at = now_ms();
  }

  void log(log_level level, std::string message, json::object context = {}) {
    result_.logs.push_back({now_ms(), level, std::move(message),
                            json_doc{context.empty() ? "{}" : codec::serialize(context)}});
  }

  void keep_logs(const std::vector<log_entry>& logs) {
    result_.logs.insert(result_.logs.end(), logs.begin(), logs.end());
  }

  /// Records a file this step wrote as an artifact of it; the file joins its outcome.
  const artifact& write(const std::string& name, workspace_file file) {
    auto a = artifact_record(in_.workspace_dir, name, file, next_id(), now_ms());
    log(log_level::info, "wrote " + a.name + " (" + std::to_string(a.size) + " bytes)",
        {{"artifact_id", a.id}, {"sha256", a.checksum}});
    written_[name] = std::move(file);
    result_.artifacts.push_back(std::move(a));
    return result_.artifacts.back();
  }

  /// Records a file something else (a deployment driver) wrote into the workspace directory.
  void record(const std::string& name, artifact_type type) {
    auto path = fs::path(in_.workspace_dir) / name;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) return;
    write(name, make_file(type, shared<std::string>(read_file(path.string()))));
  }

  /// Artifacts this step has recorded so far.
  std::size_t artifact_count() const { return result_.artifacts.size(); }

  void outputs(const json::object& o) { result_.outputs = json_doc{codec::serialize(o)}; }

  step_outcome finish(const action_failure* failure) {
    if (failure) {
      result_.status = execution_status::failure;
      result_.error.code = failure->code;
      result_.error.message = failure->message;
      if (!failure->details.is_null())
        result_.error.details = json_doc{codec::serialize(failure->details)};
      log(log_level::error, failure->message, {{"code", failure->code}});
    }
    result_.completed_at = now_ms();
    result_.duration_ms = result_.completed_at - result_.started_at;
    return {std::move(result_), std::move(written_)};
  }

 private:
  std::string next_id() {
    if (in_.next_artifact_id) return in_.next_artifact_id();
    return fallback_ids_.next("art");
  }

  const action_input& in_;
  execution_result result_;
  workspace written_;
  id_generator fallback_ids_;
};

json::array string_array(const std::vector<std::string>& items) {
  json::array out;
  for (const auto& s : items) out.emplace_back(s);
  return out;
}

/// Resources declared by a file (resource blocks only, not data sources).
std::vector<std::string> declared_resources(const hcl_file_report& report) {
  std::vector<std::string> out;
  for (const auto& r : report.resources)
    if (r.rfind("data.", 0) != 0) out.push_back(r);
  return out;
}

// ---- actions -------------------------------------------------------------------

void validate_requirements(const action_input& in, result_builder& out) {
  const auto& context = *in.context;
  std::vector<field_error> errors;
  parse_requirements(context.requirements, &errors);
  auto component_errors = planner::check_components(context);
  errors.insert(errors.end(), component_errors.begin(), component_errors.end());
  if (!context.region.empty() && !planner::region_valid(context.provider, context.region))
    errors.push_back({"context.region", "'" + context.region + "' is not a region of " +
                                            std::string(to_string(context.provider))});
  for (size_t i = 0; i < context.components.size(); ++i)
    if (planner::find_component(context.provider, context.components[i]) &&
        !has_template(context.provider, context.components[i]))
      errors.push_back({"context.components[" + std::to_string(i) + "]",
                        "no template renders '" + context.components[i] + "'"});
  if (errors.empty()) {
    // The templates refuse some values (e.g. a vpc_cidr they cannot split into subnets):
    // rendering every component now reports that before any file is written. The
    // renderings are memoized, so the generate steps do not render them again.
    for (const auto& component : context.components) {
      auto rendered = render_checked_component(context.provider, component, context, in.req);
      if (!rendered->refused.empty()) {
        errors.push_back({"context.requirements", rendered->refused});
        break;
      }
    }
  }
  if (!errors.empty()) {
    json::array details;
    std::string message = "the requirements are invalid: ";
    for (size_t i = 0; i < errors.size(); ++i) {
      details.push_back(json::object{{"field", errors[i].field}, {"message", errors[i].message}});
      message += (i ? "; " : "") + errors[i].field + " " + errors[i].message;
    }
    throw action_failure{"invalid_requirements", message, std::move(details)};
  }
  out.log(log_level::info, "requirements are valid for " +
                               std::string(to_string(context.provider)) + " " +
                               context.environment);
  for (const auto& rendered :
       {render_checked_root_module(context, in.req), render_checked_outputs(context, in.req)})
    out.write(rendered->file.name, workspace_file_of(rendered));
  out.outputs({{"validated", true},
               {"provider", to_string(context.provider)},
               {"environment", context.environment},
               {"region", context.region.empty() ? planner::default_region(context.provider)
                                                 : context.region},
               {"components", string_array(context.components)},
               {"files", json::array{"main.tf", "outputs.tf"}}});
}

/// A step's parameters as an object (empty when they are not one).
json::object step_parameters(const plan_step& step) {
  auto parameters = codec::to_json(step.parameters);
  return parameters.is_object() ? std::move(parameters.get_object()) : json::object{};
}

/// The boolean parameter `key` of a step, or `fallback` when it is absent or not a boolean.
bool step_flag(const plan_step& step, std::string_view key, bool fallback) {
  auto parameters = step_parameters(step);
  auto* v = parameters.if_contains(key);
  return v && v->is_bool() ? v->get_bool() : fallback;
}

std::string step_component(const plan_step& step) {
  if (!step.component.empty()) return step.component;
  auto parameters = step_parameters(step);
  if (auto* c = parameters.if_contains("component"); c && c->is_string())
    return std::string(c->get_string());
  return {};
}

/// A failed call to the Generator Service: the step fails with it (its task retries it
/// when the failure is transient), or, with --generator-fallback builtin, the built-in
/// generator takes over and says so in the step's logs and outputs.
json::object remote_call_failed(const action_input& in, result_builder& out,
                                const generator_reply& reply, const std::string& what) {
  std::string reason = "the generator service failed to " + what + ": " + reply.error;
  if (!in.remote->fallback_builtin)
    throw action_failure{reply.transient ? "generator_unavailable" : "generator_failed", reason,
                         json::object{{"transient", reply.transient},
                                      {"attempts", reply.attempts},
                                      {"http_status", reply.http_status}}};
  out.log(log_level::warn,
          reason + "; the built-in generator takes over (--generator-fallback builtin)",
          {{"fallback", "builtin"}});
  return {{"generator", "builtin"}, {"fallback", true}, {"fallback_reason", reason}};
}

void remote_component(const action_input& in, result_builder& out, const std::string& component);
void builtin_component(const action_input& in, result_builder& out, const std::string& component,
                       json::object provenance);

void generate_component(const action_input& in, result_builder& out) {
  const auto component = step_component(*in.step);
  const auto provider = in.context->provider;
  if (component.empty())
    throw action_failure{"invalid_step", "step " + in.step->id + " names no component", nullptr};
  if (!has_template(provider, component))
    throw action_failure{
        "unknown_component",
        "no " + std::string(to_string(provider)) + " template for component '" + component + "'",
        nullptr};
  if (in.remote)
    remote_component(in, out, component);
  else
    builtin_component(in, out, component, {{"generator", "builtin"}});
}

void remote_component(const action_input& in, result_builder& out, const std::string& component) {
  const auto template_id = remote_template_id(in.context->provider, component);
  const auto& reply = in.remote->replies.at(0);
  if (!reply.ok) {
    auto provenance = remote_call_failed(in, out, reply, "render " + template_id);
    builtin_component(in, out, component, std::move(provenance));
    return;
  }
  auto outputs_file = render_checked_outputs(*in.context, in.req);
  auto bound = bind_remote_component(component, template_id, reply.data, *in.context, in.req,
                                     outputs_file->report.outputs);
  if (!bound.ok) throw action_failure{bound.error_code, bound.error, bound.details};
  auto report = check_hcl(bound.content);
  const std::string name = component + ".tf";
  const auto& written = out.write(
      name, make_file(artifact_type::terraform, shared<std::string>(std::move(bound.content))));
  auto resources = declared_resources(report);
  json::object bindings;
  for (const auto& b : bound.bindings) bindings[b.name] = b.source;
  out.log(log_level::info,
          "rendered " + std::to_string(resources.size()) + " resources for " + component +
              " with the generator service's template " + template_id,
          {{"template_id", template_id},
           {"latency_ms", reply.latency_ms},
           {"attempts", reply.attempts}});
  out.outputs({{"component", component},
               {"code_size", written.size},
               {"artifact_id", written.id},
               {"file", name},
               {"resources", string_array(resources)},
               {"resource_count", resources.size()},
               {"generator", "remote"},
               {"template_id", template_id},
               {"bound_variables", std::move(bindings)}});
}

void builtin_component(const action_input& in, result_builder& out, const std::string& component,
                       json::object provenance) {
  const auto provider = in.context->provider;
  auto rendered = render_checked_component(provider, component, *in.context, in.req);
  if (!rendered->refused.empty())
    throw action_failure{"invalid_requirements", rendered->refused, nullptr};
  const auto& file = rendered->file;
  const auto& report = rendered->report;
  if (!report.ok) {
    json::array errors;
    for (const auto& e : report.errors)
      errors.push_back(
          json::object{{"line", e.line}, {"column", e.column}, {"message", e.message}});
    throw action_failure{"invalid_code", file.name + " is not valid HCL",
                         json::object{{"errors", std::move(errors)}}};
  }
  const auto& written = out.write(file.name, workspace_file_of(rendered));
  auto resources = declared_resources(report);
  out.log(log_level::info,
          "rendered " + std::to_string(resources.size()) + " resources for " + component);
  json::object outputs{{"component", component},
                       {"code_size", written.size},
                       {"artifact_id", written.id},
                       {"file", file.name},
                       {"resources", string_array(resources)},
                       {"resource_count", resources.size()}};
  for (auto& [key, value] : provenance) outputs[key] = std::move(value);
  out.outputs(outputs);
}

/// The workspace's .tf files; a failure when there are none.
const workspace& terraform_workspace(const action_input& in) {
  static const workspace none;
  const auto& files = in.files ? *in.files : none;
  for (const auto& [name, file] : files)
    if (name.size() > 3 && name.compare(name.size() - 3, 3, ".tf") == 0) return files;
  throw action_failure{"no_code", "no Terraform files in the task's workspace", nullptr};
}

void validate_generated_code(const action_input& in, result_builder& out) {
  const auto& files = terraform_workspace(in);
  auto checked = checked_module(files);
  const auto& report = *checked;
  json::array names;
  size_t resource_count = 0, file_count = 0;
  for (const auto& [name, file] : files) {
    if (name.size() <= 3 || name.compare(name.size() - 3, 3, ".tf") != 0) continue;
    ++file_count;
    names.emplace_back(name);
    resource_count += declared_resources(*checked_hcl(file)).size();
  }
  if (!report.ok) {
    for (const auto& e : report.errors) out.log(log_level::error, e);
    std::string message =
        std::to_string(report.errors.size()) + " problem(s) in the generated code: ";
    for (size_t i = 0; i < report.errors.size(); ++i) message += (i ? "; " : "") + report.errors[i];
    throw action_failure{"invalid_code", message,
                         json::object{{"errors", string_array(report.errors)}}};
  }
  out.log(log_level::info, std::to_string(file_count) + " files, " +
                               std::to_string(resource_count) + " resources: valid");
  const auto plugin = required_provider(in.context->provider);
  out.outputs({{"valid", true},
               {"syntax_valid", true},
               {"terraform_version", required_terraform_version},
               {"provider_versions", json::object{{plugin.name, plugin.version}}},
               {"files", std::move(names)},
               {"file_count", file_count},
               {"resource_count", resource_count},
               {"resources_count", resource_count}});
}

/// The components whose configuration the Generator Service's rules look at.
std::vector<std::string> remote_practice_components(const action_input& in) {
  std::vector<std::string> out;
  for (const auto& c : in.context->components)
    if (has_template(in.context->provider, c)) out.push_back(c);
  return out;
}

/// The service's analysis and autofix of each component, next to our own rules' outputs.
void remote_practices(const action_input& in, result_builder& out, json::object& outputs) {
  auto components = remote_practice_components(in);
  json::object per_component;
  for (size_t i = 0; i < components.size(); ++i) {
    const auto& analyze = in.remote->replies.at(2 * i);
    const auto& autofix = in.remote->replies.at(2 * i + 1);
    for (const auto* reply : {&analyze, &autofix}) {
      if (reply->ok) continue;
      auto provenance = remote_call_failed(
          in, out, *reply,
          std::string(reply == &analyze ? "analyze" : "autofix") + " " + components[i]);
      for (auto& [key, value] : provenance) outputs[key] = std::move(value);
      return;  // our own rules' results stand alone, recorded as a fallback
    }
    std::string error;
    auto summary = remote_practices_summary(components[i], analyze.data, autofix.data, error);
    if (!summary) throw action_failure{"invalid_response", error, nullptr};
    out.log(
        log_level::info,
        "generator service: " + components[i] + ": " +
            std::to_string(summary->at("violations").as_array().size()) + " violations, " +
            std::to_string(summary->at("applied_fixes").as_array().size()) + " fixes applied, " +
            std::to_string(summary->at("violations_remaining").as_array().size()) + " remaining");
    per_component[components[i]] = std::move(*summary);
  }
  outputs["generator"] = "remote";
  outputs["remote_best_practices"] = std::move(per_component);
}

void best_practices_action(const action_input& in, result_builder& out) {
  const auto& files = terraform_workspace(in);
  auto memoized = checked_best_practices(files, *in.context, in.req);
  const auto& outcome = memoized->outcome;
  // autofix false: report what the rules would change and leave the files as they are.
  const bool autofix = step_flag(*in.step, "autofix", true);
  if (autofix)
    for (const auto& [name, file] : memoized->changed) out.write(name, file);
  json::array fixes;
  for (const auto& f : outcome.fixes) {
    out.log(autofix ? log_level::info : log_level::warn,
            f.file + ": " + f.resource + ": " + (autofix ? "" : "not fixed (autofix is off): ") +
                f.description,
            {{"rule", f.rule}});
    fixes.push_back(json::object{{"rule", f.rule},
                                 {"file", f.file},
                                 {"resource", f.resource},
                                 {"description", f.description}});
  }
  for (const auto& u : outcome.unresolved) out.log(log_level::warn, u);
  json::array changed;
  if (autofix)
    for (const auto& f : outcome.changed_files) changed.emplace_back(f.name);
  // Every violation a rule found was fixed, or left because the requirements ask for it
  // or autofix is off; the score is the share of them the module no longer has.
  const auto found = outcome.fixes.size() + outcome.unresolved.size();
  const auto fixed = autofix ? outcome.fixes.size() : 0;
  const double compliance_score =
      found == 0 ? 100.0 : 100.0 * static_cast<double>(fixed) / static_cast<double>(found);
  json::object outputs{{"violations_found", found},
                       {"violations_fixed", fixed},
                       {"autofix", autofix},
                       {"compliance_score", std::round(compliance_score * 10) / 10},
                       {"fixes", std::move(fixes)},
                       {"fixed_count", outcome.fixes.size()},
                       {"unresolved", string_array(outcome.unresolved)},
                       {"changed_files", std::move(changed)}};
  if (in.remote) remote_practices(in, out, outputs);
  out.outputs(outputs);
}

enum class driver_operation { plan, apply, verify, destroy };

void deployment_action(const action_input& in, result_builder& out, driver_operation op) {
  if (!in.driver) throw action_failure{"no_driver", "no deployment driver is configured", nullptr};
  // A driver works on files, as terraform does: the workspace goes to disk first.
  if (in.files) write_workspace(*in.files, in.workspace_dir);
  driver_outcome outcome;
  switch (op) {
    case driver_operation::plan:
      outcome = in.driver->plan(in.workspace_dir, *in.context);
      break;
    case driver_operation::apply:
      outcome = in.driver->apply(in.workspace_dir, *in.context);
      break;
    case driver_operation::verify:
      outcome = in.driver->verify(in.workspace_dir, *in.context);
      break;
    case driver_operation::destroy:
      outcome = in.driver->destroy(in.workspace_dir, *in.context);
      break;
  }
  out.keep_logs(outcome.logs);
  if (!outcome.ok)
    throw action_failure{
        outcome.error_code.empty() ? "driver_failure" : outcome.error_code, outcome.error,
        json::object{{"driver", in.driver->name()}, {"transient", outcome.transient}}};
  boost::system::error_code ec;
  auto terraform_outputs = json::parse(outcome.outputs.text, ec);
  if (ec || !terraform_outputs.is_object()) terraform_outputs = json::object{};
  json::object o{{"driver", in.driver->name()}};
  switch (op) {
    case driver_operation::plan:
      o["to_add"] = outcome.to_add;
      o["to_change"] = outcome.to_change;
      o["to_destroy"] = outcome.to_destroy;
      break;
    case driver_operation::apply:
      o["resources_created"] = outcome.resources_created;
      o["components"] = string_array(in.context->components);
      o["outputs"] = std::move(terraform_outputs);
      out.record("terraform.tfstate.json", artifact_type::config);
      break;
    case driver_operation::verify:
      o["verified"] = true;
      o["outputs"] = std::move(terraform_outputs);
      break;
    case driver_operation::destroy:
      o["resources_destroyed"] = outcome.resources_created;
      out.record("terraform.tfstate.json", artifact_type::config);
      break;
  }
  out.outputs(o);
}

void generate_documentation(const action_input& in, result_builder& out) {
  // The newest version of every file earlier steps wrote, README excluded.
  std::map<std::string, artifact> latest;
  static const std::vector<execution_result> none;
  for (const auto& result : in.completed ? *in.completed : none)
    for (const auto& a : result.artifacts)
      if (a.name != "README.md" &&
          (!latest.count(a.name) || latest[a.name].created_at <= a.created_at))
        latest[a.name] = a;
  std::vector<artifact> artifacts;
  for (auto& [name, a] : latest) artifacts.push_back(a);
  auto readme_file = render_documentation(*in.context, *in.p, artifacts,
                                          step_flag(*in.step, "include_diagrams", true));
  const auto& readme =
      out.write(readme_file.name,
                make_file(readme_file.type, shared<std::string>(std::move(readme_file.content))));
  out.outputs({{"file", readme.name},
               {"artifacts_generated", out.artifact_count()},
               {"documented_artifacts", artifacts.size()}});
}

using action_fn = void (*)(const action_input&, result_builder&);

const std::vector<std::pair<std::string, action_fn>>& action_table() {
  static const std::vector<std::pair<std::string, action_fn>> table = {
      {"validate_requirements", validate_requirements},
      {"generate_component", generate_component},
      {"validate_generated_code", validate_generated_code},
      {"apply_best_practices", best_practices_action},
      {"plan_deployment",
       [](const action_input& in, result_builder& out) {
         deployment_action(in, out, driver_operation::plan);
       }},
      {"apply_deployment",
       [](const action_input& in, result_builder& out) {
         deployment_action(in, out, driver_operation::apply);
       }},
      {"verify_deployment",
       [](const action_input& in, result_builder& out) {
         deployment_action(in, out, driver_operation::verify);
       }},
      {"destroy_deployment",
       [](const action_input& in, result_builder& out) {
         deployment_action(in, out, driver_operation::destroy);
       }},
      {"generate_documentation", generate_documentation},
  };
  return table;
}

}  // namespace

bool reads_earlier_results(const std::string& action) {
  return action == "generate_documentation";  // it documents the files the others wrote
}

std::vector<std::string> known_actions() {
  std::vector<std::string> names;
  for (const auto& [name, fn] : action_table()) names.push_back(name);
  return names;
}

json::object summary_outputs(const std::vector<execution_result>& results) {
  static constexpr std::string_view keys[] = {
      "validated",         "provider",           "components",       "component",
      "code_size",         "artifact_id",        "syntax_valid",     "terraform_version",
      "provider_versions", "resources_count",    "violations_found", "violations_fixed",
      "compliance_score",  "artifacts_generated"};
  json::object summary;
  for (const auto& r : results) {
    if (r.outputs.empty_object()) continue;
    auto outputs = codec::to_json(r.outputs);
    if (!outputs.is_object()) continue;
    for (auto key : keys)
      if (auto* v = outputs.get_object().if_contains(key)) summary[key] = *v;
  }
  return summary;
}

std::vector<generator_request> remote_calls(const action_input& in, const std::string& task_id) {
  std::vector<generator_request> calls;
  if (!in.step || !in.context) return calls;
  if (in.step->action == "generate_component") {
    auto component = step_component(*in.step);
    if (component.empty() || !has_template(in.context->provider, component)) return calls;
    calls.push_back({task_id, "/api/templates/render",
                     render_request_body(in.context->provider, component, *in.context, in.req)});
  } else if (in.step->action == "apply_best_practices") {
    for (const auto& component : remote_practice_components(in)) {
      auto body = best_practice_request_body(component, *in.context, in.req);
      calls.push_back({task_id, "/api/best-practices/analyze", body});
      calls.push_back({task_id, "/api/best-practices/autofix", std::move(body)});
    }
  }
  return calls;
}

step_outcome run_action(const action_input& in) {
  if (!in.p || !in.step || !in.context)
    throw std::invalid_argument("run_action needs a plan, a step and a context");
  result_builder out(in);
  out.log(log_level::info, "running " + in.step->action + " (step " + in.step->id + ")");
  const auto& table = action_table();
  auto entry = std::find_if(table.begin(), table.end(),
                            [&](const auto& e) { return e.first == in.step->action; });
  try {
    if (entry == table.end()) {
      std::string known;
      for (const auto& [name, fn] : table) known += (known.empty() ? "" : ", ") + name;
      throw action_failure{"unknown_action",
                           "unknown action '" + in.step->action + "'; known: " + known, nullptr};
    }
    entry->second(in, out);
  } catch (const action_failure& failure) {
    return out.finish(&failure);
  } catch (const std::runtime_error& io) {  // files that cannot be written or read
    action_failure failure{"io_error", io.what(), nullptr};
    return out.finish(&failure);
  }
  out.log(log_level::info, in.step->action + " completed");
  return out.finish(nullptr);
}

}  // namespace ce::executor
