#include "actors/executor/step_actor.hpp"

#include <memory>
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

step_actor::behavior_type step_behavior(step_actor::pointer self, std::string driver_name,
                                        generator_link generator) {
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
      [=](atoms::run_step, const step_job& received) -> caf::result<step_outcome> {
        // The action's input points into the job and the driver: they live as long as
        // the calls to the Generator Service it may wait for.
        struct running {
          step_job job;
          std::unique_ptr<deployment_driver> driver;
          action_input in;
          remote_answers answers;
          size_t outstanding = 0;
        };
        auto run = std::make_shared<running>();
        run->job = received;
        const auto& job = run->job;
        const plan_step* step = nullptr;
        for (const auto& s : job.the_plan->steps)
          if (s.id == job.step_id) step = &s;
        if (step == nullptr) throw std::logic_error("step " + job.step_id + " is not in the plan");
        if (crash_requested(job.context.requirements, job.step_id))
          throw std::runtime_error("simulated crash in step " + job.step_id);
        if (driver_name != "simulated")
          throw std::invalid_argument("unknown deployment driver " + driver_name);
        run->driver = make_simulated_driver();
        auto ids = std::make_shared<id_generator>();
        auto& in = run->in;
        in.p = &job.the_plan.get();
        in.step = step;
        in.context = &job.context;
        in.req = parse_requirements(job.context.requirements);
        in.files = &job.files.get();
        in.workspace_dir = job.workspace_dir;
        in.completed = &job.completed;
        in.driver = run->driver.get();
        in.result_id = job.result_id;
        in.next_artifact_id = [ids] { return ids->next("art"); };
        std::vector<generator_request> calls;
        if (generator.service) calls = remote_calls(in, job.the_plan->task_id);
        if (calls.empty()) {
          auto outcome = run_action(in);
          self->quit();  // one step per actor; quit only after success so a throw keeps its reason
          return outcome;
        }
        // The calls go out together; the action runs once every answer is in. Waiting is a
        // message away: no thread is held while the service works.
        auto promise = self->make_response_promise<step_outcome>();
        run->answers.fallback_builtin = generator.fallback_builtin;
        run->answers.replies.resize(calls.size());
        run->outstanding = calls.size();
        auto answered = [=](size_t index, generator_reply reply) mutable {
          run->answers.replies[index] = std::move(reply);
          if (--run->outstanding > 0) return;
          run->in.remote = &run->answers;
          promise.deliver(run_action(run->in));
          self->quit();
        };
        for (size_t i = 0; i < calls.size(); ++i)
          self->request(generator.service, generator.call_timeout, atoms::generator_call::value,
                        std::move(calls[i]))
              .then([=](generator_reply& reply) mutable { answered(i, std::move(reply)); },
                    [=](caf::error& e) mutable {
                      generator_reply lost;
                      lost.transient = true;
                      lost.error =
                          "the generator client did not answer: " + self->system().render(e);
                      answered(i, std::move(lost));
                    });
        return promise;
      },
  };
}

}  // namespace ce::executor
