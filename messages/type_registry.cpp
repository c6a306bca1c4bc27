#include "messages/type_registry.hpp"

#include "messages/errors.hpp"

#include "messages/domain.hpp"
#include "messages/protocol.hpp"
#include "messages/requirements.hpp"

namespace ce {

void register_message_types(caf::actor_system_config& cfg) {
  register_error_category(cfg);
  // add_message_type<T> also registers std::vector<T>.
  cfg.add_message_type<json_doc>("ce::json_doc");
  cfg.add_message_type<caller_identity>("ce::caller_identity");
  cfg.add_message_type<task_context>("ce::task_context");
  cfg.add_message_type<task_execution_refs>("ce::task_execution_refs");
  cfg.add_message_type<task_result>("ce::task_result");
  cfg.add_message_type<task>("ce::task");
  cfg.add_message_type<risk>("ce::risk");
  cfg.add_message_type<plan_step>("ce::plan_step");
  cfg.add_message_type<plan_dependency>("ce::plan_dependency");
  cfg.add_message_type<plan>("ce::plan");
  cfg.add_message_type<plan_validation>("ce::plan_validation");
  cfg.add_message_type<artifact>("ce::artifact");
  cfg.add_message_type<log_entry>("ce::log_entry");
  cfg.add_message_type<execution_error>("ce::execution_error");
  cfg.add_message_type<execution_result>("ce::execution_result");
  cfg.add_message_type<verification_check>("ce::verification_check");
  cfg.add_message_type<verification_result>("ce::verification_result");
  cfg.add_message_type<safety_check_info>("ce::safety_check_info");
  cfg.add_message_type<safety_check_result>("ce::safety_check_result");
  cfg.add_message_type<safety_report>("ce::safety_report");
  cfg.add_message_type<event>("ce::event");
  cfg.add_message_type<field_error>("ce::field_error");
  cfg.add_message_type<task_query>("ce::task_query");
  cfg.add_message_type<task_page>("ce::task_page");
  cfg.add_message_type<execution_outcome>("ce::execution_outcome");
  cfg.add_message_type<event_query>("ce::event_query");
  cfg.add_message_type<event_page>("ce::event_page");
  cfg.add_message_type<named_count>("ce::named_count");
  cfg.add_message_type<engine_statistics>("ce::engine_statistics");
  cfg.add_message_type<step_job>("ce::step_job");
  cfg.add_message_type<verify_job>("ce::verify_job");
  cfg.add_message_type<plan_job>("ce::plan_job");
  cfg.add_message_type<artifact_download>("ce::artifact_download");
  cfg.add_message_type<workspace_file>("ce::workspace_file");
  cfg.add_message_type<workspace>("ce::workspace");
  cfg.add_message_type<shared<workspace>>("ce::shared_workspace");
  cfg.add_message_type<stored_blob>("ce::stored_blob");
  cfg.add_message_type<step_outcome>("ce::step_outcome");
  cfg.add_message_type<stored_task>("ce::stored_task");
  cfg.add_message_type<rollback_check>("ce::rollback_check");
  cfg.add_message_type<rollback_report>("ce::rollback_report");
  // Enums travel natively but still need a name to cross a node boundary.
  cfg.add_message_type<task_type>("ce::task_type");
  cfg.add_message_type<safety_phase>("ce::safety_phase");
}

}  // namespace ce
