#include <catch2/catch.hpp>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>

#include "messages/domain.hpp"
#include "messages/shared.hpp"

namespace {

template <class Enum>
void every_name_round_trips() {
  for (auto name : ce::all_names<Enum>()) {
    Enum value{};
    INFO("name " << name);
    REQUIRE(ce::parse(name, value));
    CHECK(ce::to_string(value) == name);
  }
}

template <class Enum>
void an_unknown_name_is_refused_and_leaves_the_value_alone(Enum original) {
  Enum value = original;
  CHECK_FALSE(ce::parse("no-such-name", value));
  CHECK_FALSE(ce::parse("", value));
  CHECK(value == original);
}

}  // namespace

TEST_CASE("every enum name that requests may carry parses back to itself", "[domain]") {
  every_name_round_trips<ce::task_type>();
  every_name_round_trips<ce::task_status>();
  every_name_round_trips<ce::priority>();
  every_name_round_trips<ce::cloud_provider>();
  every_name_round_trips<ce::safety_phase>();
}

TEST_CASE("unknown enum names are refused without touching the output", "[domain]") {
  an_unknown_name_is_refused_and_leaves_the_value_alone(ce::task_type::rollback);
  an_unknown_name_is_refused_and_leaves_the_value_alone(ce::task_status::queued);
  an_unknown_name_is_refused_and_leaves_the_value_alone(ce::priority::critical);
  an_unknown_name_is_refused_and_leaves_the_value_alone(ce::cloud_provider::azure);
  an_unknown_name_is_refused_and_leaves_the_value_alone(ce::safety_phase::post_execution);
}

TEST_CASE("enum names are the contract's spellings", "[domain]") {
  using names = std::vector<std::string_view>;
  // api.md, Objects: Task type, status, priority and context.provider.
  CHECK(ce::all_names<ce::task_type>() ==
        names{"generate", "deploy", "verify", "rollback", "analyze"});
  CHECK(ce::all_names<ce::task_status>() == names{"pending", "queued", "planning",
                                                  "awaiting_approval", "executing", "verifying",
                                                  "completed", "failed", "cancelled"});
  CHECK(ce::all_names<ce::priority>() == names{"low", "medium", "high", "critical"});
  CHECK(ce::all_names<ce::cloud_provider>() == names{"aws", "gcp", "azure"});
  CHECK(ce::all_names<ce::safety_phase>() ==
        names{"pre_execution", "during_execution", "post_execution"});
  CHECK(ce::to_string(ce::check_category::functionality) == "functionality");
  CHECK(ce::to_string(ce::artifact_type::documentation) == "documentation");
  CHECK(ce::to_string(ce::log_level::warn) == "warn");
}

TEST_CASE("a name is case-sensitive", "[domain]") {
  ce::cloud_provider p = ce::cloud_provider::gcp;
  CHECK_FALSE(ce::parse("AWS", p));
  CHECK(p == ce::cloud_provider::gcp);
}

TEST_CASE("only completed, failed and cancelled are terminal", "[domain]") {
  for (auto name : ce::all_names<ce::task_status>()) {
    ce::task_status s{};
    REQUIRE(ce::parse(name, s));
    bool expected = name == "completed" || name == "failed" || name == "cancelled";
    INFO("status " << name);
    CHECK(ce::is_terminal(s) == expected);
  }
}

TEST_CASE("a shared value crosses serialization as the value itself", "[domain][shared]") {
  ce::plan p;
  p.id = "plan_1";
  p.steps.resize(3);
  p.steps[1].id = "generate_vpc";
  ce::shared<ce::plan> original(p);
  ce::shared<ce::plan> same = original;
  CHECK(&same.get() == &original.get());  // copies share the one value

  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  REQUIRE_FALSE(sink(original));
  ce::shared<ce::plan> read;
  caf::binary_deserializer source{static_cast<caf::execution_unit*>(nullptr), buf.data(),
                                  buf.size()};
  REQUIRE_FALSE(source(read));
  CHECK(read->id == "plan_1");
  CHECK(read->steps.size() == 3);
  CHECK(read->steps[1].id == "generate_vpc");
  CHECK(caf::deep_to_string(original).find("plan_1") != std::string::npos);
}

using ce::can_transition;
using ce::task_status;

TEST_CASE("the task life cycle only moves forward", "[lifecycle]") {
  CHECK(can_transition(task_status::pending, task_status::planning));
  CHECK(can_transition(task_status::planning, task_status::awaiting_approval));
  CHECK(can_transition(task_status::awaiting_approval, task_status::executing));
  CHECK(can_transition(task_status::executing, task_status::verifying));
  CHECK(can_transition(task_status::verifying, task_status::completed));
  CHECK(can_transition(task_status::executing, task_status::cancelled));
  CHECK_FALSE(can_transition(task_status::completed, task_status::executing));
  CHECK_FALSE(can_transition(task_status::cancelled, task_status::failed));
  CHECK_FALSE(can_transition(task_status::pending, task_status::completed));
  CHECK_FALSE(can_transition(task_status::verifying, task_status::executing));
}

TEST_CASE("a refused transition leaves the task as it was", "[lifecycle]") {
  ce::task t;
  t.status = task_status::completed;
  t.updated_at = t.completed_at = 100;
  CHECK_FALSE(ce::transition(t, task_status::cancelled, 200));
  CHECK(t.status == task_status::completed);
  CHECK(t.updated_at == 100);
  t.status = task_status::verifying;
  CHECK(ce::transition(t, task_status::completed, 300));
  CHECK(t.completed_at == 300);
}
