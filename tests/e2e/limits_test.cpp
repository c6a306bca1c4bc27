// Limits against the real binary: request rates per token and per address
// (429 with Retry-After), concurrent connections per address (429) and in all
// (503), and the WebSocket message rate. Each is tripped while other clients
// (another token, the probes, another connection) are still served.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/support/api.hpp"
#include "tests/e2e/support/ws_client.hpp"

namespace ce::e2e {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

const std::string olga_token = "ce_limits_token_of_olga";
const std::string ada_token = "ce_limits_token_of_ada";

std::vector<std::string> tokens_args() {
  return {"--tokens",
          "olga:operator:" + sha256_hex(olga_token) + ",ada:admin:" + sha256_hex(ada_token)};
}

header_list bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

/// Sends `n` requests back to back; the statuses, and how long they took.
struct burst_result {
  std::vector<http_response> answers;
  double seconds = 0;
  int count(int status) const {
    int k = 0;
    for (const auto& a : answers) k += a.status == status ? 1 : 0;
    return k;
  }
};
burst_result burst(http_client& client, int n, const header_list& headers) {
  burst_result out;
  auto start = steady::now();
  for (int i = 0; i < n; ++i)
    out.answers.push_back(client.request("GET", "/api/tasks", "", headers));
  out.seconds = std::chrono::duration<double>(steady::now() - start).count();
  return out;
}

/// A bucket of `rate` per second lets through at most its burst (`rate`) plus
/// what refills while the requests run (and one for rounding).
void require_limited(const burst_result& b, double rate, const std::string& who) {
  int allowed = b.count(200);
  int refused = b.count(429);
  INFO(allowed << " allowed, " << refused << " refused in " << b.seconds << " s");
  CHECK(allowed + refused == static_cast<int>(b.answers.size()));
  CHECK(allowed >= static_cast<int>(rate));
  CHECK(allowed <= static_cast<int>(rate + rate * b.seconds) + 1);
  REQUIRE(refused > 0);
  for (const auto& a : b.answers) {
    if (a.status != 429) continue;
    auto envelope = expect_error(a, 429);
    CHECK(text(envelope, "error").find(who) != std::string::npos);
    CHECK(std::stoi(a.header("Retry-After")) >= 1);
  }
}

TEST_CASE("A token over its request rate gets 429 with Retry-After while another token is served",
          "[e2e][limits]") {
  server_options options;
  options.args = tokens_args();
  options.args.insert(options.args.end(), {"--max-requests-per-token", "5"});
  engine e(std::move(options));
  // 5 per second: far fewer than 40 back-to-back requests on one connection.
  auto olga = burst(e.client, 40, bearer(olga_token));
  require_limited(olga, 5, "this token");
  http_client other("127.0.0.1", e.server.http_port());
  expect_ok(other.request("GET", "/api/tasks", "", bearer(ada_token)), 200);
}

TEST_CASE("An address over its request rate gets 429 while the probes are still answered",
          "[e2e][limits]") {
  server_options options;
  options.args = {"--max-requests-per-ip", "5"};
  engine e(std::move(options));
  auto flood = burst(e.client, 40, {});
  require_limited(flood, 5, "this address");
  CHECK(e.client.get("/health").status == 200);
  CHECK(e.client.get("/ready").status == 200);
}

TEST_CASE("Connections beyond the per-address limit are answered 429; a closed one makes room",
          "[e2e][limits]") {
  server_options options;
  options.args = {"--max-connections-per-ip", "3"};
  engine e(std::move(options));  // its client holds one connection
  std::vector<std::unique_ptr<http_client>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::make_unique<http_client>("127.0.0.1", e.server.http_port()));
    REQUIRE(held.back()->get("/health").status == 200);
  }
  REQUIRE(e.client.get("/health").status == 200);
  http_client fourth("127.0.0.1", e.server.http_port());
  auto refused = fourth.get("/api/tasks");
  auto envelope = expect_error(refused, 429);
  CHECK(text(envelope, "error").find("this address holds 3 connections") != std::string::npos);
  CHECK(refused.header("Retry-After") == "1");
  // The connections already open are still served.
  for (auto& c : held) CHECK(c->get("/api/tasks").status == 200);
  // Once one closes, its slot is given back when the server sees the close.
  held.pop_back();
  auto deadline = steady::now() + 10s;
  int status = 0;
  while (steady::now() < deadline && (status = fourth.get("/health").status) != 200)
    std::this_thread::sleep_for(20ms);  // poll interval while the server notices the close
  CHECK(status == 200);
}

TEST_CASE("Connections beyond the node's total are answered 503", "[e2e][limits]") {
  server_options options;
  options.args = {"--max-connections", "2"};
  engine e(std::move(options));
  REQUIRE(e.client.get("/health").status == 200);
  ws_connect_options ws;
  ws.port = e.server.http_port();
  ws_client subscriber(ws);  // a WebSocket holds a connection too
  REQUIRE(subscriber.next_of_type("connected", 10s));
  http_client third("127.0.0.1", e.server.http_port());
  auto refused = third.get("/api/tasks");
  auto envelope = expect_error(refused, 503);
  CHECK(text(envelope, "error").find("the node serves 2 connections") != std::string::npos);
  CHECK(e.client.get("/api/tasks").status == 200);
}

TEST_CASE("A WebSocket client over its message rate gets error frames; it and others go on",
          "[e2e][limits][websocket]") {
  server_options options;
  options.args = {"--ws-message-rate", "5"};
  engine e(std::move(options));
  ws_connect_options o;
  o.port = e.server.http_port();
  ws_client chatty(o);
  REQUIRE(chatty.next_of_type("connected", 10s));
  constexpr int sent = 40;  // far above 5 per second, sent back to back
  for (int i = 0; i < sent; ++i) chatty.send_json(json::object{{"type", "ping"}});
  int pongs = 0, errors = 0;
  for (int i = 0; i < sent; ++i) {
    auto m = chatty.next(10s);
    REQUIRE(m);
    auto type = message_type(*m);
    if (type == "pong") ++pongs;
    if (type == "error") {
      ++errors;
      CHECK(text(*m, "message").find("too many messages") != std::string::npos);
    }
  }
  CHECK(pongs + errors == sent);
  CHECK(pongs >= 5);
  CHECK(errors > 0);
  // Another connection has its own budget.
  ws_client quiet(o);
  REQUIRE(quiet.next_of_type("connected", 10s));
  quiet.send_json(json::object{{"type", "ping"}});
  CHECK(quiet.next_of_type("pong", 10s));
  CHECK_FALSE(chatty.close_info().closed);
}

}  // namespace
}  // namespace ce::e2e
