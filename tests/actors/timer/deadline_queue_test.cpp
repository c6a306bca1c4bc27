#include "actors/timer/deadline_queue.hpp"

#include <catch2/catch.hpp>

#include <string>

using ce::timer::deadline_queue;

TEST_CASE("deadlines come due in due order, each once", "[timer]") {
  deadline_queue<std::string, int> q;
  q.arm("task_b", 1, 30);
  q.arm("task_a", 7, 10);
  q.arm("task_a", 8, 20);
  CHECK(q.earliest() == 10);
  CHECK(q.take_due(9).empty());
  auto due = q.take_due(20);
  REQUIRE(due.size() == 2);
  CHECK(due[0].owner == "task_a");
  CHECK(due[0].token == 7);
  CHECK(due[1].token == 8);
  CHECK(q.take_due(20).empty());  // taken once
  CHECK(q.size() == 1);
  CHECK(q.earliest() == 30);
}

TEST_CASE("an owner that ends takes all its deadlines along, nobody else's", "[timer]") {
  deadline_queue<std::string, int> q;
  q.arm("task_a", 1, 10);
  q.arm("task_b", 1, 15);
  q.arm("task_a", 2, 20);
  CHECK(q.disarm("task_a") == 2);
  CHECK(q.disarm("task_a") == 0);
  auto due = q.take_due(100);
  REQUIRE(due.size() == 1);
  CHECK(due[0].owner == "task_b");
  CHECK(q.empty());
}

TEST_CASE("two deadlines due at the same moment both fire", "[timer]") {
  deadline_queue<std::string, int> q;
  q.arm("task_a", 1, 10);
  q.arm("task_b", 1, 10);
  CHECK(q.take_due(10).size() == 2);
}

TEST_CASE("a deadline that came due is no longer the owner's to disarm", "[timer]") {
  deadline_queue<std::string, int> q;
  q.arm("task_a", 1, 10);
  q.arm("task_a", 2, 20);
  REQUIRE(q.take_due(15).size() == 1);
  CHECK(q.disarm("task_a") == 1);
  CHECK(q.empty());
  q.arm("task_a", 3, 30);  // the owner arms again after disarming
  CHECK(q.disarm("task_a") == 1);
}
