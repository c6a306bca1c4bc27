#include "messages/ws_protocol.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

using ce::ws::client_message;
using ce::ws::decode_client_message;

TEST_CASE("the three client messages of the contract decode", "[ws]") {
  auto sub = decode_client_message(R"({"type":"subscribe","task_id":"task_123"})");
  REQUIRE(sub);
  CHECK(sub.value.type == client_message::kind::subscribe);
  CHECK(sub.value.task_id == "task_123");
  CHECK_FALSE(sub.value.has_since);
  auto resume = decode_client_message(R"({"type":"subscribe","task_id":"*","since":41})");
  REQUIRE(resume);
  CHECK(resume.value.has_since);
  CHECK(resume.value.since == 41);
  auto unsub = decode_client_message(R"({"type":"unsubscribe","task_id":"task_123"})");
  REQUIRE(unsub);
  CHECK(unsub.value.type == client_message::kind::unsubscribe);
  auto ping = decode_client_message(R"({"type":"ping","extra":true})");
  REQUIRE(ping);
  CHECK(ping.value.type == client_message::kind::ping);
}

TEST_CASE("malformed client messages are refused with a sentence", "[ws]") {
  for (const char* bad :
       {"not json", "[1,2]", R"({"task_id":"x"})", R"({"type":"dance"})", R"({"type":"subscribe"})",
        R"({"type":"subscribe","task_id":""})", R"({"type":"subscribe","task_id":7})",
        R"({"type":"subscribe","task_id":"x","since":-1})",
        R"({"type":"subscribe","task_id":"x","since":"3"})",
        R"({"type":"unsubscribe","task_id":"x","since":3})"}) {
    auto r = decode_client_message(bad);
    INFO(bad);
    CHECK_FALSE(r);
    if (!r) CHECK_FALSE(r.error->message.empty());
  }
}

TEST_CASE("server frames carry the contract's fields", "[ws]") {
  auto connected = boost::json::parse(ce::ws::connected_frame(1234)).as_object();
  CHECK(connected.at("type") == "connected");
  CHECK(connected.at("message") == "Connected to Core Engine Service");
  CHECK(connected.at("timestamp") == 1234);
  ce::event e;
  e.id = "evt_n_7";
  e.seq = 7;
  e.task_id = "task_1";
  e.type = "task_created";
  e.timestamp = 1000;
  auto frame = boost::json::parse(ce::ws::event_frame(e)).as_object();
  CHECK(frame.at("type") == "task_event");
  CHECK(frame.at("task_id") == "task_1");
  CHECK(frame.at("event").as_object().at("seq") == 7);
  auto overflow = boost::json::parse(ce::ws::overflow_frame(41, 64)).as_object();
  CHECK(overflow.at("type") == "error");
  CHECK(overflow.at("last_seq") == 41);
  CHECK(overflow.at("message").as_string().find("since=41") != boost::json::string::npos);
}

TEST_CASE("a client message with a key twice is refused, naming the key", "[ws]") {
  auto r = decode_client_message(R"({"type":"subscribe","task_id":"a","task_id":"*"})");
  REQUIRE_FALSE(r);
  CHECK(r.error->message.find("\"task_id\" more than once") != std::string::npos);
}

TEST_CASE("an auth message carries its token; one without is refused", "[ws][auth]") {
  auto auth = decode_client_message(R"({"type":"auth","token":"ce_abc"})");
  REQUIRE(auth);
  CHECK(auth.value.type == client_message::kind::auth);
  CHECK(auth.value.token == "ce_abc");
  CHECK_FALSE(decode_client_message(R"({"type":"auth"})"));
  CHECK_FALSE(decode_client_message(R"({"type":"auth","token":""})"));
  CHECK_FALSE(decode_client_message(R"({"type":"auth","token":7})"));
}
