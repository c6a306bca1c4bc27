#include "actors/events/subscription_table.hpp"

#include <catch2/catch.hpp>

using ce::event_sink;
using ce::events::subscription_table;

namespace {
struct null_sink : event_sink {
  void deliver(std::shared_ptr<const std::string>, uint64_t) override {}
};
}  // namespace

TEST_CASE("an event reaches the task's subscribers and the every-task subscribers once each",
          "[subscriptions]") {
  subscription_table table;
  auto a = std::make_shared<null_sink>();
  auto b = std::make_shared<null_sink>();
  table.add(a, "t1");
  table.add(b, "*");
  table.add(a, "*");  // subscribed twice over: still one delivery
  auto targets = table.targets("t1", 1);
  CHECK(targets.size() == 2);
  CHECK(table.targets("t2", 1).size() == 2);  // both hold "*"
  CHECK(table.size() == 3);
}

TEST_CASE("unsubscribing and dropping release every subscription", "[subscriptions]") {
  subscription_table table;
  auto a = std::make_shared<null_sink>();
  table.add(a, "t1");
  table.add(a, "t2");
  table.add(a, "t1");  // repeated: no second pair
  CHECK(table.size() == 2);
  table.remove(a, "t1");
  CHECK(table.targets("t1", 1).empty());
  CHECK(table.size() == 1);
  table.remove(a, "never");  // harmless
  table.drop(a);
  CHECK(table.size() == 0);
  CHECK(a.use_count() == 1);  // the table never held a strong reference
}

TEST_CASE("thousands of subscribe/drop cycles leave nothing behind", "[subscriptions]") {
  subscription_table table;
  for (int i = 0; i < 5000; ++i) {
    auto s = std::make_shared<null_sink>();
    table.add(s, "task_" + std::to_string(i % 7));
    table.add(s, "*");
    table.drop(s);
  }
  CHECK(table.size() == 0);
  CHECK(table.targets("task_1", 1).empty());
}

TEST_CASE("a subscription that replayed up to a seq gets only later events live",
          "[subscriptions]") {
  subscription_table table;
  auto a = std::make_shared<null_sink>();
  table.add(a, "t1", 40);  // the replay covered everything up to seq 40
  CHECK(table.targets("t1", 40).empty());
  CHECK(table.targets("t1", 41).size() == 1);
}

TEST_CASE("a connection that goes away unsubscribed is not kept alive, and its entries go",
          "[subscriptions]") {
  subscription_table table;
  auto stays = std::make_shared<null_sink>();
  std::weak_ptr<null_sink> observed;
  {
    auto leaves = std::make_shared<null_sink>();
    observed = leaves;
    table.add(leaves, "t1");
    table.add(leaves, "*");
    table.add(stays, "t1");
  }
  CHECK(observed.expired());  // the table held it weakly
  CHECK(table.size() == 3);   // until an event meets its entries
  auto targets = table.targets("t1", 1);
  REQUIRE(targets.size() == 1);
  CHECK(targets.front() == stays);
  CHECK(table.size() == 1);
}
