#include <catch2/catch.hpp>

#include "messages/clock.hpp"

using ce::iso8601;

TEST_CASE("the epoch is written as ISO 8601 UTC with milliseconds", "[clock]") {
  CHECK(iso8601(0) == "1970-01-01T00:00:00.000Z");
}

TEST_CASE("the contract's example timestamp is written exactly as the contract shows it",
          "[clock]") {
  // api.md, Conventions: 2026-11-27T14:34:16.533Z; `date -u -d ... +%s%3N` gives this value.
  CHECK(iso8601(1795790056533) == "2026-11-27T14:34:16.533Z");
}

TEST_CASE("milliseconds keep their leading zeros", "[clock]") {
  CHECK(iso8601(1795790056007) == "2026-11-27T14:34:16.007Z");
}

TEST_CASE("a moment before the epoch rounds down to the previous second", "[clock]") {
  CHECK(iso8601(-1) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("now is a current wall-clock time in milliseconds", "[clock]") {
  constexpr ce::timestamp_ms start_of_2024 = 1704067200000;  // date -u -d 2024-01-01 +%s%3N
  auto now = ce::now_ms();
  CHECK(now > start_of_2024);
  CHECK(iso8601(now).size() == std::string("2026-11-27T14:34:16.533Z").size());
}
