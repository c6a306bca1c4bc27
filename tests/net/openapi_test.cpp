// The router's one table and net/openapi.json describe the same API: every
// route is documented with its method, and every documented operation is routed.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>

#include <boost/json.hpp>

#include "net/openapi_document.hpp"
#include "net/rest_api.hpp"

namespace json = boost::json;
using ce::net::rest_api;

namespace {

/// "/api/tasks/:taskId" -> "/api/tasks/{taskId}", OpenAPI's spelling of a path parameter.
std::string openapi_path(const std::string& route) {
  std::string out;
  bool in_parameter = false;
  for (char c : route) {
    if (c == ':') {
      out += '{';
      in_parameter = true;
    } else if (c == '/' && in_parameter) {
      out += "}/";
      in_parameter = false;
    } else {
      out += c;
    }
  }
  if (in_parameter) out += '}';
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

const json::object& document() {
  static const json::value doc = json::parse(ce::net::openapi_document());
  return doc.as_object();
}

std::set<std::string> operations_in_document() {
  static const std::set<std::string> methods = {"get",   "put",  "post",    "delete",
                                                "patch", "head", "options", "trace"};
  std::set<std::string> out;
  for (const auto& [path, item] : document().at("paths").as_object())
    for (const auto& [method, operation] : item.as_object())
      if (methods.count(std::string(method)))
        out.insert(std::string(method) + " " + std::string(path));
  return out;
}

std::set<std::string> operations_routed() {
  std::set<std::string> out;
  for (const auto& r : rest_api::routes())
    out.insert(lower(ce::net::http::to_string(r.method)) + " " + openapi_path(r.path));
  return out;
}

}  // namespace

TEST_CASE("the OpenAPI document is OpenAPI 3.1 JSON", "[net][openapi]") {
  CHECK(document().at("openapi").as_string().starts_with("3.1"));
  CHECK_FALSE(document().at("info").at("title").as_string().empty());
}

TEST_CASE("a route template becomes an OpenAPI path", "[net][openapi]") {
  CHECK(openapi_path("/api/tasks") == "/api/tasks");
  CHECK(openapi_path("/api/tasks/:taskId/artifacts/:name") ==
        "/api/tasks/{taskId}/artifacts/{name}");
  CHECK(openapi_path("/api/plans/:planId/approve") == "/api/plans/{planId}/approve");
}

TEST_CASE("every route the router answers is in the OpenAPI document", "[net][openapi]") {
  auto documented = operations_in_document();
  for (const auto& op : operations_routed()) {
    INFO(op);
    CHECK(documented.count(op) == 1);
  }
}

TEST_CASE("every operation in the OpenAPI document is a route of the router", "[net][openapi]") {
  auto routed = operations_routed();
  for (const auto& op : operations_in_document()) {
    INFO(op);
    CHECK(routed.count(op) == 1);
  }
}

TEST_CASE("every documented operation has an id and a success answer", "[net][openapi]") {
  std::set<std::string> ids;
  for (const auto& [path, item] : document().at("paths").as_object())
    for (const auto& [method, operation] : item.as_object()) {
      INFO(method << " " << path);
      auto& o = operation.as_object();
      REQUIRE(o.contains("operationId"));
      CHECK(ids.insert(std::string(o.at("operationId").as_string())).second);  // unique
      bool success = false;
      for (const auto& [status, answer] : o.at("responses").as_object())
        success = success || status.starts_with("2");
      CHECK(success);
    }
}
