// GET /api/openapi.json from the real binary: the document it serves, and a
// route behind every operation it documents.
#include <catch2/catch.hpp>

#include <string>

#include "tests/e2e/support/api.hpp"

namespace ce::e2e {

namespace {

/// The path with every {parameter} replaced by a value that names nothing:
/// the route must still be found (its handler then answers 404 for the id).
std::string with_placeholders(std::string path) {
  for (auto open = path.find('{'); open != std::string::npos; open = path.find('{')) {
    auto close = path.find('}', open);
    path.replace(open, close - open + 1, "unknown_" + path.substr(open + 1, close - open - 1));
  }
  return path;
}

}  // namespace

TEST_CASE("GET /api/openapi.json serves an OpenAPI 3.1 document", "[e2e][openapi]") {
  engine e;
  auto r = e.client.get("/api/openapi.json");
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type") == "application/json");
  auto doc = r.json().as_object();
  CHECK(doc.at("openapi").as_string().starts_with("3.1"));
  CHECK(doc.at("paths").as_object().contains("/api/tasks/{taskId}/execute"));
}

TEST_CASE("every operation in the served document is answered by a route", "[e2e][openapi]") {
  engine e;
  auto doc = e.client.get("/api/openapi.json").json().as_object();
  int operations = 0;
  for (const auto& [path, item] : doc.at("paths").as_object())
    for (const auto& [method, operation] : item.as_object()) {
      std::string verb(method);
      for (auto& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      auto target = with_placeholders(std::string(path));
      auto answer = e.client.request(verb, target, verb == "POST" ? "{}" : "");
      INFO(verb << " " << target << " -> " << answer.status << " " << answer.body.substr(0, 200));
      CHECK(answer.status != 405);
      CHECK(answer.body.find("no such endpoint") == std::string::npos);
      ++operations;
    }
  CHECK(operations >= 27);  // the contract's endpoints, /metrics and this document
}

TEST_CASE("with tokens configured the document needs a token like every other /api route",
          "[e2e][openapi]") {
  server_options options;
  options.args = {"--tokens", "reader:viewer:" + sha256_hex("ce_test_token_of_the_reader")};
  engine e(options);
  CHECK(e.client.get("/api/openapi.json").status == 401);
  auto r = e.client.request("GET", "/api/openapi.json", {},
                            {{"Authorization", "Bearer ce_test_token_of_the_reader"}});
  CHECK(r.status == 200);
}

}  // namespace ce::e2e
