// What the HTTP layer hands to the REST API and gets back.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/tokens.hpp"
#include "messages/domain.hpp"
#include "messages/requirements.hpp"
#include "net/beast.hpp"
#include "net/generator_client.hpp"
#include "net/limits.hpp"

namespace ce::net {

struct api_request {
  http::verb method = http::verb::get;
  std::string method_text;
  std::vector<std::string> segments;         // decoded path segments
  std::map<std::string, std::string> query;  // decoded; the first value of a key wins
  std::string body;
  std::string content_type;
  caller_identity caller;
  std::string auth_refusal;  // non-empty: the credentials failed; 401 with this sentence
  std::string token_key;     // the token's hash, the key of its request rate (empty: none)
};

struct api_response {
  http::status status = http::status::ok;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<http::field, std::string>> headers;
  std::vector<std::pair<std::string, std::string>> named_headers;  // fields Beast has no enum for
};

/// Delivers the answer; may be called from any thread, exactly once.
using responder = std::function<void(api_response)>;

/// Switches that change how answers look.
struct api_options {
  bool legacy = false;                 // handled errors answer HTTP 200 with success:false
  bool allow_fault_injection = false;  // requirements.simulate is accepted (tests only)
  std::shared_ptr<const config::token_table> tokens;  // null or empty: the open node
  std::shared_ptr<rate_limiter> per_token;  // requests per second per token (null: no limit)
  std::shared_ptr<rate_limiter> per_ip;     // requests per second per client address
  /// Null: the built-in generator. Its health shows in /ready and /api/statistics.
  std::shared_ptr<const generator_client> generator;
  bool generator_fallback_builtin = false;
  std::chrono::milliseconds call_timeout{std::chrono::seconds(30)};
  /// What is wrong with a context's components (the planner's catalog); checked at create.
  std::function<std::vector<field_error>(const task_context&)> check_components;
  /// The registered safety checks, for GET /api/safety/checks.
  std::vector<safety_check_info> safety_checks;
  std::chrono::milliseconds wait_timeout{std::chrono::seconds(300)};
};

}  // namespace ce::net
