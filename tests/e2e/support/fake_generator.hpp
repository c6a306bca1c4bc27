// The fake Generator Service (fake_generator.py, stdlib Python) for end-to-end tests:
// started on an ephemeral port, steered per test, asked how many TCP connections it took.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/json.hpp>

#include "tests/e2e/support/http_client.hpp"

namespace ce::e2e {

class fake_generator {
 public:
  /// Starts the script and returns once it listens; throws if it does not within 10 s.
  explicit fake_generator(const std::string& mode = "normal", int delay_ms = 0);
  /// SIGTERM, then SIGKILL if it lingers.
  ~fake_generator();
  fake_generator(const fake_generator&) = delete;
  fake_generator& operator=(const fake_generator&) = delete;

  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  /// Answers the next `times` calls in `mode` (nullopt: every call until the next control).
  void control(const std::string& mode, std::optional<int> times = std::nullopt, int delay_ms = 0);
  /// TCP connections the fake accepted so far, the test's own control connection included.
  int64_t connections();
  /// Calls of `path` so far (control and stats excluded).
  int64_t calls(const std::string& path);

 private:
  boost::json::object stats();

  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::unique_ptr<http_client> control_;
};

}  // namespace ce::e2e
