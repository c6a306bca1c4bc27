// The libcurl client against the fake Generator Service (tests/e2e/support), without
// an actor system: what is retried, what is not, timeouts, the breaker, connection reuse.
#include "net/generator_client.hpp"

#include <catch2/catch.hpp>

#include <future>

#include "tests/e2e/support/fake_generator.hpp"

namespace ce::net {
namespace {

using namespace std::chrono_literals;
using e2e::fake_generator;

generator_client_options options_for(const fake_generator& fake) {
  generator_client_options o;
  o.base_url = fake.url() + "/";  // a trailing slash is dropped
  o.backoff_base = 5ms;
  o.backoff_max = 20ms;
  o.attempt_timeout = 2000ms;
  return o;
}

const std::string render_path = "/api/templates/render";

generator_request render_call() {
  return {"task_1", render_path, R"({"templateId":"terraform/aws/vpc","variables":{}})"};
}

/// Submits and waits for the callback (on the client's thread).
generator_reply call(generator_client& client, generator_request request = render_call()) {
  std::promise<generator_reply> done;
  auto answer = done.get_future();
  client.submit(std::move(request), [&done](generator_reply r) { done.set_value(std::move(r)); });
  REQUIRE(answer.wait_for(30s) == std::future_status::ready);
  return answer.get();
}

}  // namespace

TEST_CASE("a call answers the envelope's data, over one kept-alive connection",
          "[net][generator]") {
  fake_generator fake;
  generator_client client(options_for(fake));
  for (int i = 0; i < 10; ++i) {
    auto reply = call(client);
    INFO(reply.error);
    REQUIRE(reply.ok);
    CHECK(reply.data.find("rendered_content") != std::string::npos);
    CHECK(reply.attempts == 1);
  }
  auto health = client.health();
  CHECK(health.calls == 10);
  CHECK(health.connections_opened == 1);  // ten sequential calls, one connection
  CHECK(health.breaker == "closed");
  CHECK(health.last_latency_ms >= 0);
}

TEST_CASE("503, 429-like failures and dropped connections are retried up to the attempts",
          "[net][generator]") {
  fake_generator fake;
  auto o = options_for(fake);
  o.max_attempts = 3;
  generator_client client(o);
  fake.control("503", 2);
  auto reply = call(client);
  CHECK(reply.ok);
  CHECK(reply.attempts == 3);
  fake.control("drop", 5);
  reply = call(client);
  CHECK_FALSE(reply.ok);
  CHECK(reply.transient);
  CHECK(reply.attempts == 3);
  CHECK(reply.error.find("after 3 attempts") != std::string::npos);
  CHECK(client.health().retries == 4);
}

TEST_CASE("success:false, 4xx and malformed answers are not retried", "[net][generator]") {
  fake_generator fake;
  auto o = options_for(fake);
  o.max_attempts = 3;
  generator_client client(o);
  fake.control("fail");
  auto reply = call(client);
  CHECK_FALSE(reply.ok);
  CHECK_FALSE(reply.transient);
  CHECK(reply.attempts == 1);
  CHECK(reply.error.find("success:false: Template rendering failed") != std::string::npos);
  fake.control("malformed");
  reply = call(client);
  CHECK_FALSE(reply.ok);
  CHECK(reply.attempts == 1);
  fake.control("normal");
  reply = call(client, {"task_1", "/api/no-such-route", "{}"});
  CHECK_FALSE(reply.ok);
  CHECK(reply.http_status == 404);
  CHECK(reply.attempts == 1);
  CHECK(fake.calls(render_path) == 2);
}

TEST_CASE("an attempt slower than the timeout fails as a timeout", "[net][generator]") {
  fake_generator fake("slow", 1500);
  auto o = options_for(fake);
  o.attempt_timeout = 100ms;
  o.max_attempts = 2;
  generator_client client(o);
  auto reply = call(client);
  CHECK_FALSE(reply.ok);
  CHECK(reply.transient);
  CHECK(reply.error.find("no answer within 100 ms") != std::string::npos);
  CHECK(reply.attempts == 2);
}

TEST_CASE("the breaker fails calls fast while open and lets a probe through after the cool-down",
          "[net][generator]") {
  fake_generator fake("503");
  auto o = options_for(fake);
  o.max_attempts = 1;
  o.breaker_failures = 2;
  o.breaker_cool_down = 300ms;
  generator_client client(o);
  call(client);
  call(client);
  CHECK(client.health().breaker == "open");
  auto reply = call(client);
  CHECK_FALSE(reply.ok);
  CHECK(reply.attempts == 0);
  CHECK(reply.error.find("circuit breaker is open") != std::string::npos);
  CHECK(fake.calls(render_path) == 2);  // the third never reached the service
  CHECK(client.health().short_circuited == 1);

  fake.control("normal");
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (client.health().breaker != "half_open")
    REQUIRE(std::chrono::steady_clock::now() < deadline);
  reply = call(client);
  CHECK(reply.ok);
  CHECK(client.health().breaker == "closed");
}

TEST_CASE("a service that is not there is a transient connection error", "[net][generator]") {
  generator_client_options o;
  o.base_url = "http://127.0.0.1:1";  // nothing listens on port 1
  o.max_attempts = 2;
  o.backoff_base = 5ms;
  o.backoff_max = 5ms;
  generator_client client(o);
  auto reply = call(client);
  CHECK_FALSE(reply.ok);
  CHECK(reply.transient);
  CHECK(reply.http_status == 0);
  CHECK(reply.attempts == 2);
}

}  // namespace ce::net
