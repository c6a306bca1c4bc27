#include "actors/executor/step_actor.hpp"

#include <stdexcept>

#include <boost/json.hpp>

#include "actors/executor/actions.hpp"
#include "actors/executor/deployment_driver.hpp"
#include "messages/errors.hpp"
#include "messages/ids.hpp"
#include "messages/requirements.hpp"

namespace ce::executor {

namespace {

/// Fault injection for supervision tests: requirements.simulate.crash_step
/// names a step whose actor throws instead of running.
bool crash_requested(const json_doc& requirements, const std::string& step_id) {
  if (requirements.text.find("crash_step") == std::string::npos) return false;
  boost::system::error_code ec;
  auto value = boost::json::parse(requirements.text, ec);
  if (ec || !value.is_object()) return false;
  auto* simulate = value.get_object().if_contains("simulate");
  if (!simulate || !simulate->is_object()) return false;
  auto* step = simulate->get_object().if_contains("crash_step");
  return step && step->is_string() && step->get_string() == step_id;
}

}  // namespace

step_actor::behavior_type step_behavior(step_actor::pointer self, std::string driver_name) {
  // The exception's text becomes the exit reason, so the task actor can put
  // it into result.errors (instead of CAF printing it to stdout).
  self->set_exception_handler([](std::exception_ptr& eptr) -> caf::error {
    try {
      std::rethrow_exception(eptr);
    } catch (const std::exception& e) {
      return make_error(errc::internal, e.what());
    } catch (...) {
      return make_error(errc::internal, "unknown exception");
    }
  });
  return {
      [=](atoms::run_step, const step_job& job) -> step_outcome {
        const plan_step* step = nullptr;
        for (const auto& s : job.the_plan->steps)
          if (s.id == job.step_id) step = &s;
        if (step == nullptr) throw std::logic_error("step " + job.step_id + " is not in the plan");
        if (crash_requested(job.context.requirements, job.step_id))
          throw std::runtime_error("simulated crash in step " + job.step_id);
        if (driver_name != "simulated")
          throw std::invalid_argument("unknown deployment driver " + driver_name);
        auto driver = make_simulated_driver();
        auto ids = std::make_shared<id_generator>();
        action_input in;
        in.p = &job.the_plan.get();
        in.step = step;
        in.context = &job.context;
        in.req = parse_requirements(job.context.requirements);
        in.files = &job.files.get();
        in.workspace_dir = job.workspace_dir;
        in.completed = &job.completed;
        in.driver = driver.get();
        in.result_id = job.result_id;
        in.next_artifact_id = [ids] { return ids->next("art"); };
        auto outcome = run_action(in);
        self->quit();  // one step per actor; quit only after success so a throw keeps its reason
        return outcome;
      },
  };
}

}  // namespace ce::executor
