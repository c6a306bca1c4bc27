// The node's Prometheus metrics: what the actors and the front-end count, and
// the exposition GET /metrics answers with.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "messages/generator.hpp"
#include "messages/metrics_sink.hpp"
#include "messages/protocol.hpp"

namespace ce::metrics {

/// Thread-safe. Every recording call costs a short lock-free or briefly locked
/// update; series are created on first use and then found without allocating.
class node_metrics final : public metrics_sink {
 public:
  node_metrics();

  void step_finished(std::string_view action, bool ok, int64_t duration_ms) override;
  void task_finished(task_type type, task_status status, int64_t duration_ms) override;
  void store_committed(std::size_t change_sets, double seconds) override;

  /// One HTTP request answered. `route` is a route template ("/api/tasks/:id") that
  /// lives as long as this object (the router's table), never the raw path.
  void http_request(std::string_view method, std::string_view route, unsigned status,
                    double seconds);
  void websocket_opened();
  void websocket_closed();
  /// A WebSocket client was cut off because it could not keep up.
  void slow_consumer_dropped();

  /// Prometheus text format: everything recorded, the engine's figures of now
  /// (`figures`; null: left out), the Generator Service client's health
  /// (`generator`; null: the built-in generator) and this process's memory,
  /// CPU and descriptors.
  std::string exposition(const engine_statistics* figures,
                         const generator_health* generator = nullptr) const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& http_requests_;
  prometheus::Family<prometheus::Histogram>& http_duration_;
  prometheus::Family<prometheus::Histogram>& step_duration_;
  prometheus::Family<prometheus::Histogram>& task_duration_;
  prometheus::Histogram& commit_duration_;
  prometheus::Histogram& commit_batch_;
  prometheus::Gauge& websocket_clients_;
  prometheus::Counter& slow_consumers_;

  // Series already created, found by key without building label maps. The
  // route is keyed by its text's address: it lives in the router's table.
  using http_key = std::tuple<const char*, std::string, unsigned>;
  mutable std::mutex series_mutex_;
  std::map<http_key, prometheus::Counter*, std::less<>> http_counters_;
  std::map<std::tuple<const char*, std::string>, prometheus::Histogram*, std::less<>>
      http_histograms_;
  std::map<std::tuple<std::string, bool>, prometheus::Histogram*, std::less<>> step_series_;
  std::map<std::pair<task_type, task_status>, prometheus::Histogram*> task_series_;
};

}  // namespace ce::metrics
