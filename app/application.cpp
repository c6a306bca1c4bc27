#include "app/application.hpp"

#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "actors/engine/engine_actor.hpp"
#include "actors/events/event_bus.hpp"
#include "actors/events/event_log_actor.hpp"
#include "actors/executor/deployment_driver.hpp"
#include "actors/planner/catalog.hpp"
#include "actors/safety/safety_checks.hpp"
#include "actors/store/store_actor.hpp"
#include "actors/store/store_reader.hpp"
#include "logging/structured.hpp"
#include "messages/clock.hpp"
#include "messages/errors.hpp"
#include "messages/type_registry.hpp"
#include "net/generator_service.hpp"
#include "net/http_session.hpp"
#include "net/rest_api.hpp"

namespace ce::app {

namespace {

namespace fs = std::filesystem;

/// Lower-case host name reduced to [a-z0-9-], at most 24 characters.
std::string default_node_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) return "node";
  std::string id;
  for (const char* c = host; *c && id.size() < 24; ++c) {
    char ch = static_cast<char>(std::tolower(static_cast<unsigned char>(*c)));
    if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-') id.push_back(ch);
  }
  return id.empty() ? "node" : id;
}

/// Creates the data directory layout and proves it is writable; the artifacts root.
caf::expected<std::string> prepare_data_dir(const std::string& dir) {
  std::error_code ec;
  fs::path root = fs::absolute(dir, ec);
  if (ec)
    return make_error(errc::unavailable,
                      "data dir " + dir + " cannot be resolved: " + ec.message());
  if (fs::exists(root, ec) && !fs::is_directory(root, ec))
    return make_error(errc::unavailable,
                      "data dir " + root.string() + " exists but is not a directory");
  fs::create_directories(root / "artifacts", ec);
  if (ec)
    return make_error(errc::unavailable,
                      "data dir " + root.string() + " cannot be created: " + ec.message());
  auto probe = root / ".write-probe";
  {
    std::ofstream out(probe);
    if (!(out << "ok"))
      return make_error(errc::unavailable, "data dir " + root.string() + " is not writable");
  }
  fs::remove(probe, ec);
  return (root / "artifacts").string();
}

/// One process per data dir: a second one would corrupt the other's view.
/// The descriptor stays open (and the lock held) for the process's life.
caf::error lock_data_dir(const std::string& dir) {
  auto path = (fs::absolute(dir) / "core-engine.lock").string();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return make_error(errc::unavailable,
                      "cannot create the lock file " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return make_error(
        errc::unavailable,
        "data dir " + dir + " is in use by another core-engine process (" + path + " is locked)");
  }
  return caf::none;
}

/// Every connection is a descriptor: allow as many as the hard limit permits.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
    spdlog::warn("cannot raise the open-file limit to {}", limit.rlim_max);
}

safety::safety_policy policy_from(const config::settings& s) {
  safety::safety_policy p;
  p.cost_limit_usd = s.cost_limit_usd;
  p.production_requires_approval = s.production_requires_approval;
  severity threshold = severity::high;
  for (auto level : {severity::low, severity::medium, severity::high, severity::critical})
    if (to_string(level) == s.approval_risk_threshold) threshold = level;
  p.approval_risk_threshold = threshold;
  p.max_resources_per_minute = s.max_resources_per_minute;
  p.execution_timeout_s = s.execution_timeout_s;
  p.cost_anomaly_factor = s.cost_anomaly_factor;
  return p;
}

engine::engine_runtime runtime_from(const config::settings& s, const std::string& node_id,
                                    const std::string& artifacts_root) {
  engine::engine_runtime runtime;
  runtime.node_id = node_id;
  runtime.task.artifacts_root = artifacts_root;
  runtime.task.policy = policy_from(s);
  runtime.task.driver = s.deployment_driver;
  runtime.max_running = static_cast<std::size_t>(s.max_running_tasks);
  runtime.max_running_per_user = static_cast<std::size_t>(s.max_running_per_user);
  runtime.max_pending = static_cast<std::size_t>(s.max_pending_tasks);
  runtime.max_pending_per_user = static_cast<std::size_t>(s.max_pending_per_user);
  runtime.task.step_timeout = std::chrono::seconds(s.step_timeout_s);
  runtime.task.retry.max_attempts = s.step_attempts;
  runtime.task.retry.base_delay = std::chrono::milliseconds(s.retry_base_ms);
  runtime.task.retry.max_delay = std::chrono::milliseconds(s.retry_max_ms);
  runtime.task.approval_timeout = std::chrono::seconds(s.approval_timeout_s);
  runtime.auto_resume = s.auto_resume;
  runtime.no_self_approval_in = s.no_self_approval_in;
  runtime.keep.terminal_tasks = static_cast<std::size_t>(s.retain_tasks);
  runtime.keep.max_age_ms = s.retain_age_s * 1000;
  return runtime;
}

/// The configured tokens; the settings were checked when they were loaded.
std::shared_ptr<config::token_table> tokens_from(const config::settings& s) {
  auto tokens = std::make_shared<config::token_table>();
  for (const auto& text : s.tokens) {
    std::string why;
    if (auto entry = config::parse_token_entry(text, why))
      if (!tokens->add(*entry)) spdlog::warn("token of {} is configured twice", entry->user);
  }
  if (!tokens->empty()) spdlog::info("authentication: {} bearer tokens configured", tokens->size());
  return tokens;
}

}  // namespace

application::application(config::settings settings)
    : settings_(std::move(settings)), ioc_(settings_.io_threads) {}

application::~application() {
  stop();
}

void application::on_stop(std::string what, std::function<void()> undo) {
  stop_list_.emplace_back(std::move(what), std::move(undo));
}

void application::stop() {
  while (!stop_list_.empty()) {
    auto [what, undo] = std::move(stop_list_.back());
    stop_list_.pop_back();
    spdlog::debug("stopping {}", what);
    undo();
  }
}

caf::error application::check_environment() {
  auto logger = spdlog::stderr_color_mt("core-engine");
  logger->set_formatter(logging::make_formatter(
      settings_.log_format == "json" ? logging::log_format::json : logging::log_format::text));
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(settings_.log_level));
  raise_descriptor_limit();
  auto root = prepare_data_dir(settings_.data_dir);
  if (!root) return std::move(root.error());
  artifacts_root_ = std::move(*root);
  node_id_ = settings_.node_id.empty() ? default_node_id() : settings_.node_id;
  return lock_data_dir(settings_.data_dir);
}

caf::error application::open_store() {
  recovered_ = std::make_shared<store::recovered_state>();
  if (settings_.store != "sqlite") {
    spdlog::warn("store is memory-only: nothing survives a restart");
    return caf::none;
  }
  auto path = (fs::absolute(settings_.data_dir) / "core-engine.db").string();
  std::string error;
  writer_db_ = store::sqlite_store::open(path, error);
  if (writer_db_) reader_db_ = store::sqlite_store::open_reader(path, error);
  if (!writer_db_ || !reader_db_ ||
      !writer_db_->load(*recovered_, static_cast<std::size_t>(settings_.retain_events), now_ms(),
                        error))
    return make_error(errc::unavailable, error);
  uint64_t stored_tasks = 0;
  for (const auto& g : recovered_->totals.groups) stored_tasks += g.count;
  spdlog::info("store {}: {} tasks ({} active), {} events, last seq {}", path, stored_tasks,
               recovered_->active.size(), recovered_->totals.events, recovered_->last_seq);
  return caf::none;
}

void application::wire_up_actors() {
  register_message_types(actor_config_);
  if (settings_.actor_threads > 0)
    actor_config_.set("scheduler.max-threads", static_cast<size_t>(settings_.actor_threads));
  actor_config_.set("logger.console", caf::atom("none"));
  system_ = std::make_unique<caf::actor_system>(actor_config_);
  // Destroying the system waits for every actor: the last thing to undo. The
  // handles this node holds go first, so none outlives the system.
  on_stop("the actor system", [this] {
    http_listener_.reset();
    ws_listener_.reset();
    engine_ = engine_actor{};
    events_ = event_log_actor{};
    bus_ = event_bus_actor{};
    generator_actor_ = generator_actor{};
    generator_.reset();
    system_.reset();
  });
  auto stop_actor = [this](std::string what, caf::actor_addr who) {
    on_stop(std::move(what), [who] {
      if (auto handle = caf::actor_cast<caf::actor>(who))
        caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
    });
  };

  store::group_commit_options commit_options;
  commit_options.max_batch = settings_.commit_batch;
  commit_options.max_delay = std::chrono::microseconds(settings_.commit_delay_us);
  commit_options.metrics = metrics_;
  auto store_handle = system_->spawn(store::store_behavior, writer_db_, commit_options);
  writer_db_.reset();  // the store actor owns the connection now
  stop_actor("the store", store_handle.address());
  store_reader_actor reader;
  if (reader_db_) {
    reader = system_->spawn<caf::detached>(store::store_reader_behavior, reader_db_);
    stop_actor("the store reader", reader.address());
  }
  reader_db_.reset();

  bus_ = system_->spawn(events::event_bus_behavior);
  stop_actor("the event bus", bus_.address());
  events::event_log_start log_start;
  log_start.newest = std::move(recovered_->recent_events);
  log_start.stored = recovered_->totals.events;
  log_start.last_seq = recovered_->last_seq;
  log_start.window =
      reader ? static_cast<std::size_t>(std::max<int64_t>(settings_.retain_events, 1)) : 0;
  log_start.subscribe_unknown = settings_.legacy_api;
  events_ = system_->spawn(events::event_log_behavior, node_id_, bus_, store_handle, reader,
                           std::move(log_start));
  stop_actor("the event log", events_.address());
  auto runtime = runtime_from(settings_, node_id_, artifacts_root_);
  runtime.task.metrics = metrics_;
  if (!settings_.generator_service_url.empty()) {
    net::generator_client_options o;
    o.base_url = settings_.generator_service_url;
    o.connect_timeout = std::chrono::milliseconds(settings_.generator_connect_timeout_ms);
    o.attempt_timeout = std::chrono::milliseconds(settings_.generator_timeout_ms);
    o.max_attempts = settings_.generator_attempts;
    o.backoff_base = std::chrono::milliseconds(settings_.generator_backoff_ms);
    o.backoff_max = std::chrono::milliseconds(settings_.generator_backoff_max_ms);
    o.breaker_failures = settings_.generator_breaker_failures;
    o.breaker_cool_down = std::chrono::milliseconds(settings_.generator_breaker_cooldown_ms);
    o.max_connections = settings_.generator_max_connections;
    generator_ = std::make_shared<net::generator_client>(o);
    generator_actor_ = system_->spawn(net::generator_service_behavior, generator_);
    stop_actor("the generator service client", generator_actor_.address());
    runtime.task.generator.service = generator_actor_;
    runtime.task.generator.fallback_builtin = settings_.generator_fallback == "builtin";
    // The client gives up on its own after its attempts; a step waits a little longer,
    // so that the client's answer, not a request timeout, says what went wrong.
    runtime.task.generator.call_timeout =
        (o.attempt_timeout + o.backoff_max) * o.max_attempts + std::chrono::seconds(5);
    spdlog::info("generator service {} (fallback {})", o.base_url, settings_.generator_fallback);
  }
  engine_ = system_->spawn(engine::engine_behavior, events_, store_handle, reader,
                           std::move(runtime), recovered_);
  recovered_.reset();
  stop_actor("the engine", engine_.address());
}

caf::error application::start_listeners() {
  auto tokens = tokens_from(settings_);
  net::api_options options;
  options.tokens = tokens;
  if (settings_.max_requests_per_token > 0)
    options.per_token = std::make_shared<net::rate_limiter>(settings_.max_requests_per_token);
  if (settings_.max_requests_per_ip > 0)
    options.per_ip = std::make_shared<net::rate_limiter>(settings_.max_requests_per_ip);
  options.generator = generator_;
  options.generator_fallback_builtin = settings_.generator_fallback == "builtin";
  options.legacy = settings_.legacy_api;
  options.allow_fault_injection = settings_.allow_fault_injection;
  options.wait_timeout = std::chrono::seconds(settings_.wait_timeout_s);
  options.check_components = planner::check_components;
  options.safety_checks = safety::registered_checks();
  auto api =
      std::make_shared<const net::rest_api>(*system_, engine_, events_, bus_, options, metrics_);

  auto ws = std::make_shared<net::ws_context>();
  ws->log = events_;
  ws->tokens = tokens;
  ws->engine = engine_;
  ws->system = system_.get();
  ws->metrics = metrics_;
  ws->options.queue_limit = settings_.ws_queue_limit;
  ws->options.idle_timeout = std::chrono::seconds(settings_.ws_idle_timeout_s);
  ws->options.close_grace = std::chrono::seconds(settings_.ws_close_grace_s);
  ws->options.send_buffer_bytes = settings_.ws_send_buffer_bytes;
  ws->options.message_rate = settings_.ws_message_rate;

  std::shared_ptr<net::connection_limits> connections;
  if (settings_.max_connections_per_ip > 0 || settings_.max_connections > 0)
    connections = std::make_shared<net::connection_limits>(
        static_cast<std::size_t>(settings_.max_connections_per_ip),
        static_cast<std::size_t>(settings_.max_connections));
  try {
    auto address = net::asio::ip::make_address(settings_.bind);
    http_listener_ = std::make_shared<net::listener>(
        ioc_, net::tcp::endpoint{address, settings_.http_port},
        net::make_session_starter(api, ws, connections, settings_.max_body_bytes, false));
    ws_listener_ = std::make_shared<net::listener>(
        ioc_, net::tcp::endpoint{address, settings_.ws_port},
        net::make_session_starter(api, ws, connections, settings_.max_body_bytes, true));
  } catch (const std::exception& e) {
    return make_error(errc::unavailable, "cannot listen on " + settings_.bind + " (ports " +
                                             std::to_string(settings_.http_port) + " and " +
                                             std::to_string(settings_.ws_port) + "): " + e.what());
  }
  http_listener_->run();
  ws_listener_->run();
  on_stop("the listeners", [this] {
    http_listener_->stop();
    ws_listener_->stop();
  });
  return caf::none;
}

void application::serve() {
  net::asio::signal_set signals{ioc_, SIGINT, SIGTERM};
  signals.async_wait([this](net::beast::error_code, int signal) {
    spdlog::info("signal {} received, shutting down", signal);
    executor::interrupt_simulated_work();  // a hung step must not hold up the stop
    http_listener_->stop();
    ws_listener_->stop();
    ioc_.stop();  // idle keep-alive sessions are dropped
  });
  spdlog::info("node {} serving HTTP on {}:{} and WebSocket on {}:{}, data in {}", node_id_,
               settings_.bind, http_listener_->port(), settings_.bind, ws_listener_->port(),
               settings_.data_dir);
  // The one line on stdout: scripts and tests wait for it.
  std::cout << "core-engine listening http=" << settings_.bind << ":" << http_listener_->port()
            << " ws=" << settings_.bind << ":" << ws_listener_->port() << std::endl;
  std::vector<std::thread> io_threads;
  for (int i = 0; i < settings_.io_threads; ++i) io_threads.emplace_back([this] { ioc_.run(); });
  for (auto& t : io_threads) t.join();
}

int application::run() {
  // Nothing listens before the store was read: the node never serves an
  // empty state over existing data.
  caf::error failed = check_environment();
  if (!failed) failed = open_store();
  if (!failed) {
    wire_up_actors();
    failed = start_listeners();
  }
  if (failed) {
    spdlog::critical("{}", sentence_of(failed));
    stop();
    return 1;
  }
  serve();
  stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace ce::app
