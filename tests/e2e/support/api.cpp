#include "tests/e2e/support/api.hpp"

#include <openssl/evp.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <thread>

namespace ce::e2e {
namespace {

using clock_type = std::chrono::steady_clock;

json::object envelope_of(const http_response& response, int status) {
  INFO("HTTP " << response.status << " body: " << response.body.substr(0, 2000));
  REQUIRE(response.status == status);
  CHECK(response.header("content-type").rfind("application/json", 0) == 0);
  auto body = response.json();
  REQUIRE(body.is_object());
  REQUIRE(body.as_object().contains("success"));
  REQUIRE(body.at("success").is_bool());
  return body.as_object();
}

}  // namespace

engine::engine(server_options options)
    : server(std::move(options)), client("127.0.0.1", server.http_port()) {}

json::value expect_ok(const http_response& response, int status) {
  auto envelope = envelope_of(response, status);
  INFO("body: " << response.body.substr(0, 2000));
  REQUIRE(envelope.at("success").as_bool());
  REQUIRE(envelope.contains("data"));
  return envelope.at("data");
}

json::value expect_ok(const http_response& response, std::initializer_list<int> statuses) {
  bool allowed = std::find(statuses.begin(), statuses.end(), response.status) != statuses.end();
  INFO("HTTP " << response.status << " body: " << response.body.substr(0, 2000));
  REQUIRE(allowed);
  return expect_ok(response, response.status);
}

json::object expect_error(const http_response& response, int status) {
  auto envelope = envelope_of(response, status);
  INFO("body: " << response.body.substr(0, 2000));
  REQUIRE_FALSE(envelope.at("success").as_bool());
  REQUIRE(envelope.contains("error"));
  REQUIRE(envelope.at("error").is_string());
  REQUIRE_FALSE(envelope.at("error").as_string().empty());
  return envelope;
}

std::vector<std::string> detail_fields(const json::object& envelope) {
  std::vector<std::string> fields;
  if (auto* details = envelope.if_contains("details"); details && details->is_array())
    for (const auto& detail : details->as_array()) fields.push_back(text(detail, "field"));
  return fields;
}

std::string error_text(const json::object& envelope) {
  std::string all = text(envelope, "error");
  if (auto* details = envelope.if_contains("details"); details && details->is_array())
    for (const auto& detail : details->as_array())
      all += "\n" + text(detail, "field") + ": " + text(detail, "message");
  return all;
}

json::object task_body(const std::string& provider, const std::string& environment,
                       std::initializer_list<const char*> components, const std::string& type) {
  json::array names;
  for (const char* component : components) names.emplace_back(component);
  return json::object{
      {"type", type},
      {"user_id", "e2e-user"},
      {"context",
       {{"provider", provider}, {"environment", environment}, {"components", std::move(names)}}}};
}

json::object create_task(http_client& client, const json::value& body) {
  auto data = expect_ok(client.post("/api/tasks", body), 201);
  REQUIRE(data.is_object());
  CHECK(text(data, "status") == "pending");
  REQUIRE_FALSE(text(data, "id").empty());
  return data.as_object();
}

json::object get_task(http_client& client, const std::string& task_id) {
  auto data = expect_ok(client.get("/api/tasks/" + task_id), 200);
  REQUIRE(data.is_object());
  return data.as_object();
}

json::object wait_for_status(http_client& client, const std::string& task_id,
                             std::initializer_list<const char*> statuses,
                             std::chrono::milliseconds deadline) {
  auto until = clock_type::now() + deadline;
  auto poll_interval = std::chrono::milliseconds(20);
  for (;;) {
    auto task = get_task(client, task_id);
    auto status = text(task, "status");
    for (const char* wanted : statuses)
      if (status == wanted) return task;
    if (clock_type::now() > until) {
      std::string wanted_list;
      for (const char* wanted : statuses) wanted_list += std::string(wanted) + " ";
      FAIL("task " << task_id << " did not reach [" << wanted_list << "] within "
                   << deadline.count() << " ms; last seen: " << json::serialize(task));
    }
    std::this_thread::sleep_for(poll_interval);
  }
}

page get_page(http_client& client, const std::string& target, int limit,
              const std::optional<std::string>& cursor) {
  std::string url = target + (target.find('?') == std::string::npos ? "?" : "&") +
                    "limit=" + std::to_string(limit);
  if (cursor) url += "&cursor=" + url_encode(*cursor);
  auto response = client.get(url);
  auto data = expect_ok(response, 200);
  INFO("GET " << url << " -> " << response.body.substr(0, 2000));
  REQUIRE(data.is_array());
  page result;
  for (const auto& item : data.as_array()) {
    REQUIRE(item.is_object());
    result.items.push_back(item.as_object());
  }
  auto envelope = response.json().as_object();
  if (auto* next = envelope.if_contains("next_cursor"); next && !next->is_null()) {
    REQUIRE(next->is_string());
    result.next_cursor = std::string(next->as_string());
  }
  return result;
}

std::vector<page> get_all_pages(http_client& client, const std::string& target, int limit,
                                int max_pages) {
  std::vector<page> pages;
  std::optional<std::string> cursor;
  do {
    pages.push_back(get_page(client, target, limit, cursor));
    cursor = pages.back().next_cursor;
    if (static_cast<int>(pages.size()) > max_pages)
      FAIL("GET " << target << " still had a next_cursor after " << max_pages << " pages");
  } while (cursor);
  return pages;
}

store_snapshot snapshot(http_client& client) {
  store_snapshot result;
  for (const auto& page : get_all_pages(client, "/api/tasks", 1000))
    for (const auto& task : page.items) result.task_ids.push_back(text(task, "id"));
  auto statistics = expect_ok(client.get("/api/statistics"), 200);
  result.total_tasks = statistics.at("total_tasks").to_number<int64_t>();
  auto newest = get_page(client, "/api/events", 1);
  if (!newest.items.empty())
    result.newest_event_seq = newest.items.front().at("seq").to_number<int64_t>();
  return result;
}

std::string text(const json::value& object, const char* key) {
  if (!object.is_object()) return {};
  auto* found = object.as_object().if_contains(key);
  if (found == nullptr || !found->is_string()) return {};
  return std::string(found->as_string());
}

std::vector<std::string> strings(const json::value& array) {
  std::vector<std::string> result;
  if (array.is_array())
    for (const auto& item : array.as_array())
      if (item.is_string()) result.emplace_back(item.as_string());
  return result;
}

std::string sha256_hex(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("EVP_Digest(sha256) failed");
  static const char hex[] = "0123456789abcdef";
  std::string result;
  for (unsigned int i = 0; i < length; ++i) {
    result.push_back(hex[digest[i] >> 4]);
    result.push_back(hex[digest[i] & 0x0f]);
  }
  return result;
}

std::string url_encode(const std::string& value) {
  static const char hex[] = "0123456789ABCDEF";
  std::string result;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      result.push_back(static_cast<char>(c));
    } else {
      result.push_back('%');
      result.push_back(hex[c >> 4]);
      result.push_back(hex[c & 0x0f]);
    }
  }
  return result;
}

}  // namespace ce::e2e
