// Every setting of a core-engine node. Its default is here; its flag, config
// key, environment variable, help and rule are in the one table in settings.cpp,
// which also writes config/core-engine.toml. Sources, strongest first:
// command-line flag > environment variable > config file > built-in default.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ce::config {

struct settings {
  // -- network
  std::string bind = "127.0.0.1";
  uint16_t http_port = 3004;
  uint16_t ws_port = 3104;
  int io_threads = 2;                    // Beast I/O threads
  std::size_t max_body_bytes = 1 << 20;  // 1 MiB; larger bodies get 413
  bool legacy_api = false;               // the original service's error/execute behaviour
  bool allow_fault_injection = false;    // accept requirements.simulate (tests only)
  bool insecure = false;                 // listen beyond loopback without authentication
  // -- authentication
  std::vector<std::string> tokens;  // USER:ROLE:SHA256 each; none: the node is open (loopback)
  // environments where nobody approves their own plan
  std::vector<std::string> no_self_approval_in{"production"};
  // -- limits (0: none)
  double max_requests_per_token = 0;     // per second, per bearer token; more get 429
  double max_requests_per_ip = 0;        // per second, per client address; more get 429
  int64_t max_connections_per_ip = 0;    // open connections of one address
  int64_t max_connections = 0;           // open connections in all
  double ws_message_rate = 0;            // client messages per second, per WebSocket
  std::size_t ws_queue_limit = 1024;     // frames a WebSocket client may lag behind
  int64_t ws_idle_timeout_s = 60;        // ping after half, close after all of it
  int64_t ws_close_grace_s = 10;         // time an overflowing client gets to read its error
  int ws_send_buffer_bytes = 256 << 10;  // kernel send buffer per WebSocket; 0 = OS default
  // -- storage
  std::string data_dir = "./data";
  std::string store = "sqlite";    // sqlite | memory (benchmarks and tests only)
  std::size_t commit_batch = 512;  // change sets per transaction at most
  int64_t commit_delay_us = 2000;  // a change waits at most this long for its commit
  bool auto_resume = true;         // resume interrupted tasks at start
  int64_t retain_tasks = 1000;     // terminal tasks kept in memory (the store keeps all)
  int64_t retain_age_s = 3600;     // nor longer than this since they ended or were read
  int64_t retain_events = 20000;   // newest events kept in memory
  // -- engine
  std::string node_id;    // empty: derived from host name and port
  int actor_threads = 0;  // 0: CAF default (one per core)
  std::string deployment_driver = "simulated";
  std::string generator_service_url;        // empty: the built-in generator
  std::string generator_fallback = "none";  // none | builtin (after a failed call, recorded)
  int64_t generator_connect_timeout_ms = 1000;
  int64_t generator_timeout_ms = 10000;  // one attempt, connect included
  int generator_attempts = 3;            // per call; connection errors, timeouts, 5xx, 429
  int64_t generator_backoff_ms = 100;    // first retry backoff; doubles, with jitter
  int64_t generator_backoff_max_ms = 2000;
  int generator_breaker_failures = 5;            // failed attempts in a row that open the breaker
  int64_t generator_breaker_cooldown_ms = 5000;  // then one probe may go
  int generator_max_connections = 16;            // to the service at once
  int64_t wait_timeout_s = 300;                  // longest ?wait=true / legacy execute answer
  // -- safety policy
  double cost_limit_usd = 10000;
  bool production_requires_approval = true;
  std::string approval_risk_threshold = "high";
  int max_resources_per_minute = 120;
  int64_t execution_timeout_s = 3600;
  double cost_anomaly_factor = 1.5;
  // -- supervision
  int64_t max_running_tasks = 64;       // executions at once; more wait queued (0: no limit)
  int64_t max_running_per_user = 32;    // executions of one user at once (0: no limit)
  int64_t max_pending_tasks = 20000;    // created, not yet executed, in all (0: no limit)
  int64_t max_pending_per_user = 2000;  // of one user (0: no limit)
  int64_t step_timeout_s = 600;         // one attempt of a step; then its actor is killed
  int step_attempts = 3;                // attempts per step for transient failures (1: no retry)
  int64_t retry_base_ms = 200;          // first backoff; doubles per attempt, with jitter
  int64_t retry_max_ms = 5000;          // longest backoff
  int64_t approval_timeout_s = 86400;   // a plan not approved by then ends its task cancelled
  // -- logging
  std::string log_level = "info";
  std::string log_format = "text";  // text | json (one object per line)
};

/// What load() decided: run with `values`, or exit with `exit_code` after
/// printing `message` (help text, or every error found, one per line).
struct load_result {
  settings values;
  bool should_exit = false;
  int exit_code = 0;
  std::string message;
};

/// Reads flags, environment and the config file (--config FILE; without it,
/// none). `environ_lookup` exists so tests can supply their own environment.
load_result load(const std::vector<std::string>& args,
                 const char* (*environ_lookup)(const char*) = nullptr);

/// The commented default config file, generated from the table; the checked-in
/// config/core-engine.toml is exactly this text (`core-engine --print-default-config`).
std::string default_config_text();

}  // namespace ce::config
