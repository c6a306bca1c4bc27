#include "metrics/node_metrics.hpp"

#include <prometheus/text_serializer.h>

#include "metrics/process_stats.hpp"

namespace ce::metrics {

namespace {

namespace prom = prometheus;

// Bucket bounds in seconds (change sets for the batch size). HTTP answers range
// from a cached read (sub-millisecond) to execute?wait=true (seconds).
const prom::Histogram::BucketBoundaries http_buckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
// A step renders a file in about a millisecond; a deployment may take minutes.
const prom::Histogram::BucketBoundaries step_buckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120, 600};
// From creation to end: milliseconds when run at once, a day when waiting for approval.
const prom::Histogram::BucketBoundaries task_buckets = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 86400};
// One WAL fsync is about a millisecond on an SSD.
const prom::Histogram::BucketBoundaries commit_buckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};
const prom::Histogram::BucketBoundaries batch_buckets = {1,  2,   4,   8,   16,  32,
                                                         64, 128, 256, 512, 1024};

prom::MetricFamily gauge_family(std::string name, std::string help) {
  prom::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = prom::MetricType::Gauge;
  return f;
}

void add_sample(prom::MetricFamily& family, double value, std::string label_name = {},
                std::string label_value = {}) {
  prom::ClientMetric m;
  if (!label_name.empty()) m.label.push_back({std::move(label_name), std::move(label_value)});
  if (family.type == prom::MetricType::Counter)
    m.counter.value = value;
  else
    m.gauge.value = value;
  family.metric.push_back(std::move(m));
}

}  // namespace

node_metrics::node_metrics()
    : registry_(std::make_shared<prom::Registry>()),
      http_requests_(prom::BuildCounter()
                         .Name("core_engine_http_requests_total")
                         .Help("HTTP requests answered, by method, route template and status")
                         .Register(*registry_)),
      http_duration_(prom::BuildHistogram()
                         .Name("core_engine_http_request_duration_seconds")
                         .Help("Time from a request's arrival to its answer being handed to the "
                               "connection, by method and route template")
                         .Register(*registry_)),
      step_duration_(prom::BuildHistogram()
                         .Name("core_engine_step_duration_seconds")
                         .Help("Duration of plan steps, by action and outcome")
                         .Register(*registry_)),
      task_duration_(prom::BuildHistogram()
                         .Name("core_engine_task_duration_seconds")
                         .Help("Time from a task's creation to the end of its execution, by "
                               "type and final status")
                         .Register(*registry_)),
      commit_duration_(prom::BuildHistogram()
                           .Name("core_engine_store_commit_duration_seconds")
                           .Help("Time one group commit took, from handing the batch to the "
                                 "committer to its answer")
                           .Register(*registry_)
                           .Add({}, commit_buckets)),
      commit_batch_(prom::BuildHistogram()
                        .Name("core_engine_store_commit_batch_size")
                        .Help("Change sets written per transaction")
                        .Register(*registry_)
                        .Add({}, batch_buckets)),
      websocket_clients_(prom::BuildGauge()
                             .Name("core_engine_websocket_clients")
                             .Help("Open WebSocket connections")
                             .Register(*registry_)
                             .Add({})),
      slow_consumers_(prom::BuildCounter()
                          .Name("core_engine_websocket_slow_clients_dropped_total")
                          .Help("WebSocket clients disconnected because they could not keep up")
                          .Register(*registry_)
                          .Add({})) {}

void node_metrics::http_request(std::string_view method, std::string_view route, unsigned status,
                                double seconds) {
  prom::Counter* counter = nullptr;
  prom::Histogram* histogram = nullptr;
  {
    std::lock_guard<std::mutex> lock(series_mutex_);
    auto c = http_counters_.find(std::make_tuple(route.data(), method, status));
    if (c == http_counters_.end()) {
      auto& made = http_requests_.Add({{"method", std::string(method)},
                                       {"route", std::string(route)},
                                       {"status", std::to_string(status)}});
      c = http_counters_.emplace(http_key{route.data(), std::string(method), status}, &made).first;
    }
    counter = c->second;
    auto h = http_histograms_.find(std::make_tuple(route.data(), method));
    if (h == http_histograms_.end()) {
      auto& made = http_duration_.Add(
          {{"method", std::string(method)}, {"route", std::string(route)}}, http_buckets);
      h = http_histograms_.emplace(std::make_tuple(route.data(), std::string(method)), &made).first;
    }
    histogram = h->second;
  }
  counter->Increment();
  histogram->Observe(seconds);
}

void node_metrics::step_finished(std::string_view action, bool ok, int64_t duration_ms) {
  prom::Histogram* histogram = nullptr;
  {
    std::lock_guard<std::mutex> lock(series_mutex_);
    auto it = step_series_.find(std::make_tuple(action, ok));
    if (it == step_series_.end()) {
      auto& made = step_duration_.Add(
          {{"action", std::string(action)}, {"outcome", ok ? "success" : "failure"}}, step_buckets);
      it = step_series_.emplace(std::make_tuple(std::string(action), ok), &made).first;
    }
    histogram = it->second;
  }
  histogram->Observe(static_cast<double>(duration_ms) / 1000.0);
}

void node_metrics::task_finished(task_type type, task_status status, int64_t duration_ms) {
  prom::Histogram* histogram = nullptr;
  {
    std::lock_guard<std::mutex> lock(series_mutex_);
    auto key = std::make_pair(type, status);
    auto it = task_series_.find(key);
    if (it == task_series_.end()) {
      auto& made = task_duration_.Add(
          {{"type", std::string(to_string(type))}, {"status", std::string(to_string(status))}},
          task_buckets);
      it = task_series_.emplace(key, &made).first;
    }
    histogram = it->second;
  }
  histogram->Observe(static_cast<double>(duration_ms) / 1000.0);
}

void node_metrics::store_committed(std::size_t change_sets, double seconds) {
  commit_duration_.Observe(seconds);
  commit_batch_.Observe(static_cast<double>(change_sets));
}

void node_metrics::websocket_opened() {
  websocket_clients_.Increment();
}

void node_metrics::websocket_closed() {
  websocket_clients_.Decrement();
}

void node_metrics::slow_consumer_dropped() {
  slow_consumers_.Increment();
}

std::string node_metrics::exposition(const engine_statistics* figures,
                                     const generator_health* generator) const {
  auto families = registry_->Collect();
  if (generator) {
    // The client keeps its own counts; they are read here, at scrape time.
    auto breaker = gauge_family("core_engine_generator_breaker_state",
                                "Generator Service circuit breaker: 1 for the state it is in");
    for (const char* state : {"closed", "open", "half_open"})
      add_sample(breaker, generator->breaker == state ? 1.0 : 0.0, "state", state);
    auto latency = gauge_family("core_engine_generator_last_latency_seconds",
                                "Latency of the last answered Generator Service attempt");
    if (generator->last_latency_ms >= 0)
      add_sample(latency, static_cast<double>(generator->last_latency_ms) / 1000.0);
    families.push_back(std::move(breaker));
    families.push_back(std::move(latency));
    const std::pair<const char*, std::pair<const char*, uint64_t>> counts[] = {
        {"core_engine_generator_calls_total", {"Generator Service calls made", generator->calls}},
        {"core_engine_generator_attempts_total",
         {"Generator Service HTTP attempts, retries included", generator->attempts}},
        {"core_engine_generator_retries_total", {"Generator Service retries", generator->retries}},
        {"core_engine_generator_failures_total",
         {"Generator Service calls that failed after their retries", generator->failures}},
        {"core_engine_generator_short_circuited_total",
         {"Generator Service calls refused by the open breaker", generator->short_circuited}},
        {"core_engine_generator_connections_opened_total",
         {"TCP connections opened to the Generator Service", generator->connections_opened}},
    };
    for (const auto& [name, help_and_value] : counts) {
      auto family = gauge_family(name, help_and_value.first);
      family.type = prom::MetricType::Counter;
      add_sample(family, static_cast<double>(help_and_value.second));
      families.push_back(std::move(family));
    }
  }
  if (figures) {
    // Read from the engine at scrape time: nothing on the hot path keeps them.
    auto by_status = gauge_family("core_engine_tasks", "Tasks the node holds, by status");
    for (const auto& c : figures->by_status)
      add_sample(by_status, static_cast<double>(c.count), "status", c.name);
    auto by_type = gauge_family("core_engine_tasks_by_type", "Tasks the node holds, by type");
    for (const auto& c : figures->by_type)
      add_sample(by_type, static_cast<double>(c.count), "type", c.name);
    auto queue = gauge_family("core_engine_queue_depth",
                              "Executions waiting for a slot (tasks in status queued)");
    add_sample(queue, static_cast<double>(figures->queue_depth));
    auto running = gauge_family("core_engine_running_tasks", "Executions holding a slot");
    add_sample(running, static_cast<double>(figures->running_tasks));
    auto approvals =
        gauge_family("core_engine_approvals_waiting", "Plans waiting for a human's approval");
    add_sample(approvals, static_cast<double>(figures->awaiting_approval));
    auto unsaved = gauge_family("core_engine_store_unsaved_changes_total",
                                "Changes the store refused (each one stopped its task)");
    unsaved.type = prom::MetricType::Counter;
    add_sample(unsaved, static_cast<double>(figures->unsaved_changes));
    for (auto* f : {&by_status, &by_type, &queue, &running, &approvals, &unsaved})
      families.push_back(std::move(*f));
  }
  auto process = read_own_process_stats();
  auto cpu = gauge_family("process_cpu_seconds_total", "User and system CPU time spent in seconds");
  cpu.type = prom::MetricType::Counter;
  add_sample(cpu, process.cpu_seconds);
  auto resident = gauge_family("process_resident_memory_bytes", "Resident memory size in bytes");
  add_sample(resident, static_cast<double>(process.resident_bytes));
  auto virtual_memory =
      gauge_family("process_virtual_memory_bytes", "Virtual memory size in bytes");
  add_sample(virtual_memory, static_cast<double>(process.virtual_bytes));
  auto start = gauge_family("process_start_time_seconds",
                            "Start time of the process since the Unix epoch in seconds");
  add_sample(start, process.start_time_seconds);
  auto fds = gauge_family("process_open_fds", "Number of open file descriptors");
  add_sample(fds, static_cast<double>(process.open_fds));
  auto max_fds = gauge_family("process_max_fds", "Maximum number of open file descriptors");
  add_sample(max_fds, static_cast<double>(process.max_fds));
  for (auto* f : {&cpu, &resident, &virtual_memory, &start, &fds, &max_fds})
    families.push_back(std::move(*f));
  return prom::TextSerializer{}.Serialize(families);
}

}  // namespace ce::metrics
