#include "actors/executor/rendering.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "actors/executor/artifacts.hpp"
#include "actors/executor/memo.hpp"

using namespace ce;
using namespace ce::executor;

namespace {

task_context staging(std::string requirements = "{}") {
  task_context c;
  c.provider = cloud_provider::aws;
  c.environment = "staging";
  c.components = {"vpc", "eks", "rds"};
  c.requirements = json_doc{std::move(requirements)};
  return c;
}

}  // namespace

TEST_CASE("a memoized rendering is the templates' own output, checked and hashed once",
          "[rendering]") {
  auto context = staging();
  auto req = parse_requirements(context.requirements);
  auto first = render_checked_component(cloud_provider::aws, "eks", context, req);
  auto direct = render_component(cloud_provider::aws, "eks", context, req);
  CHECK(first->file.name == direct.name);
  CHECK(first->file.content == direct.content);
  CHECK(first->checksum == sha256_hex(direct.content));
  CHECK(first->report.ok);
  CHECK(first->report.resources == check_hcl(direct.content).resources);
  // The same inputs again: the very same value, not a second rendering.
  CHECK(render_checked_component(cloud_provider::aws, "eks", context, req) == first);
}

TEST_CASE("a different context or requirement renders anew", "[rendering]") {
  auto context = staging(R"({"vpc_cidr":"10.1.0.0/16"})");
  auto other = staging(R"({"vpc_cidr":"10.2.0.0/16"})");
  auto a = render_checked_component(cloud_provider::aws, "vpc", context,
                                    parse_requirements(context.requirements));
  auto b = render_checked_component(cloud_provider::aws, "vpc", other,
                                    parse_requirements(other.requirements));
  CHECK(a != b);
  CHECK(a->file.content.find("10.1.0.0/16") != std::string::npos);
  CHECK(b->file.content.find("10.2.0.0/16") != std::string::npos);
  auto production = context;
  production.environment = "production";
  CHECK(render_checked_component(cloud_provider::aws, "vpc", production,
                                 parse_requirements(production.requirements)) != a);
}

TEST_CASE("requirements the templates refuse are kept as the refusal", "[rendering]") {
  auto context = staging(R"({"vpc_cidr":"10.0.0.0/28"})");
  auto refused = render_checked_component(cloud_provider::aws, "vpc", context,
                                          parse_requirements(context.requirements));
  CHECK_FALSE(refused->refused.empty());
  CHECK(refused->file.content.empty());
}

TEST_CASE("the memo keeps at most its capacity, dropping the least recently used",
          "[rendering][memo]") {
  bounded_memo<int> memo(2);
  int made = 0;
  auto make = [&](int v) {
    return [&made, v] {
      ++made;
      return v;
    };
  };
  CHECK(*memo.get_or_make("a", make(1)) == 1);
  CHECK(*memo.get_or_make("b", make(2)) == 2);
  CHECK(*memo.get_or_make("a", make(99)) == 1);  // hit: "a" is now the most recent
  CHECK(*memo.get_or_make("c", make(3)) == 3);   // "b" leaves
  CHECK(made == 3);
  CHECK(*memo.get_or_make("b", make(4)) == 4);  // made again
  CHECK(made == 4);
  CHECK(memo.stats().entries == 2);
}

TEST_CASE("the memo gives every thread the value of its key", "[rendering][memo]") {
  bounded_memo<std::string> memo(16);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        auto key = std::to_string((i + t) % 32);
        if (*memo.get_or_make(key, [&] { return "value " + key; }) != "value " + key) ++wrong;
      }
    });
  for (auto& thread : threads) thread.join();
  CHECK(wrong == 0);
  CHECK(memo.stats().entries <= 16);
}
