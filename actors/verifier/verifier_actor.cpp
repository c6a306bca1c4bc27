#include "actors/verifier/verifier_actor.hpp"

#include "actors/verifier/verifier.hpp"
#include "messages/clock.hpp"
#include "messages/requirements.hpp"

namespace ce::verifier {

verifier_actor::behavior_type verifier_behavior(verifier_actor::pointer self) {
  return {
      [=](atoms::verify, const verify_job& job) {
        verification_input in;
        in.p = &job.the_plan.get();
        in.context = &job.context;
        in.req = parse_requirements(job.context.requirements);
        in.results = &job.results;
        in.files = &job.files.get();
        in.cost_limit_usd = job.cost_limit_usd;
        auto result = verify(in, job.verification_id, job.execution_id, now_ms());
        self->quit();  // one verification per child
        return result;
      },
  };
}

}  // namespace ce::verifier
