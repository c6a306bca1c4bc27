// The README.md that documents a generated module for the people who will run it.
#pragma once

#include <vector>

#include "actors/executor/templates.hpp"
#include "messages/domain.hpp"

namespace ce::executor {

/// README.md for the generated module: what was generated for whom (provider, region,
/// environment), a table of files with sizes and sha256, the plan's steps, risks, estimated
/// cost, and a Mermaid `graph TD` diagram of the components with edges for their real links
/// (component_spec.needs that are present) unless `include_diagram` is false. Name
/// "README.md", type documentation.
rendered_file render_documentation(const task_context&, const plan&, const std::vector<artifact>&,
                                   bool include_diagram = true);

}  // namespace ce::executor
