#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "messages/clock.hpp"
#include "messages/ids.hpp"

namespace {

constexpr std::string_view crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// The first 10 of the 26 digits hold the 48-bit millisecond time (ULID layout).
long long time_of(const std::string& id, std::size_t prefix_len) {
  long long ms = 0;
  for (std::size_t i = prefix_len + 1; i < prefix_len + 1 + 10; ++i)
    ms = ms * 32 + static_cast<long long>(crockford.find(id[i]));
  return ms;
}

}  // namespace

TEST_CASE("an id is the prefix, an underscore and 26 Crockford base32 characters", "[ids]") {
  ce::id_generator ids;
  const std::regex ulid_form("task_[0-9A-HJKMNP-TV-Z]{26}");
  for (int i = 0; i < 100; ++i) {
    auto id = ids.next("task");
    INFO(id);
    CHECK(std::regex_match(id, ulid_form));
  }
}

TEST_CASE("ids from one generator are unique and sort in creation order", "[ids]") {
  ce::id_generator ids;
  // Many more ids than milliseconds pass, so most share a millisecond.
  constexpr int count = 20000;
  std::vector<std::string> made;
  for (int i = 0; i < count; ++i) made.push_back(ids.next("plan"));
  CHECK(std::is_sorted(made.begin(), made.end()));
  CHECK(std::set<std::string>(made.begin(), made.end()).size() == made.size());
}

TEST_CASE("two generators do not collide", "[ids]") {
  ce::id_generator a, b;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    CHECK(seen.insert(a.next("evt")).second);
    CHECK(seen.insert(b.next("evt")).second);
  }
}

TEST_CASE("an id carries the time it was made", "[ids]") {
  ce::id_generator ids;
  auto before = ce::now_ms();
  auto id = ids.next("task");
  auto after = ce::now_ms();
  auto ms = time_of(id, std::string("task").size());
  CHECK(ms >= before);
  CHECK(ms <= after);
}
