// The Generator Service's HTTP client on libcurl's multi interface. One thread of its own
// runs curl_multi_poll; callers hand calls over without blocking and get the outcome
// through a callback on that thread. Connections are kept and reused; every attempt
// has a connect and a total timeout; connection errors, timeouts, 5xx and 429 are
// retried with exponential backoff and jitter; other 4xx, `success:false` and answers
// that are not the service's JSON envelope are not; a circuit breaker fails calls fast
// while the service is down and lets a probe through after a cool-down.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "messages/generator.hpp"

namespace ce::net {

struct generator_client_options {
  std::string base_url;  // "http://localhost:3003"; a trailing '/' is dropped
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds attempt_timeout{10000};  // one attempt, connect included
  int max_attempts = 3;                              // per call, the first included
  std::chrono::milliseconds backoff_base{100};
  std::chrono::milliseconds backoff_max{2000};
  int breaker_failures = 5;  // failed attempts in a row that open the breaker
  std::chrono::milliseconds breaker_cool_down{5000};
  long max_connections = 16;  // to the service at once; more calls wait for one
};

class generator_client {
 public:
  using callback = std::function<void(generator_reply)>;

  explicit generator_client(generator_client_options options);
  /// Stops the thread; calls still open are answered with a failure.
  ~generator_client();
  generator_client(const generator_client&) = delete;
  generator_client& operator=(const generator_client&) = delete;

  /// Queues a call and returns at once; `done` runs on the client's thread, exactly once.
  void submit(generator_request request, callback done);

  /// A snapshot, safe from any thread.
  generator_health health() const;

  const generator_client_options& options() const { return options_; }

 private:
  struct impl;
  generator_client_options options_;
  std::unique_ptr<impl> impl_;
};

}  // namespace ce::net
