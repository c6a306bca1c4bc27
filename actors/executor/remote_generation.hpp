// What the engine asks of the Generator Service and how it checks what comes back:
// pure functions, no HTTP and no actors (the step actor sequences them around a call).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "messages/domain.hpp"
#include "messages/requirements.hpp"

namespace ce::executor {

/// The service's id of a component's template: "terraform/aws/eks".
std::string remote_template_id(cloud_provider, std::string_view component);

/// The body of POST /api/templates/render: {templateId, variables}, the variables being
/// what the service's templates read (project_name, environment, region, the versions and
/// sizes asked for, tags) plus every requirement as given.
std::string render_request_body(cloud_provider, std::string_view component, const task_context&,
                                const requirements&);

/// The body of POST /api/best-practices/analyze and .../autofix: {component, config}, the
/// config being the component's requested settings.
std::string best_practice_request_body(std::string_view component, const task_context&,
                                       const requirements&);

/// One variable of a rendered template and what the engine bound it to.
struct variable_binding {
  std::string name;        // as the template uses it: var.<name>
  std::string local_name;  // local.<local_name> in the bound file
  std::string expression;  // HCL: another component's attribute or a quoted requirement
  std::string source;      // "component vpc" or "requirement vpc_cidr"
};

/// A rendered template made usable in the task's module, or why it cannot be.
struct bound_component {
  bool ok = false;
  std::string content;  // the file to write (when ok)
  std::vector<variable_binding> bindings;
  std::string error_code;  // invalid_code | unbound_variable | invalid_response
  std::string error;       // a sentence naming the template
  boost::json::value details;
};

/// Checks a render answer's `data` ({template_id, rendered_content}) and binds the text:
/// it must be HCL our checker accepts; every `var.X` it uses is rewritten to a local
/// value declared in the file and bound to the matching output of another component of
/// the task (vpc_id, private_subnet_ids, ... of the vpc) or to a requirement; the
/// template's own `variable` blocks for them are dropped, so Terraform asks for no input.
/// A variable nothing binds fails with its name and the template id. Outputs named in
/// `module_outputs` (the task's outputs.tf) are dropped from the text, as they would be
/// defined twice.
bound_component bind_remote_component(std::string_view component, std::string_view template_id,
                                      std::string_view data_json, const task_context&,
                                      const requirements&,
                                      const std::vector<std::string>& module_outputs = {});

/// What the service's best-practice answers said about one component, for the step's
/// outputs; nullopt (and `error`) when an answer is not of the documented shape.
std::optional<boost::json::object> remote_practices_summary(std::string_view component,
                                                            std::string_view analyze_data,
                                                            std::string_view autofix_data,
                                                            std::string& error);

}  // namespace ce::executor
