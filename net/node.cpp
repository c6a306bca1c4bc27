#include "net/node.hpp"

#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/all.hpp>

#include "actors/engine/engine_actor.hpp"
#include "actors/events/event_bus.hpp"
#include "actors/events/event_log_actor.hpp"
#include "actors/executor/deployment_driver.hpp"
#include "actors/store/store_actor.hpp"
#include "actors/store/store_reader.hpp"
#include "messages/clock.hpp"
#include "messages/type_registry.hpp"
#include "net/http_session.hpp"
#include "net/listener.hpp"
#include "net/rest_api.hpp"

namespace ce::net {

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

/// Creates the data directory layout and proves it is writable.
bool prepare_data_dir(const std::string& dir, std::string& artifacts_root, std::string& error) {
  std::error_code ec;
  fs::path root = fs::absolute(dir, ec);
  if (ec) {
    error = "data dir " + dir + " cannot be resolved: " + ec.message();
    return false;
  }
  if (fs::exists(root, ec) && !fs::is_directory(root, ec)) {
    error = "data dir " + root.string() + " exists but is not a directory";
    return false;
  }
  fs::create_directories(root / "artifacts", ec);
  if (ec) {
    error = "data dir " + root.string() + " cannot be created: " + ec.message();
    return false;
  }
  auto probe = root / ".write-probe";
  {
    std::ofstream out(probe);
    if (!(out << "ok")) {
      error = "data dir " + root.string() + " is not writable";
      return false;
    }
  }
  fs::remove(probe, ec);
  artifacts_root = (root / "artifacts").string();
  return true;
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

/// One process per data dir: a second one would corrupt the other's view.
/// The descriptor stays open (and the lock held) for the process's life.
bool lock_data_dir(const std::string& dir, std::string& error) {
  auto path = (fs::absolute(dir) / "core-engine.lock").string();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "cannot create the lock file " + path + ": " + std::strerror(errno);
    return false;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    error =
        "data dir " + dir + " is in use by another core-engine process (" + path + " is locked)";
    ::close(fd);
    return false;
  }
  return true;
}

/// Every connection is a descriptor: allow as many as the hard limit permits.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
    spdlog::warn("cannot raise the open-file limit to {}", limit.rlim_max);
}

}  // namespace

int run_node(const config::settings& settings) {
  auto logger = spdlog::stderr_color_mt("core-engine");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(settings.log_level));

  raise_descriptor_limit();
  std::string artifacts_root, error;
  if (!prepare_data_dir(settings.data_dir, artifacts_root, error) ||
      !lock_data_dir(settings.data_dir, error)) {
    spdlog::critical("{}", error);
    return 1;
  }
  // Open and read the store before anything listens: the node never serves
  // an empty state over existing data.
  std::shared_ptr<store::sqlite_store> db, reader_db;
  auto recovered = std::make_shared<store::recovered_state>();
  if (settings.store == "sqlite") {
    auto path = (fs::absolute(settings.data_dir) / "core-engine.db").string();
    db = store::sqlite_store::open(path, error);
    if (db) reader_db = store::sqlite_store::open_reader(path, error);
    if (!db || !reader_db ||
        !db->load(*recovered, static_cast<std::size_t>(settings.retain_events), now_ms(), error)) {
      spdlog::critical("{}", error);
      return 1;
    }
    uint64_t stored_tasks = 0;
    for (const auto& g : recovered->totals.groups) stored_tasks += g.count;
    spdlog::info("store {}: {} tasks ({} active), {} events, last seq {}", path, stored_tasks,
                 recovered->active.size(), recovered->totals.events, recovered->last_seq);
  } else {
    spdlog::warn("store is memory-only: nothing survives a restart");
  }

  // The io_context outlives the actor system: actors may still hold callbacks
  // that own sessions when the system shuts down.
  asio::io_context ioc{settings.io_threads};
  caf::actor_system_config cfg;
  register_message_types(cfg);
  if (settings.actor_threads > 0)
    cfg.set("scheduler.max-threads", static_cast<size_t>(settings.actor_threads));
  cfg.set("logger.console", caf::atom("none"));
  caf::actor_system system{cfg};

  std::string node_id = settings.node_id.empty() ? default_node_id() : settings.node_id;
  store::group_commit_options commit_options;
  commit_options.max_batch = settings.commit_batch;
  commit_options.max_delay = std::chrono::microseconds(settings.commit_delay_us);
  auto store_handle = system.spawn(store::store_behavior, db, commit_options);
  db.reset();  // the store actor owns the connection now
  store_reader_actor reader;
  if (reader_db) reader = system.spawn<caf::detached>(store::store_reader_behavior, reader_db);
  reader_db.reset();
  auto bus = system.spawn(events::event_bus_behavior);
  events::event_log_start log_start;
  log_start.newest = std::move(recovered->recent_events);
  log_start.stored = recovered->totals.events;
  log_start.last_seq = recovered->last_seq;
  log_start.window =
      reader ? static_cast<std::size_t>(std::max<int64_t>(settings.retain_events, 1)) : 0;
  log_start.subscribe_unknown = settings.legacy_api;
  auto events = system.spawn(events::event_log_behavior, node_id, bus, store_handle, reader,
                             std::move(log_start));
  engine::engine_runtime runtime;
  runtime.node_id = node_id;
  runtime.task.artifacts_root = artifacts_root;
  runtime.task.policy = policy_from(settings);
  runtime.task.driver = settings.deployment_driver;
  runtime.max_running = static_cast<std::size_t>(settings.max_running_tasks);
  runtime.max_running_per_user = static_cast<std::size_t>(settings.max_running_per_user);
  runtime.max_pending = static_cast<std::size_t>(settings.max_pending_tasks);
  runtime.max_pending_per_user = static_cast<std::size_t>(settings.max_pending_per_user);
  runtime.task.step_timeout = std::chrono::seconds(settings.step_timeout_s);
  runtime.task.retry.max_attempts = settings.step_attempts;
  runtime.task.retry.base_delay = std::chrono::milliseconds(settings.retry_base_ms);
  runtime.task.retry.max_delay = std::chrono::milliseconds(settings.retry_max_ms);
  runtime.task.approval_timeout = std::chrono::seconds(settings.approval_timeout_s);
  runtime.auto_resume = settings.auto_resume;
  runtime.no_self_approval_in = settings.no_self_approval_in;
  runtime.keep.terminal_tasks = static_cast<std::size_t>(settings.retain_tasks);
  runtime.keep.max_age_ms = settings.retain_age_s * 1000;
  auto engine =
      system.spawn(engine::engine_behavior, events, store_handle, reader, runtime, recovered);
  recovered.reset();

  // Only the hashes are configured; the settings were checked at load.
  auto tokens = std::make_shared<config::token_table>();
  for (const auto& text : settings.tokens) {
    std::string why;
    if (auto entry = config::parse_token_entry(text, why))
      if (!tokens->add(*entry)) spdlog::warn("token of {} is configured twice", entry->user);
  }
  if (!tokens->empty()) spdlog::info("authentication: {} bearer tokens configured", tokens->size());
  api_options options;
  options.tokens = tokens;
  if (settings.max_requests_per_token > 0)
    options.per_token = std::make_shared<rate_limiter>(settings.max_requests_per_token);
  if (settings.max_requests_per_ip > 0)
    options.per_ip = std::make_shared<rate_limiter>(settings.max_requests_per_ip);
  options.legacy = settings.legacy_api;
  options.allow_fault_injection = settings.allow_fault_injection;
  options.wait_timeout = std::chrono::seconds(settings.wait_timeout_s);
  auto api = std::make_shared<const rest_api>(system, engine, events, bus, options);
  auto ws = std::make_shared<ws_context>();
  ws->log = events;
  ws->tokens = tokens;
  ws->engine = engine;
  ws->system = &system;
  ws->options.queue_limit = settings.ws_queue_limit;
  ws->options.idle_timeout = std::chrono::seconds(settings.ws_idle_timeout_s);
  ws->options.close_grace = std::chrono::seconds(settings.ws_close_grace_s);
  ws->options.send_buffer_bytes = settings.ws_send_buffer_bytes;
  ws->options.message_rate = settings.ws_message_rate;
  auto connections =
      std::make_shared<connection_limits>(static_cast<std::size_t>(settings.max_connections_per_ip),
                                          static_cast<std::size_t>(settings.max_connections));
  bool limit_connections = settings.max_connections_per_ip > 0 || settings.max_connections > 0;
  auto session_starter = [api, ws, connections, limit_connections,
                          max_body = settings.max_body_bytes](bool websocket_any_path) {
    return [=](tcp::socket&& socket) {
      admission admitted;
      if (limit_connections) {
        beast::error_code ec;
        auto address = socket.remote_endpoint(ec).address().to_string();
        bool node_full = false;
        admitted.slot = connections->admit(address, admitted.refusal, node_full);
        // A full node is unavailable (503); an address over its share asks too much (429).
        if (!admitted.slot && node_full) admitted.status = http::status::service_unavailable;
      }
      std::make_shared<http_session>(std::move(socket), api, ws, max_body, websocket_any_path,
                                     std::move(admitted))
          ->run();
    };
  };

  std::shared_ptr<listener> http_listener, ws_listener;
  try {
    auto address = asio::ip::make_address(settings.bind);
    http_listener = std::make_shared<listener>(ioc, tcp::endpoint{address, settings.http_port},
                                               session_starter(false));
    ws_listener = std::make_shared<listener>(ioc, tcp::endpoint{address, settings.ws_port},
                                             session_starter(true));
  } catch (const std::exception& e) {
    spdlog::critical("cannot listen on {} (ports {} and {}): {}", settings.bind, settings.http_port,
                     settings.ws_port, e.what());
    caf::anon_send_exit(engine, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(events, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(bus, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(store_handle, caf::exit_reason::user_shutdown);
    if (reader) caf::anon_send_exit(reader, caf::exit_reason::user_shutdown);
    return 1;
  }
  http_listener->run();
  ws_listener->run();

  asio::signal_set signals{ioc, SIGINT, SIGTERM};
  signals.async_wait([&](beast::error_code, int signal) {
    spdlog::info("signal {} received, shutting down", signal);
    executor::interrupt_simulated_work();  // a hung step must not hold up the stop
    http_listener->stop();
    ws_listener->stop();
    ioc.stop();  // idle keep-alive sessions are dropped
  });

  spdlog::info("node {} serving HTTP on {}:{} and WebSocket on {}:{}, data in {}", node_id,
               settings.bind, http_listener->port(), settings.bind, ws_listener->port(),
               settings.data_dir);
  // The one line on stdout: scripts and tests wait for it.
  std::cout << "core-engine listening http=" << settings.bind << ":" << http_listener->port()
            << " ws=" << settings.bind << ":" << ws_listener->port() << std::endl;

  std::vector<std::thread> io_threads;
  for (int i = 0; i < settings.io_threads; ++i) io_threads.emplace_back([&ioc] { ioc.run(); });
  for (auto& t : io_threads) t.join();

  caf::anon_send_exit(engine, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(events, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(bus, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(store_handle, caf::exit_reason::user_shutdown);
  if (reader) caf::anon_send_exit(reader, caf::exit_reason::user_shutdown);
  spdlog::info("stopped");
  return 0;
}

}  // namespace ce::net
