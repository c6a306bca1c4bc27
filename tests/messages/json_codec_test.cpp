#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <set>
#include <string>

#include "messages/clock.hpp"
#include "messages/json_codec.hpp"

namespace json = boost::json;
using namespace ce;
using namespace ce::codec;

namespace {

// 2026-11-27T14:34:16.533Z, the contract's example timestamp.
constexpr timestamp_ms example_time = 1795790056533;
constexpr const char* example_iso = "2026-11-27T14:34:16.533Z";

std::set<std::string> keys_of(const json::value& v) {
  std::set<std::string> keys;
  for (const auto& kv : v.as_object()) keys.insert(std::string(kv.key()));
  return keys;
}

bool has(const json::value& v, const char* key) {
  return v.as_object().contains(key);
}

std::string text_at(const json::value& v, const char* key) {
  return std::string(v.as_object().at(key).as_string());
}

std::vector<std::string> fields_of(const decode_error& e) {
  std::vector<std::string> fields;
  for (const auto& d : e.details) fields.push_back(d.field);
  return fields;
}

bool names_field(const decode_error& e, const std::string& field) {
  auto fields = fields_of(e);
  return std::find(fields.begin(), fields.end(), field) != fields.end();
}

std::string message_for(const decode_error& e, const std::string& field) {
  for (const auto& d : e.details)
    if (d.field == field) return d.message;
  return "";
}

/// A create-task body with one part replaced: `context_extra` goes inside the
/// context object, `top_extra` at the top level.
std::string task_body(const std::string& top_extra = "", const std::string& context_extra = "") {
  return R"({"type":"generate",)" + top_extra +
         R"("context":{"provider":"aws","environment":"dev","components":["vpc"])" +
         (context_extra.empty() ? "" : "," + context_extra) + "}}";
}

/// A create-task body whose context is exactly `context`.
std::string task_body_with_context(const std::string& context) {
  return R"({"type":"generate","context":)" + context + "}";
}

task full_task() {
  task t;
  t.id = "task_01";
  t.type = task_type::deploy;
  t.status = task_status::completed;
  t.prio = priority::high;
  t.user_id = "user-123";
  t.created_at = example_time;
  t.updated_at = example_time + 1;
  t.completed_at = example_time + 2;
  t.context.provider = cloud_provider::gcp;
  t.context.environment = "production";
  t.context.region = "europe-west1";
  t.context.components = {"vpc", "gke"};
  t.context.requirements = json_doc{R"({"node_count":3})"};
  t.execution = {"plan_1", "exec_1", "ver_1"};
  t.result.present = true;
  t.result.success = true;
  t.result.outputs = json_doc{R"({"vpc_id":"vpc-1"})"};
  t.result.artifacts = {"vpc.tf"};
  t.result.errors = {};
  t.metadata = json_doc{R"({"ticket":"OPS-1"})"};
  return t;
}

}  // namespace

// ---- output -------------------------------------------------------------------

TEST_CASE("a task is written with the contract's field names", "[codec][task]") {
  auto v = to_json(full_task());
  CHECK(keys_of(v) == std::set<std::string>{"id", "type", "status", "priority", "user_id",
                                            "created_at", "updated_at", "completed_at", "context",
                                            "execution", "result", "metadata"});
  CHECK(text_at(v, "type") == "deploy");
  CHECK(text_at(v, "status") == "completed");
  CHECK(text_at(v, "priority") == "high");
  CHECK(text_at(v, "created_at") == example_iso);
  const auto& context = v.at("context");
  CHECK(keys_of(context) ==
        std::set<std::string>{"provider", "environment", "region", "components", "requirements"});
  CHECK(text_at(context, "provider") == "gcp");
  CHECK(context.at("components") == json::parse(R"(["vpc","gke"])"));
  CHECK(context.at("requirements") == json::parse(R"({"node_count":3})"));
  CHECK(v.at("execution") ==
        json::parse(R"({"plan_id":"plan_1","execution_id":"exec_1","verification_id":"ver_1"})"));
  CHECK(v.at("result") == json::parse(
                              R"({"success":true,"outputs":{"vpc_id":"vpc-1"},
                                  "artifacts":["vpc.tf"],"errors":[]})"));
  CHECK(v.at("metadata") == json::parse(R"({"ticket":"OPS-1"})"));
}

TEST_CASE("a new task leaves out what it does not have yet", "[codec][task]") {
  task t;
  t.id = "task_02";
  t.user_id = "anonymous";
  t.created_at = t.updated_at = example_time;
  t.context.environment = "dev";
  t.context.components = {"vpc"};
  auto v = to_json(t);
  CHECK_FALSE(has(v, "completed_at"));
  CHECK_FALSE(has(v, "result"));
  CHECK_FALSE(has(v, "metadata"));
  CHECK_FALSE(has(v.at("context"), "region"));
  CHECK_FALSE(has(v.at("context"), "requirements"));
  CHECK(v.at("execution").as_object().empty());
  CHECK(text_at(v, "priority") == "medium");
  CHECK(text_at(v, "status") == "pending");
}

TEST_CASE("a plan is written with the contract's field names, its type and its context",
          "[codec][plan]") {
  plan p;
  p.id = "plan_1";
  p.task_id = "task_1";
  p.created_at = p.updated_at = example_time;
  p.type = task_type::deploy;
  p.context.environment = "production";
  p.context.components = {"vpc"};
  p.steps.resize(2);
  p.dependencies.push_back({"step_2", {"step_1"}, dependency_type::sequential});
  p.estimated_duration_s = 420;
  p.estimated_cost = 125.5;
  p.risks.resize(1);
  p.risk_level = severity::high;
  p.requires_approval = true;
  auto v = to_json(p);
  CHECK(keys_of(v) == std::set<std::string>{"id", "task_id", "status", "created_at", "updated_at",
                                            "type", "context", "steps", "dependencies",
                                            "estimated_duration", "estimated_cost", "risks",
                                            "risk_level", "requires_approval"});
  CHECK(text_at(v, "status") == "draft");
  CHECK(text_at(v, "type") == "deploy");
  CHECK(v.at("estimated_duration") == 420);  // seconds, as stored
  CHECK(v.at("estimated_cost").to_number<double>() == 125.5);
  CHECK(text_at(v, "risk_level") == "high");
  CHECK(v.at("steps").as_array().size() == 2);
  CHECK(v.at("dependencies") ==
        json::parse(R"([{"step_id":"step_2","depends_on":["step_1"],"type":"sequential"}])"));
  CHECK(text_at(v.at("context"), "environment") == "production");
}

TEST_CASE("an approved plan names who approved it and when", "[codec][plan]") {
  plan p;
  p.status = plan_status::approved;
  p.approved_by = "alice";
  p.approved_at = example_time;
  auto v = to_json(p);
  CHECK(text_at(v, "approved_by") == "alice");
  CHECK(text_at(v, "approved_at") == example_iso);
}

TEST_CASE("a plan step is written with the contract's field names", "[codec][plan]") {
  plan_step s;
  s.id = "step_1";
  s.order = 1;
  s.type = step_type::validate;
  s.description = "Validate the VPC";
  s.component = "vpc";
  s.action = "terraform_validate";
  s.parameters = json_doc{R"({"dir":"vpc"})"};
  s.status = step_status::completed;
  s.started_at = example_time;
  s.completed_at = example_time + 1500;
  s.duration_ms = 1500;
  s.depends_on = {"step_0"};
  s.rollback_action = "destroy";
  s.rollback_parameters = json_doc{R"({"force":true})"};
  s.parallel_stage = 0;
  auto v = to_json(s);
  CHECK(keys_of(v) == std::set<std::string>{
                          "id", "order", "type", "description", "component", "action", "parameters",
                          "status", "started_at", "completed_at", "duration", "depends_on",
                          "rollback_action", "rollback_parameters", "parallel_stage"});
  CHECK(v.at("duration") == 1500);
  CHECK(v.at("parameters") == json::parse(R"({"dir":"vpc"})"));
  CHECK(v.at("rollback_parameters") == json::parse(R"({"force":true})"));
  CHECK(v.at("parallel_stage") == 0);
  CHECK(text_at(v, "completed_at") == "2026-11-27T14:34:18.033Z");
}

TEST_CASE("a pending step leaves out times, duration, component, rollback and stage",
          "[codec][plan]") {
  plan_step s;
  s.id = "step_1";
  s.action = "render";
  auto v = to_json(s);
  CHECK(keys_of(v) == std::set<std::string>{"id", "order", "type", "description", "action",
                                            "parameters", "status", "depends_on"});
  CHECK(v.at("parameters") == json::object{});
  CHECK(v.at("depends_on") == json::array{});
}

TEST_CASE("a risk calls its level severity", "[codec][plan]") {
  risk r{"risk_1", severity::critical, risk_category::cost, "expensive", "", 0.25, 0.75};
  auto v = to_json(r);
  CHECK(keys_of(v) == std::set<std::string>{"id", "severity", "category", "description",
                                            "probability", "impact"});
  CHECK(text_at(v, "severity") == "critical");
  CHECK(text_at(v, "category") == "cost");
  CHECK(v.at("probability").to_number<double>() == 0.25);
  r.mitigation = "set a budget";
  CHECK(text_at(to_json(r), "mitigation") == "set a budget");
}

TEST_CASE("an execution result carries artifacts, logs and its error", "[codec][execution]") {
  execution_result r;
  r.id = "exec_1";
  r.plan_id = "plan_1";
  r.step_id = "step_1";
  r.status = execution_status::failure;
  r.started_at = example_time;
  r.completed_at = example_time + 20;
  r.duration_ms = 20;
  r.outputs = json_doc{R"({"files":1})"};
  r.artifacts.push_back(
      {"art_1", artifact_type::terraform, "vpc.tf", "/data/vpc.tf", 42, "ab12", example_time});
  r.logs.push_back({example_time, log_level::warn, "slow", json_doc{R"({"ms":20})"}});
  r.error = {"render_failed", "template missing", json_doc{R"({"template":"vpc"})"}};
  auto v = to_json(r);
  CHECK(keys_of(v) == std::set<std::string>{"id", "plan_id", "step_id", "status", "started_at",
                                            "completed_at", "duration", "outputs", "artifacts",
                                            "logs", "error"});
  CHECK(text_at(v, "status") == "failure");
  const auto& art = v.at("artifacts").at(0);
  CHECK(keys_of(art) ==
        std::set<std::string>{"id", "type", "name", "path", "size", "checksum", "created_at"});
  CHECK(art.at("size") == 42);
  CHECK(text_at(art, "type") == "terraform");
  const auto& log = v.at("logs").at(0);
  CHECK(keys_of(log) == std::set<std::string>{"timestamp", "level", "message", "context"});
  CHECK(text_at(log, "level") == "warn");
  CHECK(text_at(log, "timestamp") == example_iso);
  CHECK(v.at("error") == json::parse(R"({"code":"render_failed","message":"template missing",
                                         "details":{"template":"vpc"}})"));
}

TEST_CASE("a successful execution result has no error and no empty outputs", "[codec][execution]") {
  execution_result r;
  r.id = "exec_1";
  r.started_at = r.completed_at = example_time;
  auto v = to_json(r);
  CHECK_FALSE(has(v, "error"));
  CHECK_FALSE(has(v, "outputs"));
  CHECK(text_at(v, "status") == "success");
  CHECK(v.at("duration") == 0);
}

TEST_CASE("a verification result summarises its checks", "[codec][verification]") {
  verification_result r;
  r.id = "ver_1";
  r.execution_id = "exec_1";
  r.status = verification_status::warning;
  r.started_at = r.completed_at = example_time;
  verification_check passed;
  passed.id = "chk_1";
  passed.type = check_category::functionality;
  passed.name = "files exist";
  verification_check warned = passed;
  warned.id = "chk_2";
  warned.status = check_status::warning;
  warned.expected.text = R"(["Environment","Project"])";
  warned.actual.text = R"(["Project"])";
  warned.error = "no tags";
  warned.remediation = "add tags";
  r.checks = {passed, warned};
  r.total_checks = 2;
  r.passed = 1;
  r.warnings = 1;
  auto v = to_json(r);
  CHECK(keys_of(v) == std::set<std::string>{"id", "execution_id", "status", "started_at",
                                            "completed_at", "checks", "summary"});
  CHECK(v.at("summary") == json::parse(R"({"total_checks":2,"passed":1,"failed":0,"warnings":1})"));
  CHECK(keys_of(v.at("checks").at(0)) ==
        std::set<std::string>{"id", "type", "name", "description", "status"});
  CHECK(keys_of(v.at("checks").at(1)) == std::set<std::string>{"id", "type", "name", "description",
                                                               "status", "expected", "actual",
                                                               "error", "remediation"});
  CHECK(text_at(v.at("checks").at(0), "type") == "functionality");
  // expected/actual keep their natural JSON type.
  CHECK(v.at("checks").at(1).at("expected") == json::parse(R"(["Environment","Project"])"));
  CHECK(v.at("checks").at(1).at("actual") == json::parse(R"(["Project"])"));
}

TEST_CASE("a check value stored as a sentence before values were JSON reads back as that string",
          "[codec][verification]") {
  verification_check old;
  old.id = "chk_1";
  old.actual.text = "3 artifacts match their checksums";
  auto v = to_json(old);
  CHECK(v.at("actual") == json::value("3 artifacts match their checksums"));
  CHECK_FALSE(v.as_object().contains("expected"));
}

TEST_CASE("a registered safety check calls its phase type", "[codec][safety]") {
  safety_check_info c{"prod_guard",
                      "Production safeguard",
                      "asks for approval",
                      safety_phase::pre_execution,
                      risk_category::availability,
                      severity::high};
  auto v = to_json(c);
  CHECK(v == json::parse(R"({"id":"prod_guard","name":"Production safeguard",
                             "description":"asks for approval","type":"pre_execution",
                             "category":"availability","severity":"high"})"));
}

TEST_CASE("a safety report lists results and blockers under its phase", "[codec][safety]") {
  safety_check_result blocker{"encryption",
                              "Encryption",
                              false,
                              severity::critical,
                              "encryption is off",
                              json_doc{R"({"component":"rds"})"},
                              false,
                              false};
  safety_check_result fine{"cost", "Cost limit", true, severity::low,
                           "ok",   json_doc{},   true, false};
  safety_report report{safety_phase::pre_execution, false, true, {blocker, fine}, {blocker}};
  auto v = to_json(report);
  CHECK(keys_of(v) ==
        std::set<std::string>{"passed", "results", "blockers", "requires_approval", "type"});
  CHECK(text_at(v, "type") == "pre_execution");
  CHECK(v.at("passed") == false);
  CHECK(v.at("blockers").as_array().size() == 1);
  const auto& first = v.at("results").at(0);
  CHECK(keys_of(first) == std::set<std::string>{"check_id", "name", "passed", "severity", "message",
                                                "details", "can_proceed", "requires_approval"});
  CHECK(text_at(first, "severity") == "critical");
  CHECK(first.at("details") == json::parse(R"({"component":"rds"})"));
  CHECK_FALSE(has(v.at("results").at(1), "details"));
}

TEST_CASE("a plan validation is valid plus its errors", "[codec][plan]") {
  CHECK(to_json(plan_validation{false, {"cycle: a -> b -> a"}}) ==
        json::parse(R"({"valid":false,"errors":["cycle: a -> b -> a"]})"));
  CHECK(to_json(plan_validation{}) == json::parse(R"({"valid":true,"errors":[]})"));
}

TEST_CASE("an event embeds its data as JSON, not as a string", "[codec][event]") {
  event e{"evt_1",      7,
          "task_1",     "step_completed",
          example_time, json_doc{R"({"step_id":"s1","n":[1,2]})"},
          "user-1"};
  auto v = to_json(e);
  CHECK(keys_of(v) ==
        std::set<std::string>{"id", "seq", "task_id", "type", "timestamp", "data", "user_id"});
  CHECK(v.at("seq") == 7);
  CHECK(text_at(v, "timestamp") == example_iso);
  REQUIRE(v.at("data").is_object());
  CHECK(v.at("data") == json::parse(R"({"step_id":"s1","n":[1,2]})"));
}

TEST_CASE("an event without a user leaves user_id out", "[codec][event]") {
  event e;
  e.id = "evt_2";
  e.timestamp = example_time;
  e.data = json_doc{R"({"x":1})"};
  CHECK_FALSE(has(to_json(e), "user_id"));
}

TEST_CASE("a json_doc becomes JSON; invalid text becomes null", "[codec][doc]") {
  CHECK(to_json(json_doc{R"({"a":[1,{"b":null}]})"}) == json::parse(R"({"a":[1,{"b":null}]})"));
  CHECK(to_json(json_doc{""}) == json::object{});
  CHECK(to_json(json_doc{"{not json"}).is_null());
}

TEST_CASE("to_doc and to_json are inverse", "[codec][doc]") {
  auto v = json::parse(R"({"name":"a \"quoted\"\nline","list":[1,2.5,true,null]})");
  auto doc = to_doc(v);
  CHECK(to_json(doc) == v);
  CHECK(doc.text == codec::serialize(v));
}

TEST_CASE("serialized output escapes quotes and control characters", "[codec][doc]") {
  risk r;
  r.description = "say \"hi\"\n\tand \x01 go";
  auto text = codec::serialize(to_json(r));
  CHECK(text.find('\n') == std::string::npos);
  CHECK(std::string(json::parse(text).at("description").as_string()) == r.description);
}

TEST_CASE("to_json_array writes each element in order", "[codec][doc]") {
  std::vector<plan_dependency> deps{{"b", {"a"}, dependency_type::parallel},
                                    {"c", {"a", "b"}, dependency_type::sequential}};
  auto arr = to_json_array(deps);
  REQUIRE(arr.size() == 2);
  CHECK(text_at(arr[0], "step_id") == "b");
  CHECK(text_at(arr[0], "type") == "parallel");
  CHECK(arr[1].at("depends_on") == json::parse(R"(["a","b"])"));
}

// ---- input: create task ---------------------------------------------------------

TEST_CASE("the seed README's create-task body decodes", "[codec][decode]") {
  // Verbatim from the original service's README, "Create and Execute Task".
  auto d = decode_create_task(R"({
    "type": "generate",
    "user_id": "user-123",
    "priority": "high",
    "context": {
      "provider": "aws",
      "environment": "production",
      "region": "us-east-1",
      "components": ["vpc", "eks", "rds"],
      "requirements": {
        "vpc_cidr": "10.0.0.0/16",
        "eks_version": "1.28",
        "rds_engine": "postgres"
      }
    }
  })");
  REQUIRE(d);
  CHECK(d.value.type == task_type::generate);
  CHECK(d.value.prio == priority::high);
  CHECK(d.value.user_id == "user-123");
  CHECK(d.value.context.provider == cloud_provider::aws);
  CHECK(d.value.context.environment == "production");
  CHECK(d.value.context.region == "us-east-1");
  CHECK(d.value.context.components == std::vector<std::string>{"vpc", "eks", "rds"});
  CHECK(d.value.context.requirements.text ==
        R"({"vpc_cidr":"10.0.0.0/16","eks_version":"1.28","rds_engine":"postgres"})");
  CHECK(d.value.metadata.empty_object());
}

TEST_CASE("the seed README's generate-plan body decodes", "[codec][decode]") {
  auto d = decode_generate_plan(R"({"type": "deploy", "context": {"provider": "aws",
      "environment": "production", "components": ["vpc", "eks"]}})");
  REQUIRE(d);
  CHECK(d.value.type == task_type::deploy);
  CHECK(d.value.context.components == std::vector<std::string>{"vpc", "eks"});
  CHECK(d.value.context.region.empty());
  CHECK(d.value.context.requirements.empty_object());
}

TEST_CASE("priority defaults to medium and user_id to empty", "[codec][decode]") {
  auto d = decode_create_task(task_body());
  REQUIRE(d);
  CHECK(d.value.prio == priority::medium);
  CHECK(d.value.user_id.empty());
}

TEST_CASE("requirements with nested objects come back out unchanged", "[codec][decode]") {
  const std::string requirements =
      R"({"tags":{"team":"infra","env":"dev"},"extra":{"rules":[{"port":443,"cidr":["0.0.0.0/0"]}],)"
      R"("ratio":0.5,"on":true,"none":null},"node_count":3})";
  auto d = decode_create_task(task_body("", R"("requirements":)" + requirements));
  REQUIRE(d);
  task t;
  t.context = d.value.context;
  auto out = to_json(t).at("context").at("requirements");
  CHECK(out == json::parse(requirements));
}

TEST_CASE("metadata is kept as an object", "[codec][decode]") {
  auto d = decode_create_task(task_body(R"("metadata":{"ticket":"OPS-1","labels":["a"]},)"));
  REQUIRE(d);
  CHECK(json::parse(d.value.metadata.text) == json::parse(R"({"ticket":"OPS-1","labels":["a"]})"));
}

TEST_CASE("unknown fields are ignored and null counts as not given", "[codec][decode]") {
  auto d = decode_create_task(task_body(R"("colour":"blue","priority":null,"user_id":null,)",
                                        R"("region":null,"shape":{"round":true})"));
  REQUIRE(d);
  CHECK(d.value.prio == priority::medium);
  CHECK(d.value.context.region.empty());
}

TEST_CASE("unicode text survives decoding and encoding", "[codec][decode]") {
  const std::string user = "Jos\xC3\xA9 \xE6\x9D\xB1\xE4\xBA\xAC \xF0\x9F\x9A\x80";  // José 東京 🚀
  auto d = decode_create_task(
      task_body(R"("user_id":")" + user + R"(","metadata":{"note":"\u00e9\ud83d\ude80"},)"));
  REQUIRE(d);
  CHECK(d.value.user_id == user);
  task t;
  t.user_id = d.value.user_id;
  t.metadata = d.value.metadata;
  auto back = json::parse(codec::serialize(to_json(t)));
  CHECK(std::string(back.at("user_id").as_string()) == user);
  CHECK(std::string(back.at("metadata").at("note").as_string()) == "\xC3\xA9\xF0\x9F\x9A\x80");
}

TEST_CASE("a body that is not UTF-8 is not valid JSON", "[codec][decode]") {
  auto d = decode_create_task(task_body("\"user_id\":\"\xC3\x28\","));
  REQUIRE_FALSE(d);
  CHECK(d.error->message.rfind("request body is not valid JSON: ", 0) == 0);
}

TEST_CASE("malformed JSON is refused with the parser's reason and no details", "[codec][decode]") {
  for (std::string body : {"{\"type\":", "", "{} trailing", "{'type':'generate'}"}) {
    INFO("body " << body);
    auto d = decode_create_task(body);
    REQUIRE_FALSE(d);
    CHECK(d.error->message.rfind("request body is not valid JSON: ", 0) == 0);
    CHECK(d.error->message.size() > std::string("request body is not valid JSON: ").size());
    CHECK(d.error->details.empty());
  }
}

TEST_CASE("a body that is not an object is refused", "[codec][decode]") {
  for (std::string body : {"[1,2]", "\"generate\"", "42", "null"}) {
    INFO("body " << body);
    auto d = decode_create_task(body);
    REQUIRE_FALSE(d);
    CHECK(d.error->message == "request body must be a JSON object");
    CHECK(d.error->details.empty());
  }
}

TEST_CASE("a key twice anywhere in a body is refused with its path", "[codec][decode]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"type":"generate","type":"deploy"})", "\"type\""},
      {R"({"type":"generate","context":{"provider":"aws","provider":"gcp"}})",
       "\"context.provider\""},
      {R"({"type":"generate","context":{"requirements":{"tags":{"a":"1","a":"2"}}}})",
       "\"context.requirements.tags.a\""},
      {R"({"steps":[{"id":"s1"},{"id":"s2","id":"s3"}]})", "\"steps[1].id\""},
  };
  for (const auto& [body, path] : cases) {
    INFO(body);
    auto d = decode_create_task(body);
    REQUIRE_FALSE(d);
    CHECK(d.error->message == "request body has the key " + path + " more than once");
  }
  // The same names in different objects are fine.
  CHECK(decode_create_task(
      R"({"type":"generate","context":{"provider":"aws","environment":"dev","components":["vpc"],)"
      R"("requirements":{"type":"x","tags":{"type":"y"}}}})"));
}

TEST_CASE("a missing or unknown type is refused and the names are listed", "[codec][decode]") {
  auto missing = decode_create_task(
      R"({"context":{"provider":"aws","environment":"dev","components":["vpc"]}})");
  REQUIRE_FALSE(missing);
  CHECK(fields_of(*missing.error) == std::vector<std::string>{"type"});
  CHECK(missing.error->details[0].message == "is required");
  CHECK(missing.error->message == "type is required");

  auto unknown = decode_create_task(R"({"type":"destroy","context":{"provider":"aws",
      "environment":"dev","components":["vpc"]}})");
  REQUIRE_FALSE(unknown);
  CHECK(message_for(*unknown.error, "type") ==
        "must be one of generate, deploy, verify, rollback, analyze");

  auto wrong_type = decode_create_task(R"({"type":3,"context":{"provider":"aws",
      "environment":"dev","components":["vpc"]}})");
  REQUIRE_FALSE(wrong_type);
  CHECK(names_field(*wrong_type.error, "type"));
}

TEST_CASE("an unknown priority is refused", "[codec][decode]") {
  auto d = decode_create_task(task_body(R"("priority":"urgent",)"));
  REQUIRE_FALSE(d);
  CHECK(message_for(*d.error, "priority") == "must be one of low, medium, high, critical");
}

TEST_CASE("a user_id that is not a string is refused", "[codec][decode]") {
  auto d = decode_create_task(task_body(R"("user_id":123,)"));
  REQUIRE_FALSE(d);
  CHECK(message_for(*d.error, "user_id") == "must be a string");
}

TEST_CASE("the context is required and must be an object", "[codec][decode]") {
  auto missing = decode_create_task(R"({"type":"generate"})");
  REQUIRE_FALSE(missing);
  CHECK(fields_of(*missing.error) == std::vector<std::string>{"context"});
  auto wrong = decode_create_task(R"({"type":"generate","context":"aws"})");
  REQUIRE_FALSE(wrong);
  CHECK(message_for(*wrong.error, "context") == "must be an object");
}

TEST_CASE("an unknown provider is refused with the contract's sentence", "[codec][decode]") {
  // api.md, Conventions: {"field":"context.provider","message":"must be one of aws, gcp, azure"}.
  auto d = decode_create_task(
      task_body_with_context(R"({"provider":"ibm","environment":"dev","components":["vpc"]})"));
  REQUIRE_FALSE(d);
  REQUIRE(d.error->details.size() == 1);
  CHECK(d.error->details[0].field == "context.provider");
  CHECK(d.error->details[0].message == "must be one of aws, gcp, azure");
  CHECK(d.error->message == "context.provider must be one of aws, gcp, azure");

  auto missing =
      decode_create_task(task_body_with_context(R"({"environment":"dev","components":["vpc"]})"));
  REQUIRE_FALSE(missing);
  CHECK(message_for(*missing.error, "context.provider") == "is required");
}

TEST_CASE("the environment must be a short name of a-z, 0-9, _ and -", "[codec][decode]") {
  auto with_env = [](const std::string& env_json) {
    return decode_create_task(task_body_with_context(R"({"provider":"aws","environment":)" +
                                                     env_json + R"(,"components":["vpc"]})"));
  };
  CHECK(with_env(R"("prod-eu_2")"));
  CHECK(with_env('"' + std::string(max_environment_chars, 'a') + '"'));
  for (std::string bad :
       std::vector<std::string>{R"("")", R"("Production")", R"("prod env")", R"("prod/eu")", "7",
                                '"' + std::string(max_environment_chars + 1, 'a') + '"'}) {
    INFO("environment " << bad);
    auto d = with_env(bad);
    REQUIRE_FALSE(d);
    CHECK(fields_of(*d.error) == std::vector<std::string>{"context.environment"});
  }
  auto missing =
      decode_create_task(task_body_with_context(R"({"provider":"aws","components":["vpc"]})"));
  REQUIRE_FALSE(missing);
  CHECK(message_for(*missing.error, "context.environment") == "is required");
}

TEST_CASE("a region that is not a string is refused", "[codec][decode]") {
  auto d = decode_create_task(task_body("", R"("region":["us-east-1"])"));
  REQUIRE_FALSE(d);
  CHECK(message_for(*d.error, "context.region") == "must be a string");
}

TEST_CASE("components must be a non-empty list of non-empty strings", "[codec][decode]") {
  auto with_components = [](const std::string& components) {
    return decode_create_task(task_body_with_context(
        R"({"provider":"aws","environment":"dev","components":)" + components + "}"));
  };
  auto empty = with_components("[]");
  REQUIRE_FALSE(empty);
  CHECK(names_field(*empty.error, "context.components"));

  auto not_list = with_components(R"("vpc")");
  REQUIRE_FALSE(not_list);
  CHECK(names_field(*not_list.error, "context.components"));

  auto bad_items = with_components(R"(["vpc", 3, ""])");
  REQUIRE_FALSE(bad_items);
  CHECK(fields_of(*bad_items.error) ==
        std::vector<std::string>{"context.components[1]", "context.components[2]"});

  auto missing =
      decode_create_task(task_body_with_context(R"({"provider":"aws","environment":"dev"})"));
  REQUIRE_FALSE(missing);
  CHECK(message_for(*missing.error, "context.components") == "is required");
}

TEST_CASE("a task may name at most 50 components", "[codec][decode]") {
  auto list_of = [](std::size_t n) {
    std::string list = "[";
    for (std::size_t i = 0; i < n; ++i) list += (i ? ",\"c" : "\"c") + std::to_string(i) + "\"";
    return list + "]";
  };
  auto at_limit = decode_create_task(task_body_with_context(
      R"({"provider":"aws","environment":"dev","components":)" + list_of(max_components) + "}"));
  REQUIRE(at_limit);
  CHECK(at_limit.value.context.components.size() == 50);

  auto over = decode_create_task(
      task_body_with_context(R"({"provider":"aws","environment":"dev","components":)" +
                             list_of(max_components + 1) + "}"));
  REQUIRE_FALSE(over);
  CHECK(message_for(*over.error, "context.components") == "must name at most 50 components");
}

TEST_CASE("string fields are limited to 256 bytes", "[codec][decode]") {
  auto at_limit = decode_create_task(
      task_body(R"("user_id":")" + std::string(max_string_bytes, 'u') + R"(",)"));
  REQUIRE(at_limit);
  auto over = decode_create_task(
      task_body(R"("user_id":")" + std::string(max_string_bytes + 1, 'u') + R"(",)"));
  REQUIRE_FALSE(over);
  CHECK(message_for(*over.error, "user_id") == "must be at most 256 bytes");
  auto long_component = decode_create_task(
      task_body_with_context(R"({"provider":"aws","environment":"dev","components":[")" +
                             std::string(max_string_bytes + 1, 'c') + R"("]})"));
  REQUIRE_FALSE(long_component);
  CHECK(names_field(*long_component.error, "context.components[0]"));
}

TEST_CASE("requirements must be an object and known keys must have their types",
          "[codec][decode]") {
  auto not_object = decode_create_task(task_body("", R"("requirements":"big")"));
  REQUIRE_FALSE(not_object);
  CHECK(message_for(*not_object.error, "context.requirements") == "must be an object");

  auto wrong_types = decode_create_task(
      task_body("", R"("requirements":{"node_count":"three","encryption":"yes"})"));
  REQUIRE_FALSE(wrong_types);
  CHECK(fields_of(*wrong_types.error) ==
        std::vector<std::string>{"context.requirements.node_count",
                                 "context.requirements.encryption"});
}

TEST_CASE("metadata that is not an object is refused", "[codec][decode]") {
  auto d = decode_create_task(task_body(R"("metadata":["a"],)"));
  REQUIRE_FALSE(d);
  CHECK(message_for(*d.error, "metadata") == "must be an object");
}

TEST_CASE("every problem is reported at once and the message names the first", "[codec][decode]") {
  auto d = decode_create_task(
      R"({"type":"explode","priority":"now","context":{"provider":"ibm","environment":"Prod",
          "components":[]}})");
  REQUIRE_FALSE(d);
  CHECK(fields_of(*d.error) == std::vector<std::string>{"type", "priority", "context.provider",
                                                        "context.environment",
                                                        "context.components"});
  CHECK(d.error->message ==
        "type must be one of generate, deploy, verify, rollback, analyze (and 4 more, see "
        "details)");
}

TEST_CASE("generate-plan bodies are checked like task bodies", "[codec][decode]") {
  auto d = decode_generate_plan(R"({"context":{"provider":"aws","components":["vpc"]}})");
  REQUIRE_FALSE(d);
  CHECK(fields_of(*d.error) == std::vector<std::string>{"type", "context.environment"});
}

// ---- input: other bodies --------------------------------------------------------

TEST_CASE("the seed README's safety-check body decodes", "[codec][decode]") {
  auto d = decode_safety_check(
      R"({"task_id": "task_123", "plan_id": "plan_456", "type": "pre_execution"})");
  REQUIRE(d);
  CHECK(d.value.task_id == "task_123");
  CHECK(d.value.plan_id == "plan_456");
  CHECK(d.value.phase == safety_phase::pre_execution);
}

TEST_CASE("a safety check needs a task or a plan and a known phase", "[codec][decode]") {
  auto only_task = decode_safety_check(R"({"task_id":"task_1","type":"post_execution"})");
  REQUIRE(only_task);
  CHECK(only_task.value.phase == safety_phase::post_execution);

  auto neither = decode_safety_check(R"({"type":"pre_execution"})");
  REQUIRE_FALSE(neither);
  CHECK(fields_of(*neither.error) == std::vector<std::string>{"plan_id"});

  auto bad_phase = decode_safety_check(R"({"plan_id":"plan_1","type":"before"})");
  REQUIRE_FALSE(bad_phase);
  CHECK(message_for(*bad_phase.error, "type") ==
        "must be one of pre_execution, during_execution, post_execution");
}

TEST_CASE("an approval may have an empty body or a comment", "[codec][decode]") {
  auto empty = decode_approve("");
  REQUIRE(empty);
  CHECK(empty.value.comment.empty());
  CHECK(decode_approve("  \n"));
  auto with_comment = decode_approve(R"({"comment":"looks fine","approved_by":"alice"})");
  REQUIRE(with_comment);
  CHECK(with_comment.value.comment == "looks fine");
  CHECK(with_comment.value.approved_by == "alice");
  auto bad = decode_approve(R"({"comment":false})");
  REQUIRE_FALSE(bad);
  CHECK(fields_of(*bad.error) == std::vector<std::string>{"comment"});
  CHECK_FALSE(decode_approve("{oops"));
}

TEST_CASE("a rejection needs a non-empty reason", "[codec][decode]") {
  auto ok = decode_reject(R"({"reason":"too expensive","rejected_by":"bob"})");
  REQUIRE(ok);
  CHECK(ok.value.reason == "too expensive");
  CHECK(ok.value.rejected_by == "bob");
  for (std::string body : {"", "{}", R"({"reason":""})", R"({"reason":7})"}) {
    INFO("body " << body);
    auto d = decode_reject(body);
    REQUIRE_FALSE(d);
    CHECK(fields_of(*d.error) == std::vector<std::string>{"reason"});
  }
}

TEST_CASE("an inline plan's steps decode with their dependencies", "[codec][decode]") {
  auto d = decode_inline_plan(R"({"steps":[
      {"id":"a","action":"render","order":1},
      {"id":"b","action":"validate","order":2,"depends_on":["a"],"type":"validate",
       "description":"check it","parameters":{"strict":true}}]})");
  REQUIRE(d);
  REQUIRE(d.value.steps.size() == 2);
  CHECK(d.value.steps[0].depends_on.empty());
  CHECK(d.value.steps[0].type == step_type::generate);
  CHECK(d.value.steps[1].depends_on == std::vector<std::string>{"a"});
  CHECK(d.value.steps[1].order == 2);
  CHECK(d.value.steps[1].type == step_type::validate);
  CHECK(d.value.steps[1].description == "check it");
  CHECK(json::parse(d.value.steps[1].parameters.text) == json::parse(R"({"strict":true})"));
}

TEST_CASE("each bad inline step field is named with its index", "[codec][decode]") {
  auto d = decode_inline_plan(R"({"steps":[
      {"id":"a","action":"render","order":1,"depends_on":["x",5]},
      {"order":"second","type":"teleport"},
      "c"]})");
  REQUIRE_FALSE(d);
  CHECK(fields_of(*d.error) == std::vector<std::string>{"steps[0].depends_on[1]", "steps[1].id",
                                                        "steps[1].action", "steps[1].order",
                                                        "steps[1].type", "steps[2]"});
  CHECK(message_for(*d.error, "steps[1].type") ==
        "must be one of generate, validate, deploy, configure, verify");
}

TEST_CASE("an inline plan needs a steps array", "[codec][decode]") {
  auto missing = decode_inline_plan("{}");
  REQUIRE_FALSE(missing);
  CHECK(message_for(*missing.error, "steps") == "is required");
  auto wrong = decode_inline_plan(R"({"steps":{"id":"a"}})");
  REQUIRE_FALSE(wrong);
  CHECK(names_field(*wrong.error, "steps"));
}

TEST_CASE("numbers are written in the shortest plain form that reads back the same",
          "[codec][numbers]") {
  auto written = [](json::value v) { return ce::codec::serialize(v); };
  CHECK(written(181.3) == "181.3");
  CHECK(written(0.8) == "0.8");
  CHECK(written(3.0) == "3");
  CHECK(written(-0.25) == "-0.25");
  CHECK(written(0.0) == "0");
  CHECK(written(1e20) == "100000000000000000000");
  CHECK(written(0.000123) == "0.000123");
  CHECK(written(json::value(int64_t{-42})) == "-42");
  CHECK(written(json::value(uint64_t{18446744073709551615ull})) == "18446744073709551615");
  // Every double reads back as itself.
  for (double d : {0.1, 2.0 / 3.0, 1234567.891, 5e-7, 73.0 * 3 + 0.01}) {
    INFO(d);
    CHECK(json::parse(written(d)).as_double() == d);
  }
  // Outside ordinary magnitudes fixed notation would be absurd; JSON has no infinity.
  CHECK(written(1e300).find('e') != std::string::npos);
  CHECK(written(std::numeric_limits<double>::infinity()) == "null");
}

TEST_CASE("strings and nesting are written as standard JSON", "[codec][numbers]") {
  json::value v =
      json::object{{"quote\"", "a\\b\n\t\x01"}, {"list", json::array{true, nullptr, 1.5}}};
  auto text = ce::codec::serialize(v);
  CHECK(text == R"({"quote\"":"a\\b\n\t\u0001","list":[true,null,1.5]})");
  CHECK(json::parse(text) == v);
  CHECK(ce::codec::serialize(json::value("héllo ✓")) == "\"héllo ✓\"");
}
