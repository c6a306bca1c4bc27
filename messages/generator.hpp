// The Generator Service (the-ai-project-co/nimbus, services/generator-service) as the
// engine sees it: calls, their outcome after the client's retries, the dependency's health.
#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

namespace ce {

/// One call to the Generator Service.
struct generator_request {
  std::string task_id;  // identical requests of one task are made once
  std::string path;     // "/api/templates/render"
  std::string body;     // JSON; empty: a GET
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, generator_request& x) {
  return f(caf::meta::type_name("generator_request"), x.task_id, x.path, x.body);
}

/// What a call came to once the client is done with it (retries included).
struct generator_reply {
  bool ok = false;
  std::string data;        // the envelope's `data` as JSON text (when ok)
  std::string error;       // a sentence saying what failed (when not ok)
  bool transient = false;  // connection error, timeout, 5xx, 429 or an open breaker
  int http_status = 0;     // of the last attempt; 0: no HTTP answer
  int attempts = 0;        // made for this call; 0: the breaker refused it
  int64_t latency_ms = 0;  // of the last attempt
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, generator_reply& x) {
  return f(caf::meta::type_name("generator_reply"), x.ok, x.data, x.error, x.transient,
           x.http_status, x.attempts, x.latency_ms);
}

/// How the dependency is doing, for /ready and /api/statistics.
struct generator_health {
  std::string url;
  std::string breaker = "closed";  // closed | open | half_open
  std::string last_error;          // empty: none yet
  int64_t last_error_at_ms = 0;    // unix ms of last_error
  int64_t last_latency_ms = -1;    // of the last answered attempt; -1: none yet
  uint64_t calls = 0;              // calls made (after de-duplication)
  uint64_t attempts = 0;           // HTTP attempts, retries included
  uint64_t retries = 0;
  uint64_t failures = 0;            // calls that failed after their retries
  uint64_t short_circuited = 0;     // calls refused by the open breaker
  uint64_t connections_opened = 0;  // TCP connections libcurl had to open
};

}  // namespace ce
