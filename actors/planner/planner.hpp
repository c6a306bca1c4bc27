// Plan construction, structural validation, optimisation and estimates.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actors/planner/catalog.hpp"
#include "messages/domain.hpp"
#include "messages/requirements.hpp"

namespace ce::planner {

/// Builds a plan for a task. Deterministic for the same inputs (ids come in as arguments).
/// Steps: validate_requirements, generate_<component> (after the components it needs),
/// validate_generated_code, apply_best_practices, the type's deployment steps, and
/// generate_documentation last.
plan make_plan(std::string plan_id, std::string task_id, task_type, const task_context&,
               timestamp_ms now);

/// Structural checks: duplicate step ids, dependencies on unknown steps, cycles (naming the
/// steps in the cycle), a step whose `order` is not after all its dependencies' orders,
/// empty ids and actions. Each error is one sentence.
plan_validation validate_plan(const std::vector<plan_step>& steps);

/// Marks parallel stages: parallel_stage = longest dependency depth (0 for steps without
/// dependencies; steps on or behind a cycle keep -1); rebuilds `dependencies` from the steps
/// with type parallel when the step shares its stage with another step; recomputes
/// estimated_duration_s on the critical path.
plan optimize_plan(plan p);

/// Critical path in seconds using each step's parameters.estimated_seconds (0 if missing).
/// Dependencies on unknown steps are ignored, steps on a cycle are left out.
int64_t critical_path_seconds(const std::vector<plan_step>& steps);

/// Monthly cost estimate in USD for one component, sized by requirements and environment
/// (node_count, instance types, storage_gb, multi_az, azs...). Provider-specific base prices.
double estimate_component_cost(cloud_provider, const component_spec&, const requirements&,
                               const std::string& environment);

}  // namespace ce::planner
