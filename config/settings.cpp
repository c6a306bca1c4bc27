#include "config/settings.hpp"

#include <cstdlib>
#include <functional>
#include <optional>
#include <sstream>
#include <type_traits>
#include <utility>

#include <CLI/CLI.hpp>
#include <boost/asio/ip/address.hpp>

#include "config/tokens.hpp"

namespace ce::config {

namespace {

const char* real_getenv(const char* name) {
  return std::getenv(name);
}

// -- the table -------------------------------------------------------------

/// What is wrong with a value ("must be at least 1 second"), or nothing.
template <class T>
using rule = std::function<std::optional<std::string>(const T&)>;

/// One setting: its flag (and config key), environment variable, help, where
/// its value lives in `settings`, the rule its values obey, and how its default
/// is written into the config file. The table in `option_table()` is the only
/// place a setting is declared.
struct option_spec {
  std::string section;
  std::string name;  // "port": the flag --port and the config key port
  std::string env;   // empty: no environment variable
  std::string help;
  std::string example;  // written commented out when the default is empty
  bool is_list = false;
  std::function<void(CLI::App&, settings&)> declare;
  std::function<std::string(const settings&)> default_text;  // TOML, empty: none
  std::function<std::optional<std::string>(const settings&)> check;

  std::string flag() const { return "--" + name; }
  std::string help_with_env() const { return env.empty() ? help : help + " (env " + env + ")"; }
};

std::string toml_value(const std::string& v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}
std::string toml_value(bool v) {
  return v ? "true" : "false";
}
std::string toml_value(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}
template <class Int, class = std::enable_if_t<std::is_integral_v<Int>>>
std::string toml_value(Int v) {
  return std::to_string(v);
}
std::string toml_value(const std::vector<std::string>& list) {
  std::string out = "[";
  for (const auto& v : list) out += (out.size() > 1 ? ", " : "") + toml_value(v);
  return out + "]";
}
template <class T>
bool is_empty_value(const T& v) {
  if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::vector<std::string>>)
    return v.empty();
  else
    return false;
}

template <class T>
option_spec option(std::string section, std::string name, T settings::*field, std::string help,
                   rule<T> check = {}, std::string env = {}, std::string example = {}) {
  option_spec spec;
  spec.section = std::move(section);
  spec.name = std::move(name);
  spec.env = std::move(env);
  spec.help = std::move(help);
  spec.example = std::move(example);
  spec.is_list = std::is_same_v<T, std::vector<std::string>>;
  spec.declare = [field, flag = spec.flag(), help = spec.help_with_env()](CLI::App& app,
                                                                          settings& s) {
    auto* o = app.add_option(flag, s.*field, help)->capture_default_str();
    if constexpr (std::is_same_v<T, std::vector<std::string>>)
      o->delimiter(',');
    else
      o->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  };
  spec.default_text = [field](const settings& s) {
    return is_empty_value(s.*field) ? std::string{} : toml_value(s.*field);
  };
  if (check)
    spec.check = [field, check,
                  flag = spec.flag()](const settings& s) -> std::optional<std::string> {
      if (auto problem = check(s.*field)) return flag + " " + *problem;
      return std::nullopt;
    };
  return spec;
}

/// A switch that is off unless given (`--insecure`, or `insecure = true` in the file).
option_spec flag(std::string section, std::string name, bool settings::*field, std::string help) {
  auto spec = option<bool>(std::move(section), std::move(name), field, std::move(help));
  spec.declare = [field, flag = spec.flag(), help = spec.help](CLI::App& app, settings& s) {
    app.add_flag(flag, s.*field, help);
  };
  return spec;
}

template <class T>
std::string number_text(T v) {
  return toml_value(v);
}

template <class T>
rule<T> between(T low, T high) {
  return [=](const T& v) -> std::optional<std::string> {
    if (v >= low && v <= high) return std::nullopt;
    return "must be between " + number_text(low) + " and " + number_text(high);
  };
}

/// `unit` is singular ("second"); it takes an s unless the bound is 1.
template <class T>
rule<T> at_least(T low, std::string unit = {}) {
  return [=](const T& v) -> std::optional<std::string> {
    if (v >= low) return std::nullopt;
    auto text = "must be at least " + number_text(low);
    if (!unit.empty()) text += " " + unit + (low == 1 ? "" : "s");
    return text;
  };
}

template <class T>
rule<T> not_negative() {
  return [](const T& v) -> std::optional<std::string> {
    if (v >= 0) return std::nullopt;
    return std::string("must not be negative");
  };
}

template <class T>
rule<T> positive() {
  return [](const T& v) -> std::optional<std::string> {
    if (v > 0) return std::nullopt;
    return std::string("must be positive");
  };
}

rule<std::string> one_of(std::vector<std::string> allowed) {
  return [allowed](const std::string& v) -> std::optional<std::string> {
    for (const auto& a : allowed)
      if (v == a) return std::nullopt;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    return "must be one of " + list;
  };
}

rule<std::string> not_empty() {
  return [](const std::string& v) -> std::optional<std::string> {
    if (!v.empty()) return std::nullopt;
    return std::string("must not be empty");
  };
}

rule<std::string> empty_or_http_url() {
  return [](const std::string& v) -> std::optional<std::string> {
    if (v.empty() || v.rfind("http://", 0) == 0 || v.rfind("https://", 0) == 0) return std::nullopt;
    return std::string("must start with http:// or https://");
  };
}

const std::vector<option_spec>& option_table() {
  using s = settings;
  static const std::vector<option_spec> table = {
      // network
      option("network", "bind", &s::bind,
             "Address the HTTP and WebSocket listeners bind to; beyond loopback only with "
             "tokens or --insecure",
             not_empty(), "BIND"),
      flag("network", "insecure", &s::insecure,
           "Listen on a non-loopback --bind although no authentication is configured"),
      option("network", "port", &s::http_port, "HTTP port; 0 picks a free one", {}, "PORT"),
      option("network", "ws-port", &s::ws_port, "WebSocket port; 0 picks a free one", {},
             "WS_PORT"),
      option("network", "io-threads", &s::io_threads, "Threads serving HTTP/WebSocket I/O",
             between(1, 64)),
      option("network", "max-body-bytes", &s::max_body_bytes,
             "Largest request body accepted; larger ones get 413",
             between<std::size_t>(1024, 64u << 20)),
      flag("network", "legacy-api", &s::legacy_api,
           "Behave like the original service: handled errors answer HTTP 200 with "
           "success:false, execute is synchronous"),
      flag("network", "allow-fault-injection", &s::allow_fault_injection,
           "Accept requirements.simulate (crashes, pauses) from clients: for tests only"),
      option("network", "ws-queue-limit", &s::ws_queue_limit,
             "Frames a WebSocket client may lag behind before it is disconnected",
             between<std::size_t>(16, 1000000)),
      option("network", "ws-idle-timeout", &s::ws_idle_timeout_s,
             "Seconds of WebSocket silence before a ping (half) and a close (all)",
             at_least<int64_t>(2, "second")),
      option("network", "ws-close-grace", &s::ws_close_grace_s,
             "Seconds a lagging WebSocket client gets to read its overflow error",
             at_least<int64_t>(1, "second")),
      option("network", "ws-send-buffer", &s::ws_send_buffer_bytes,
             "Kernel send buffer per WebSocket connection in bytes; 0 = OS default",
             not_negative<int>()),
      // authentication
      option("authentication", "tokens", &s::tokens,
             "Accepted bearer tokens as USER:ROLE:SHA256 (from `core-engine token create`); "
             "repeat or separate with commas. None: no authentication, loopback only",
             {}, "CORE_ENGINE_TOKENS", "[\"alice:operator:<sha256 of alice's token>\"]"),
      option("authentication", "no-self-approval-in", &s::no_self_approval_in,
             "Environments where nobody may approve a plan of their own task"),
      // limits
      option("limits", "max-requests-per-token", &s::max_requests_per_token,
             "Requests per second one bearer token may make; more get 429 with Retry-After "
             "(0: no limit)",
             not_negative<double>()),
      option("limits", "max-requests-per-ip", &s::max_requests_per_ip,
             "Requests per second one client address may make; more get 429 with Retry-After "
             "(0: no limit)",
             not_negative<double>()),
      option("limits", "max-connections-per-ip", &s::max_connections_per_ip,
             "Open connections of one client address; more are answered 429 and closed "
             "(0: no limit)",
             not_negative<int64_t>()),
      option("limits", "max-connections", &s::max_connections,
             "Open connections in all; more are answered 503 and closed (0: no limit)",
             not_negative<int64_t>()),
      option("limits", "ws-message-rate", &s::ws_message_rate,
             "Messages per second one WebSocket client may send; more get an error frame "
             "(0: no limit)",
             not_negative<double>()),
      // storage
      option("storage", "data-dir", &s::data_dir, "Directory for generated artifacts and state",
             not_empty(), "DATA_DIR"),
      option("storage", "store", &s::store,
             "sqlite: durable store under --data-dir; memory: nothing survives a restart (for "
             "benchmarks and tests)",
             one_of({"sqlite", "memory"})),
      option("storage", "commit-batch", &s::commit_batch,
             "Group commit: most changes written in one transaction",
             between<std::size_t>(1, 100000)),
      option("storage", "commit-delay-us", &s::commit_delay_us,
             "Group commit: longest a change waits for its transaction, microseconds",
             between<int64_t>(0, 1000000)),
      option("storage", "auto-resume", &s::auto_resume,
             "Resume tasks a restart interrupted (true/false); when false, use "
             "POST /api/tasks/:id/resume"),
      option("storage", "retain-tasks", &s::retain_tasks,
             "Terminal tasks kept in memory; older ones are read from the store (sqlite only)",
             not_negative<int64_t>()),
      option("storage", "retain-age", &s::retain_age_s,
             "Seconds a terminal task stays in memory after it ended or was last read",
             not_negative<int64_t>()),
      option("storage", "retain-events", &s::retain_events,
             "Newest events kept in memory; older ones are read from the store (sqlite only)",
             not_negative<int64_t>()),
      // engine
      option("engine", "node-id", &s::node_id,
             "This node's name in ids and events; default: derived from the host name", {},
             "NODE_ID", "\"node-a\""),
      option("engine", "actor-threads", &s::actor_threads,
             "Actor scheduler threads; 0 = one per core", between(0, 256)),
      option("engine", "deployment-driver", &s::deployment_driver,
             "How deployment steps reach infrastructure; 'simulated' (the only built-in "
             "driver) touches no cloud",
             one_of({"simulated"})),
      option("engine", "generator-service-url", &s::generator_service_url,
             "Generator Service base URL; empty = the built-in templates", empty_or_http_url(),
             "GENERATOR_SERVICE_URL", "\"http://localhost:3003\""),
      option("engine", "generator-fallback", &s::generator_fallback,
             "After a failed Generator Service call: 'none' fails the step, 'builtin' uses the "
             "built-in generator and records that it did in the step's logs, outputs and events",
             one_of({"none", "builtin"})),
      option("engine", "generator-connect-timeout-ms", &s::generator_connect_timeout_ms,
             "Generator Service: longest TCP connect in ms", between<int64_t>(1, 600000)),
      option("engine", "generator-timeout-ms", &s::generator_timeout_ms,
             "Generator Service: longest attempt of a call in ms, connect included",
             between<int64_t>(1, 600000)),
      option("engine", "generator-attempts", &s::generator_attempts,
             "Generator Service: attempts per call on connection errors, timeouts, 5xx and 429 "
             "(other 4xx, success:false and malformed answers are not retried)",
             between(1, 20)),
      option("engine", "generator-backoff-ms", &s::generator_backoff_ms,
             "Generator Service: first retry backoff in ms; doubles per attempt, with jitter",
             between<int64_t>(1, 60000)),
      option("engine", "generator-backoff-max-ms", &s::generator_backoff_max_ms,
             "Generator Service: longest retry backoff in ms, from --generator-backoff-ms to "
             "600000"),
      option("engine", "generator-breaker-failures", &s::generator_breaker_failures,
             "Generator Service: failed attempts in a row that open the circuit breaker",
             at_least(1)),
      option("engine", "generator-breaker-cooldown-ms", &s::generator_breaker_cooldown_ms,
             "Generator Service: how long in ms an open breaker fails calls fast before it lets "
             "a probe through",
             at_least<int64_t>(1)),
      option("engine", "generator-max-connections", &s::generator_max_connections,
             "Generator Service: connections at once, kept alive and reused; more calls wait "
             "for one",
             between(1, 1024)),
      option("engine", "wait-timeout", &s::wait_timeout_s,
             "Longest time in seconds an execute?wait=true answer waits",
             at_least<int64_t>(1, "second")),
      // safety policy
      option("safety", "cost-limit", &s::cost_limit_usd,
             "Monthly cost limit in USD for a plan, unless its requirements set cost_limit",
             positive<double>()),
      option("safety", "production-requires-approval", &s::production_requires_approval,
             "Production plans wait for approval (true/false)"),
      option("safety", "approval-risk-threshold", &s::approval_risk_threshold,
             "Plans at or above this risk level wait for approval",
             one_of({"low", "medium", "high", "critical"})),
      option("safety", "max-resources-per-minute", &s::max_resources_per_minute,
             "During execution, more resources created per minute abort the task", at_least(1)),
      option("safety", "execution-timeout", &s::execution_timeout_s,
             "Seconds a task may execute before it is aborted", at_least<int64_t>(1, "second")),
      option("safety", "cost-anomaly-factor", &s::cost_anomaly_factor,
             "Post-execution: actual cost above estimate x factor is an anomaly", at_least(1.0)),
      // supervision
      option("supervision", "max-running-tasks", &s::max_running_tasks,
             "Executions at once; more wait in the priority queue (0: no limit)",
             not_negative<int64_t>()),
      option("supervision", "max-running-per-user", &s::max_running_per_user,
             "Executions of one user at once, so nobody starves the others (0: no limit)",
             not_negative<int64_t>()),
      option("supervision", "max-pending-tasks", &s::max_pending_tasks,
             "Tasks created and not yet executed, in all; more creates get 429 (0: no limit)",
             not_negative<int64_t>()),
      option("supervision", "max-pending-per-user", &s::max_pending_per_user,
             "Pending tasks of one user; more creates get 429 (0: no limit)",
             not_negative<int64_t>()),
      option("supervision", "step-timeout", &s::step_timeout_s,
             "Seconds one attempt of a step may take before its actor is killed",
             at_least<int64_t>(1, "second")),
      option("supervision", "step-attempts", &s::step_attempts,
             "Attempts per step when failures are transient (1: no retry)", between(1, 20)),
      option("supervision", "retry-base-ms", &s::retry_base_ms,
             "First retry backoff in ms; doubles per attempt, with jitter",
             between<int64_t>(1, 60000)),
      option("supervision", "retry-max-ms", &s::retry_max_ms,
             "Longest retry backoff in ms, from --retry-base-ms to 600000"),
      option("supervision", "approval-timeout", &s::approval_timeout_s,
             "Seconds a plan may wait for approval before its task ends cancelled",
             at_least<int64_t>(1, "second")),
      // logging
      option("logging", "log-level", &s::log_level, "Least severe log level written",
             one_of({"trace", "debug", "info", "warn", "error", "critical", "off"}), "LOG_LEVEL"),
      option("logging", "log-format", &s::log_format,
             "text: human-readable lines; json: one JSON object per line, with each "
             "request's method, route, status, duration and request id as keys",
             one_of({"text", "json"})),
  };
  return table;
}

/// Only this machine can reach the address: 127.0.0.0/8, ::1 or "localhost".
/// Anything else, a name included, may be reachable from outside.
bool is_loopback(const std::string& address) {
  if (address == "localhost") return true;
  boost::system::error_code ec;
  auto parsed = boost::asio::ip::make_address(address, ec);
  return !ec && parsed.is_loopback();
}

/// Every rule of the table, then the checks that involve more than one setting.
/// Every problem is reported, not just the first.
std::vector<std::string> validate(const settings& s) {
  std::vector<std::string> errors;
  for (const auto& spec : option_table())
    if (spec.check)
      if (auto problem = spec.check(s)) errors.push_back(*problem);
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
  if (s.retry_max_ms < s.retry_base_ms || s.retry_max_ms > 600000)
    errors.emplace_back("--retry-max-ms must be between --retry-base-ms and 600000");
  if (s.generator_backoff_max_ms < s.generator_backoff_ms || s.generator_backoff_max_ms > 600000)
    errors.emplace_back(
        "--generator-backoff-max-ms must be between --generator-backoff-ms and 600000");
  return errors;
}

/// Wraps `text` into comment lines of at most `width` characters.
std::string comment_lines(const std::string& text, std::size_t width = 88) {
  std::string out, line = "#";
  std::istringstream words(text);
  std::string word;
  while (words >> word) {
    if (line.size() + 1 + word.size() > width && line.size() > 1) {
      out += line + "\n";
      line = "#";
    }
    line += " " + word;
  }
  return out + line + "\n";
}

}  // namespace

load_result load(const std::vector<std::string>& args, const char* (*environ_lookup)(const char*)) {
  if (environ_lookup == nullptr) environ_lookup = real_getenv;
  load_result out;
  CLI::App app{"core-engine: plans, checks, executes and verifies infrastructure-generation tasks",
               "core-engine"};
  app.set_config("--config", "", "Read settings from this TOML file (key = value per line)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.allow_config_extras(false);  // a misspelt key in the file is an error, not ignored
  bool print_default_config = false;
  app.add_flag("--print-default-config", print_default_config,
               "Print the commented default config file (config/core-engine.toml) and exit");
  for (const auto& spec : option_table()) spec.declare(app, out.values);

  // Environment variables become leading arguments, so a flag given later wins
  // and both win over the config file (CLI11 fills from the file only what is
  // unset). A list is not merged across sources: a list given as flags
  // replaces the environment's. CLI11 wants argv in reverse order when given a vector.
  std::vector<std::string> argv;
  for (const auto& spec : option_table()) {
    if (spec.env.empty()) continue;
    const char* v = environ_lookup(spec.env.c_str());
    if (v == nullptr || *v == '\0') continue;
    bool given_as_flag = false;
    for (const auto& a : args) given_as_flag = given_as_flag || a.rfind(spec.flag(), 0) == 0;
    if (spec.is_list && given_as_flag) continue;
    argv.push_back(spec.flag() + "=" + v);
  }
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
  if (print_default_config) {
    out.should_exit = true;
    out.exit_code = 0;
    out.message = default_config_text();
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
  const settings defaults;
  std::string text =
      "# core-engine configuration. Every key is optional; the values shown are the\n"
      "# built-in defaults. Precedence: command-line flag > environment variable >\n"
      "# this file > default. Start with: core-engine --config config/core-engine.toml\n"
      "# Generated by `core-engine --print-default-config`; do not edit by hand.\n";
  std::string section;
  for (const auto& spec : option_table()) {
    if (spec.section != section) {
      section = spec.section;
      text += "\n# -- " + section + "\n";
    }
    text += "\n" + comment_lines(spec.help_with_env());
    auto value = spec.default_text(defaults);
    if (value.empty())
      text += "# " + spec.name + " = " + spec.example + "\n";
    else
      text += spec.name + " = " + value + "\n";
  }
  return text;
}

}  // namespace ce::config
