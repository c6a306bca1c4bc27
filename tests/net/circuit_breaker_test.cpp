#include "net/circuit_breaker.hpp"

#include <catch2/catch.hpp>

namespace ce::net {

using namespace std::chrono_literals;
using state = circuit_breaker::state;

TEST_CASE("the breaker opens after the configured failures in a row", "[net][breaker]") {
  circuit_breaker breaker(3, 1000ms);
  auto t0 = circuit_breaker::clock::time_point{} + 1h;
  breaker.on_failure(t0);
  breaker.on_failure(t0);
  CHECK(breaker.current(t0) == state::closed);
  CHECK(breaker.allow(t0));
  breaker.on_failure(t0);
  CHECK(breaker.current(t0) == state::open);
  CHECK_FALSE(breaker.allow(t0 + 999ms));
}

TEST_CASE("a success in between resets the count of failures", "[net][breaker]") {
  circuit_breaker breaker(2, 1000ms);
  auto t0 = circuit_breaker::clock::time_point{} + 1h;
  breaker.on_failure(t0);
  breaker.on_success();
  breaker.on_failure(t0);
  CHECK(breaker.current(t0) == state::closed);
}

TEST_CASE("after the cool-down one probe goes; its success closes the breaker", "[net][breaker]") {
  circuit_breaker breaker(1, 1000ms);
  auto t0 = circuit_breaker::clock::time_point{} + 1h;
  breaker.on_failure(t0);
  CHECK(breaker.current(t0 + 1000ms) == state::half_open);
  CHECK(breaker.allow(t0 + 1000ms));        // the probe
  CHECK_FALSE(breaker.allow(t0 + 1001ms));  // nobody else while it runs
  breaker.on_success();
  CHECK(breaker.current(t0 + 1001ms) == state::closed);
  CHECK(breaker.allow(t0 + 1001ms));
}

TEST_CASE("a failed probe opens the breaker for another cool-down", "[net][breaker]") {
  circuit_breaker breaker(5, 1000ms);
  auto t0 = circuit_breaker::clock::time_point{} + 1h;
  for (int i = 0; i < 5; ++i) breaker.on_failure(t0);
  REQUIRE(breaker.allow(t0 + 1500ms));
  breaker.on_failure(t0 + 1500ms);  // one failure is enough in half_open
  CHECK(breaker.current(t0 + 1500ms) == state::open);
  CHECK_FALSE(breaker.allow(t0 + 2499ms));
  CHECK(breaker.allow(t0 + 2500ms));
}

TEST_CASE("failures of calls sent before the breaker opened do not extend its cool-down",
          "[net][breaker]") {
  circuit_breaker breaker(1, 1000ms);
  auto t0 = circuit_breaker::clock::time_point{} + 1h;
  breaker.on_failure(t0);
  breaker.on_failure(t0 + 900ms);
  CHECK(breaker.allow(t0 + 1000ms));
}

}  // namespace ce::net
