// A small synchronous HTTP/1.1 client over one keep-alive connection, for
// driving core-engine in end-to-end tests.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ce::e2e {

/// One answer: status, headers (names lower-cased) and the raw body.
struct http_response {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;

  /// The header's value, or "" when absent; `name` in any case.
  std::string header(const std::string& name) const;
  /// The body parsed as JSON; throws std::runtime_error quoting the body if it is not.
  boost::json::value json() const;
};

using header_list = std::vector<std::pair<std::string, std::string>>;

/// Sends requests one at a time over a kept-alive connection to host:port,
/// reconnecting when the server closed it. Every request has a deadline, so a
/// server that hangs fails the test instead of hanging it.
class http_client {
 public:
  http_client(std::string host, uint16_t port);
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Any method (also unusual ones such as "PATCH" or "BREW"). A non-empty
  /// body gets Content-Type: application/json unless `headers` names one.
  http_response request(const std::string& method, const std::string& target,
                        const std::string& body = {}, const header_list& headers = {},
                        std::chrono::milliseconds deadline = std::chrono::seconds(60));

  http_response get(const std::string& target) { return request("GET", target); }
  http_response post(const std::string& target, const boost::json::value& body) {
    return request("POST", target, boost::json::serialize(body));
  }
  /// POST without a body, as `curl -X POST URL` sends it.
  http_response post(const std::string& target) { return request("POST", target); }

  /// How many TCP connections this client opened so far (keep-alive means 1).
  int connections_opened() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ce::e2e
