// A whole core-engine node, assembled in the order it starts:
//   check_environment()  logging, descriptor limit, data dir and its lock
//   open_store()         SQLite opened and read before anything listens
//   wire_up_actors()     the actor system, store, event log and bus, engine
//   start_listeners()    the REST API and the HTTP and WebSocket listeners
// and stopped by one stop list, run in reverse. Each step that starts
// something pushes what undoes it onto that list.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>

#include "actors/store/sqlite_store.hpp"
#include "config/settings.hpp"
#include "messages/interfaces.hpp"
#include "metrics/node_metrics.hpp"
#include "net/beast.hpp"
#include "net/generator_client.hpp"
#include "net/listener.hpp"

namespace ce::app {

class application {
 public:
  explicit application(config::settings settings);
  ~application();
  application(const application&) = delete;
  application& operator=(const application&) = delete;

  /// Starts the node, serves until SIGINT or SIGTERM, stops it. The exit code.
  int run();

 private:
  caf::error check_environment();
  caf::error open_store();
  void wire_up_actors();
  caf::error start_listeners();
  void serve();
  /// Runs the stop list in reverse, once.
  void stop();

  /// What undoes a step, named for the log.
  void on_stop(std::string what, std::function<void()> undo);

  config::settings settings_;
  std::string node_id_;
  std::string artifacts_root_;
  std::vector<std::pair<std::string, std::function<void()>>> stop_list_;

  // Read by open_store, handed to the actors by wire_up_actors.
  std::shared_ptr<store::sqlite_store> writer_db_, reader_db_;
  std::shared_ptr<store::recovered_state> recovered_;

  // What the actors and the front-end count, and /metrics exposes.
  std::shared_ptr<metrics::node_metrics> metrics_ = std::make_shared<metrics::node_metrics>();

  // The io_context outlives the actor system: actors may still hold callbacks
  // that own sessions when the system shuts down.
  net::asio::io_context ioc_;
  caf::actor_system_config actor_config_;
  std::unique_ptr<caf::actor_system> system_;
  engine_actor engine_;
  event_log_actor events_;
  event_bus_actor bus_;
  // The Generator Service when configured: a libcurl client on its own thread, and the
  // actor steps ask. Null: the built-in generator.
  std::shared_ptr<net::generator_client> generator_;
  generator_actor generator_actor_;
  std::shared_ptr<net::listener> http_listener_, ws_listener_;
};

}  // namespace ce::app
