#include "net/request_reading.hpp"

#include <boost/url/parse.hpp>

#include "net/authentication.hpp"

namespace ce::net {

std::optional<api_request> read_api_request(const http::request<http::string_body>& req,
                                            const config::token_table* tokens) {
  auto url = boost::urls::parse_origin_form(req.target());
  if (!url) return std::nullopt;
  api_request in;
  in.method = req.method();
  in.method_text = std::string(req.method_string());
  for (auto segment : url->segments())
    if (!segment.empty()) in.segments.push_back(segment);
  for (auto param : url->params()) in.query.emplace(param.key, param.value);
  in.content_type = std::string(req[http::field::content_type]);
  auto who = authenticate(tokens, req[http::field::authorization], req[http::field::from],
                          req["X-User-Id"]);
  in.caller = std::move(who.caller);
  in.auth_refusal = std::move(who.refusal);
  in.token_key = std::move(who.token_key);
  return in;
}

}  // namespace ce::net
