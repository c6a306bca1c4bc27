#include "net/limits.hpp"

#include <catch2/catch.hpp>

using namespace ce::net;
using namespace std::chrono_literals;

TEST_CASE("a bucket allows a second's worth at once, then one per interval", "[limits]") {
  limit_clock::time_point t0{};
  token_bucket b(5, t0);  // 5 per second: bursts of 5, then one every 200 ms
  for (int i = 0; i < 5; ++i) CHECK(b.take(t0) == 0ms);
  auto wait = b.take(t0);
  CHECK(wait == 200ms);
  CHECK(b.take(t0 + 199ms) > 0ms);
  CHECK(b.take(t0 + 201ms) == 0ms);
  CHECK(b.take(t0 + 10s) == 0ms);  // refilled, but never beyond the burst
  for (int i = 0; i < 4; ++i) CHECK(b.take(t0 + 10s) == 0ms);
  CHECK(b.take(t0 + 10s) > 0ms);
}

TEST_CASE("a rate of zero limits nothing", "[limits]") {
  token_bucket b(0);
  for (int i = 0; i < 1000; ++i) CHECK(b.take(limit_clock::time_point{}) == 0ms);
  rate_limiter off(0);
  CHECK_FALSE(off.enabled());
  CHECK(off.take("k", limit_clock::time_point{}) == 0ms);
}

TEST_CASE("each key has its own bucket", "[limits]") {
  rate_limiter limiter(1);
  limit_clock::time_point t0{};
  CHECK(limiter.take("token-a", t0) == 0ms);
  CHECK(limiter.take("token-a", t0) > 0ms);
  CHECK(limiter.take("token-b", t0) == 0ms);  // another client is still served
}

TEST_CASE("Retry-After is whole seconds, at least one", "[limits]") {
  CHECK(retry_after_seconds(0ms) == 1);
  CHECK(retry_after_seconds(200ms) == 1);
  CHECK(retry_after_seconds(1001ms) == 2);
}

TEST_CASE("connections are limited per address and in all, and given back", "[limits]") {
  auto limits = std::make_shared<connection_limits>(2, 3);
  std::string why;
  bool node_full = false;
  auto a1 = limits->admit("10.0.0.1", why, node_full);
  auto a2 = limits->admit("10.0.0.1", why, node_full);
  REQUIRE(a1);
  REQUIRE(a2);
  CHECK_FALSE(limits->admit("10.0.0.1", why, node_full));
  CHECK(why.find("this address") != std::string::npos);
  CHECK_FALSE(node_full);
  auto b1 = limits->admit("10.0.0.2", why, node_full);
  REQUIRE(b1);
  CHECK_FALSE(limits->admit("10.0.0.3", why, node_full));  // 3 in all
  CHECK(why.find("the node serves 3") != std::string::npos);
  CHECK(node_full);
  CHECK(limits->open() == 3);
  a1.reset();
  CHECK(limits->open() == 2);
  CHECK(limits->admit("10.0.0.3", why, node_full));  // the slot came back (and went again)
  CHECK(limits->open() == 2);
  auto unlimited = std::make_shared<connection_limits>(0, 0);
  for (int i = 0; i < 100; ++i) CHECK(unlimited->admit("x", why, node_full));
}
