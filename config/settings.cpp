#include "config/settings.hpp"

#include <cstdlib>
#include <sstream>
#include <utility>

#include <CLI/CLI.hpp>
#include <boost/asio/ip/address.hpp>

#include "config/tokens.hpp"

namespace ce::config {

namespace {

/// Environment variables and the flag each one stands for. They are turned
/// into leading command-line arguments, so a real flag given later wins and
/// both win over the config file (CLI11 fills from the file only what is unset).
const std::vector<std::pair<const char*, const char*>> environment_flags = {
    {"PORT", "--port"},           {"WS_PORT", "--ws-port"},
    {"BIND", "--bind"},           {"DATA_DIR", "--data-dir"},
    {"LOG_LEVEL", "--log-level"}, {"GENERATOR_SERVICE_URL", "--generator-service-url"},
    {"NODE_ID", "--node-id"},
};

const char* real_getenv(const char* name) {
  return std::getenv(name);
}

void declare(CLI::App& app, settings& s) {
  auto last = [](CLI::Option* o) {
    return o->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  };
  // network
  last(app.add_option("--bind", s.bind,
                      "Address the HTTP and WebSocket listeners bind to (env BIND)")
           ->capture_default_str());
  last(app.add_option("--port", s.http_port, "HTTP port; 0 picks a free one (env PORT)")
           ->capture_default_str());
  last(app.add_option("--ws-port", s.ws_port, "WebSocket port; 0 picks a free one (env WS_PORT)")
           ->capture_default_str());
  last(app.add_option("--io-threads", s.io_threads, "Threads serving HTTP/WebSocket I/O")
           ->capture_default_str());
  last(app.add_option("--max-body-bytes", s.max_body_bytes,
                      "Largest request body accepted; larger ones get 413")
           ->capture_default_str());
  app.add_flag("--legacy-api", s.legacy_api,
               "Behave like the original service: handled errors answer HTTP 200 with "
               "success:false, execute is synchronous");
  app.add_flag("--insecure", s.insecure,
               "Listen on a non-loopback --bind although no authentication is configured");
  // authentication
  app.add_option("--tokens", s.tokens,
                 "Accepted bearer tokens as USER:ROLE:SHA256 (from `core-engine token create`); "
                 "repeat or separate with commas (env CORE_ENGINE_TOKENS). None: no "
                 "authentication, loopback only")
      ->delimiter(',');
  app.add_option("--no-self-approval-in", s.no_self_approval_in,
                 "Environments where nobody may approve a plan of their own task")
      ->delimiter(',')
      ->capture_default_str();
  // limits
  last(app.add_option("--max-requests-per-token", s.max_requests_per_token,
                      "Requests per second one bearer token may make; more get 429 with "
                      "Retry-After (0: no limit)")
           ->capture_default_str());
  last(app.add_option("--max-requests-per-ip", s.max_requests_per_ip,
                      "Requests per second one client address may make; more get 429 with "
                      "Retry-After (0: no limit)")
           ->capture_default_str());
  last(app.add_option("--max-connections-per-ip", s.max_connections_per_ip,
                      "Open connections of one client address; more are answered 429 and closed "
                      "(0: no limit)")
           ->capture_default_str());
  last(app.add_option("--max-connections", s.max_connections,
                      "Open connections in all; more are answered 503 and closed (0: no limit)")
           ->capture_default_str());
  last(app.add_option("--ws-message-rate", s.ws_message_rate,
                      "Messages per second one WebSocket client may send; more get an error "
                      "frame (0: no limit)")
           ->capture_default_str());
  app.add_flag("--allow-fault-injection", s.allow_fault_injection,
               "Accept requirements.simulate (crashes, pauses) from clients: for tests only");
  last(app.add_option("--ws-queue-limit", s.ws_queue_limit,
                      "Frames a WebSocket client may lag behind before it is disconnected")
           ->capture_default_str());
  last(app.add_option("--ws-idle-timeout", s.ws_idle_timeout_s,
                      "Seconds of WebSocket silence before a ping (half) and a close (all)")
           ->capture_default_str());
  last(app.add_option("--ws-close-grace", s.ws_close_grace_s,
                      "Seconds a lagging WebSocket client gets to read its overflow error")
           ->capture_default_str());
  last(app.add_option("--ws-send-buffer", s.ws_send_buffer_bytes,
                      "Kernel send buffer per WebSocket connection in bytes; 0 = OS default")
           ->capture_default_str());
  // storage
  last(app.add_option("--data-dir", s.data_dir,
                      "Directory for generated artifacts and state (env DATA_DIR)")
           ->capture_default_str());
  last(app.add_option("--store", s.store,
                      "sqlite: durable store under --data-dir; memory: nothing survives a "
                      "restart (for benchmarks and tests)")
           ->capture_default_str());
  last(app.add_option("--commit-batch", s.commit_batch,
                      "Group commit: most changes written in one transaction")
           ->capture_default_str());
  last(app.add_option("--commit-delay-us", s.commit_delay_us,
                      "Group commit: longest a change waits for its transaction, microseconds")
           ->capture_default_str());
  last(app.add_option("--auto-resume", s.auto_resume,
                      "Resume tasks a restart interrupted (true/false); when false, use "
                      "POST /api/tasks/:id/resume")
           ->capture_default_str());
  last(app.add_option("--retain-tasks", s.retain_tasks,
                      "Terminal tasks kept in memory; older ones are read from the store "
                      "(sqlite only)")
           ->capture_default_str());
  last(app.add_option("--retain-age", s.retain_age_s,
                      "Seconds a terminal task stays in memory after it ended or was last read")
           ->capture_default_str());
  last(app.add_option("--retain-events", s.retain_events,
                      "Newest events kept in memory; older ones are read from the store "
                      "(sqlite only)")
           ->capture_default_str());
  // engine
  last(app.add_option("--node-id", s.node_id,
                      "This node's name in ids and events (env NODE_ID); "
                      "default: derived from host name and port"));
  last(app.add_option("--actor-threads", s.actor_threads,
                      "Actor scheduler threads; 0 = one per core")
           ->capture_default_str());
  last(app.add_option("--deployment-driver", s.deployment_driver,
                      "How deployment steps reach infrastructure; 'simulated' touches no cloud")
           ->capture_default_str());
  last(app.add_option("--generator-service-url", s.generator_service_url,
                      "Generator Service base URL (env GENERATOR_SERVICE_URL); empty = built-in "
                      "templates"));
  last(app.add_option("--wait-timeout", s.wait_timeout_s,
                      "Longest time in seconds an execute?wait=true answer waits")
           ->capture_default_str());
  // safety policy
  last(
      app.add_option("--cost-limit", s.cost_limit_usd,
                     "Monthly cost limit in USD for a plan, unless its requirements set cost_limit")
          ->capture_default_str());
  last(app.add_option("--production-requires-approval", s.production_requires_approval,
                      "Production plans wait for approval (true/false)")
           ->capture_default_str());
  last(app.add_option(
              "--approval-risk-threshold", s.approval_risk_threshold,
              "Plans at or above this risk level wait for approval (low|medium|high|critical)")
           ->capture_default_str());
  last(app.add_option("--max-resources-per-minute", s.max_resources_per_minute,
                      "During execution, more resources created per minute abort the task")
           ->capture_default_str());
  last(app.add_option("--execution-timeout", s.execution_timeout_s,
                      "Seconds a task may execute before it is aborted")
           ->capture_default_str());
  last(app.add_option("--cost-anomaly-factor", s.cost_anomaly_factor,
                      "Post-execution: actual cost above estimate x factor is an anomaly")
           ->capture_default_str());
  // supervision
  last(app.add_option("--max-running-tasks", s.max_running_tasks,
                      "Executions at once; more wait in the priority queue (0: no limit)")
           ->capture_default_str());
  last(app.add_option("--max-running-per-user", s.max_running_per_user,
                      "Executions of one user at once, so nobody starves the others (0: no limit)")
           ->capture_default_str());
  last(app.add_option("--max-pending-tasks", s.max_pending_tasks,
                      "Tasks created and not yet executed, in all; more creates get 429 (0: no "
                      "limit)")
           ->capture_default_str());
  last(app.add_option("--max-pending-per-user", s.max_pending_per_user,
                      "Pending tasks of one user; more creates get 429 (0: no limit)")
           ->capture_default_str());
  last(app.add_option("--step-timeout", s.step_timeout_s,
                      "Seconds one attempt of a step may take before its actor is killed")
           ->capture_default_str());
  last(app.add_option("--step-attempts", s.step_attempts,
                      "Attempts per step when failures are transient (1: no retry)")
           ->capture_default_str());
  last(app.add_option("--retry-base-ms", s.retry_base_ms,
                      "First retry backoff in ms; doubles per attempt, with jitter")
           ->capture_default_str());
  last(app.add_option("--retry-max-ms", s.retry_max_ms, "Longest retry backoff in ms")
           ->capture_default_str());
  last(app.add_option("--approval-timeout", s.approval_timeout_s,
                      "Seconds a plan may wait for approval before its task ends cancelled")
           ->capture_default_str());
  // logging
  last(app.add_option("--log-level", s.log_level,
                      "trace|debug|info|warn|error|critical|off (env LOG_LEVEL)")
           ->capture_default_str());
}

/// Checks that need more than a type: every problem is reported, not just the first.
/// Only this machine can reach the address: 127.0.0.0/8, ::1 or "localhost".
/// Anything else, a name included, may be reachable from outside.
bool is_loopback(const std::string& address) {
  if (address == "localhost") return true;
  boost::system::error_code ec;
  auto parsed = boost::asio::ip::make_address(address, ec);
  return !ec && parsed.is_loopback();
}

std::vector<std::string> validate(const settings& s) {
  std::vector<std::string> errors;
  auto in = [](const std::string& v, std::initializer_list<const char*> allowed) {
    for (auto a : allowed)
      if (v == a) return true;
    return false;
  };
  if (s.bind.empty()) errors.emplace_back("--bind must not be empty");
  for (const auto& entry : s.tokens) {
    std::string why;
    if (!parse_token_entry(entry, why))
      errors.emplace_back("--tokens entry '" + entry.substr(0, entry.rfind(':')) + ":...' " + why);
  }
  if (!s.bind.empty() && !s.insecure && s.tokens.empty() && !is_loopback(s.bind))
    errors.emplace_back("--bind " + s.bind +
                        " is reachable from other machines and no authentication is configured, "
                        "so anyone who can connect could create, run and cancel tasks; bind "
                        "127.0.0.1 or ::1, or pass --insecure to accept that");
  if (s.max_requests_per_token < 0)
    errors.emplace_back("--max-requests-per-token must not be negative");
  if (s.max_requests_per_ip < 0) errors.emplace_back("--max-requests-per-ip must not be negative");
  if (s.max_connections_per_ip < 0)
    errors.emplace_back("--max-connections-per-ip must not be negative");
  if (s.max_connections < 0) errors.emplace_back("--max-connections must not be negative");
  if (s.ws_message_rate < 0) errors.emplace_back("--ws-message-rate must not be negative");
  if (s.io_threads < 1 || s.io_threads > 64)
    errors.emplace_back("--io-threads must be between 1 and 64");
  if (s.actor_threads < 0 || s.actor_threads > 256)
    errors.emplace_back("--actor-threads must be between 0 and 256");
  if (s.max_body_bytes < 1024 || s.max_body_bytes > (64u << 20))
    errors.emplace_back("--max-body-bytes must be between 1024 and 67108864");
  if (s.ws_queue_limit < 16 || s.ws_queue_limit > 1000000)
    errors.emplace_back("--ws-queue-limit must be between 16 and 1000000");
  if (s.ws_idle_timeout_s < 2) errors.emplace_back("--ws-idle-timeout must be at least 2 seconds");
  if (s.ws_close_grace_s < 1) errors.emplace_back("--ws-close-grace must be at least 1 second");
  if (s.ws_send_buffer_bytes < 0) errors.emplace_back("--ws-send-buffer must not be negative");
  if (s.store != "sqlite" && s.store != "memory")
    errors.emplace_back("--store must be sqlite or memory");
  if (s.commit_batch < 1 || s.commit_batch > 100000)
    errors.emplace_back("--commit-batch must be between 1 and 100000");
  if (s.commit_delay_us < 0 || s.commit_delay_us > 1000000)
    errors.emplace_back("--commit-delay-us must be between 0 and 1000000");
  if (s.retain_tasks < 0) errors.emplace_back("--retain-tasks must not be negative");
  if (s.retain_age_s < 0) errors.emplace_back("--retain-age must not be negative");
  if (s.retain_events < 0) errors.emplace_back("--retain-events must not be negative");
  if (s.data_dir.empty()) errors.emplace_back("--data-dir must not be empty");
  if (s.deployment_driver != "simulated")
    errors.emplace_back("--deployment-driver must be 'simulated' (the only built-in driver)");
  if (s.wait_timeout_s < 1) errors.emplace_back("--wait-timeout must be at least 1 second");
  if (s.cost_limit_usd <= 0) errors.emplace_back("--cost-limit must be positive");
  if (!in(s.approval_risk_threshold, {"low", "medium", "high", "critical"}))
    errors.emplace_back("--approval-risk-threshold must be one of low, medium, high, critical");
  if (s.max_resources_per_minute < 1)
    errors.emplace_back("--max-resources-per-minute must be at least 1");
  if (s.execution_timeout_s < 1)
    errors.emplace_back("--execution-timeout must be at least 1 second");
  if (s.cost_anomaly_factor < 1) errors.emplace_back("--cost-anomaly-factor must be at least 1");
  if (s.max_running_tasks < 0) errors.emplace_back("--max-running-tasks must not be negative");
  if (s.max_running_per_user < 0)
    errors.emplace_back("--max-running-per-user must not be negative");
  if (s.max_pending_tasks < 0) errors.emplace_back("--max-pending-tasks must not be negative");
  if (s.max_pending_per_user < 0)
    errors.emplace_back("--max-pending-per-user must not be negative");
  if (s.step_timeout_s < 1) errors.emplace_back("--step-timeout must be at least 1 second");
  if (s.step_attempts < 1 || s.step_attempts > 20)
    errors.emplace_back("--step-attempts must be between 1 and 20");
  if (s.retry_base_ms < 1 || s.retry_base_ms > 60000)
    errors.emplace_back("--retry-base-ms must be between 1 and 60000");
  if (s.retry_max_ms < s.retry_base_ms || s.retry_max_ms > 600000)
    errors.emplace_back("--retry-max-ms must be between --retry-base-ms and 600000");
  if (s.approval_timeout_s < 1) errors.emplace_back("--approval-timeout must be at least 1 second");
  if (!in(s.log_level, {"trace", "debug", "info", "warn", "error", "critical", "off"}))
    errors.emplace_back(
        "--log-level must be one of trace, debug, info, warn, error, critical, off");
  if (!s.generator_service_url.empty() && s.generator_service_url.rfind("http://", 0) != 0 &&
      s.generator_service_url.rfind("https://", 0) != 0)
    errors.emplace_back("--generator-service-url must start with http:// or https://");
  return errors;
}

}  // namespace

load_result load(const std::vector<std::string>& args, const char* (*environ_lookup)(const char*)) {
  if (environ_lookup == nullptr) environ_lookup = real_getenv;
  load_result out;
  CLI::App app{"core-engine: plans, checks, executes and verifies infrastructure-generation tasks",
               "core-engine"};
  app.set_config("--config", "", "Read settings from this TOML/INI file (key = value per line)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.allow_config_extras(false);  // a misspelt key in the file is an error, not ignored
  declare(app, out.values);

  // CLI11 wants argv in reverse order when given a vector.
  std::vector<std::string> argv;
  for (const auto& [var, flag] : environment_flags)
    if (const char* v = environ_lookup(var); v != nullptr && *v != '\0')
      argv.push_back(std::string(flag) + "=" + v);
  // A list is not merged across sources: tokens given as flags replace the environment's.
  bool tokens_flag = false;
  for (const auto& a : args) tokens_flag = tokens_flag || a.rfind("--tokens", 0) == 0;
  if (const char* v = environ_lookup("CORE_ENGINE_TOKENS");
      v != nullptr && *v != '\0' && !tokens_flag)
    argv.push_back(std::string("--tokens=") + v);
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> reversed(argv.rbegin(), argv.rend());

  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    out.should_exit = true;
    out.exit_code = 0;
    out.message = app.help();
    return out;
  } catch (const CLI::ParseError& e) {
    out.should_exit = true;
    out.exit_code = 2;
    out.message = std::string("core-engine: ") + e.what() + "\nRun with --help for the options.";
    return out;
  }
  if (auto errors = validate(out.values); !errors.empty()) {
    std::ostringstream msg;
    for (const auto& e : errors) msg << "core-engine: " << e << '\n';
    out.should_exit = true;
    out.exit_code = 2;
    out.message = msg.str();
  }
  return out;
}

std::string default_config_text() {
  return R"(# core-engine configuration. Every key is optional; the values shown are the
# built-in defaults. Precedence: command-line flag > environment variable >
# this file > default. Start with: core-engine --config config/core-engine.toml

# -- network
bind = "127.0.0.1"            # env BIND; beyond loopback only with tokens, or insecure = true
insecure = false              # true: listen on a non-loopback bind without authentication
port = 3004                   # HTTP port, env PORT; 0 picks a free port
ws-port = 3104                # WebSocket port, env WS_PORT
io-threads = 2                # threads serving HTTP/WebSocket I/O
max-body-bytes = 1048576      # larger request bodies are refused with 413
legacy-api = false            # true: answer like the original service (HTTP 200 on errors, sync execute)
allow-fault-injection = false # true: clients may send requirements.simulate (tests only)
ws-queue-limit = 1024         # frames a WebSocket client may lag behind before it is disconnected
ws-idle-timeout = 60          # seconds: ping after half, close after all of it without an answer
ws-close-grace = 10           # seconds a lagging client gets to read its overflow error
ws-send-buffer = 262144       # kernel send buffer per WebSocket connection; 0 = OS default

# -- authentication
# Bearer tokens, each USER:ROLE:SHA256 as printed by `core-engine token create --user U --role R`
# (roles: viewer, operator, approver, admin). Only the hash is kept here. Env CORE_ENGINE_TOKENS
# (comma-separated). With none, the node is open and listens on loopback only.
# tokens = ["alice:operator:<sha256 of alice's token>", "bob:approver:<sha256>"]
no-self-approval-in = ["production"]   # environments where nobody approves their own plan

# -- limits (0: none)
max-requests-per-token = 0    # requests per second per bearer token; more get 429 with Retry-After
max-requests-per-ip = 0       # requests per second per client address; more get 429 with Retry-After
max-connections-per-ip = 0    # open connections of one address; more are answered 429 and closed
max-connections = 0           # open connections in all; more are answered 503 and closed
ws-message-rate = 0           # messages per second one WebSocket client may send; more get an error frame

# -- storage
data-dir = "./data"           # generated artifacts and state, env DATA_DIR
store = "sqlite"              # sqlite (durable) | memory (benchmarks and tests: nothing survives)
commit-batch = 512            # group commit: most changes in one transaction
commit-delay-us = 2000        # group commit: longest a change waits for its transaction
auto-resume = true            # resume interrupted tasks at start
retain-tasks = 1000           # terminal tasks kept in memory; the rest are read from the store
retain-age = 3600             # seconds a terminal task stays in memory after it ended or was read
retain-events = 20000         # newest events kept in memory; older ones are read from the store

# -- engine
# node-id = "node-a"          # default: derived from host name and port, env NODE_ID
actor-threads = 0             # 0 = one per core
deployment-driver = "simulated"   # the built-in driver touches no cloud
# generator-service-url = "http://localhost:3003"   # env GENERATOR_SERVICE_URL; unset = built-in templates
wait-timeout = 300            # seconds an execute?wait=true may wait

# -- safety policy
cost-limit = 10000            # USD per month, unless a task's requirements set cost_limit
production-requires-approval = true
approval-risk-threshold = "high"  # low|medium|high|critical
max-resources-per-minute = 120
execution-timeout = 3600      # seconds
cost-anomaly-factor = 1.5

# -- supervision
max-running-tasks = 64        # executions at once; more wait in the priority queue (0: no limit)
max-running-per-user = 32     # executions of one user at once (0: no limit)
max-pending-tasks = 20000     # created and not yet executed, in all; more creates get 429 (0: no limit)
max-pending-per-user = 2000   # of one user (0: no limit)
step-timeout = 600            # seconds one attempt of a step may take; then its actor is killed
step-attempts = 3             # attempts per step when failures are transient (1: no retry)
retry-base-ms = 200           # first retry backoff; doubles per attempt, with jitter
retry-max-ms = 5000           # longest retry backoff
approval-timeout = 86400      # seconds a plan may wait for approval; then its task ends cancelled

# -- logging
log-level = "info"            # trace|debug|info|warn|error|critical|off, env LOG_LEVEL
)";
}

}  // namespace ce::config
