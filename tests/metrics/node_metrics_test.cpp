#include "metrics/node_metrics.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

using ce::metrics::node_metrics;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

}  // namespace

TEST_CASE("requests are counted by method, route template and status", "[metrics]") {
  node_metrics m;
  static const std::string route = "/api/tasks/:id";  // lives as long as the metrics
  m.http_request("GET", route, 200, 0.002);
  m.http_request("GET", route, 200, 0.004);
  m.http_request("GET", route, 404, 0.001);
  auto text = m.exposition(nullptr);
  CHECK(has_line(
      text,
      R"(core_engine_http_requests_total{method="GET",route="/api/tasks/:id",status="200"} 2)"));
  CHECK(has_line(
      text,
      R"(core_engine_http_requests_total{method="GET",route="/api/tasks/:id",status="404"} 1)"));
  CHECK(has_line(
      text,
      R"(core_engine_http_request_duration_seconds_count{method="GET",route="/api/tasks/:id"} 3)"));
  // 0.001 and 0.002 are at or below the 2.5 ms bucket; 0.004 is not.
  CHECK(has_line(
      text,
      R"(core_engine_http_request_duration_seconds_bucket{method="GET",route="/api/tasks/:id",le="0.0025"} 2)"));
}

TEST_CASE("steps, tasks and commits land in their histograms", "[metrics]") {
  node_metrics m;
  m.step_finished("generate_component", true, 3);
  m.step_finished("generate_component", false, 7);
  m.task_finished(ce::task_type::generate, ce::task_status::completed, 1500);
  m.store_committed(40, 0.0012);
  auto text = m.exposition(nullptr);
  CHECK(has_line(
      text,
      R"(core_engine_step_duration_seconds_count{action="generate_component",outcome="success"} 1)"));
  CHECK(has_line(
      text,
      R"(core_engine_step_duration_seconds_sum{action="generate_component",outcome="failure"} 0.007)"));
  CHECK(has_line(
      text, R"(core_engine_task_duration_seconds_sum{status="completed",type="generate"} 1.5)"));
  CHECK(has_line(text, "core_engine_store_commit_batch_size_sum 40"));
  CHECK(has_line(text, "core_engine_store_commit_duration_seconds_count 1"));
}

TEST_CASE("engine figures are exposed as gauges at scrape time", "[metrics]") {
  node_metrics m;
  ce::engine_statistics s;
  s.by_status = {{"completed", 7}, {"awaiting_approval", 2}};
  s.by_type = {{"generate", 9}};
  s.queue_depth = 3;
  s.running_tasks = 4;
  s.awaiting_approval = 2;
  s.unsaved_changes = 1;
  auto text = m.exposition(&s);
  CHECK(has_line(text, R"(core_engine_tasks{status="completed"} 7)"));
  CHECK(has_line(text, R"(core_engine_tasks_by_type{type="generate"} 9)"));
  CHECK(has_line(text, "core_engine_queue_depth 3"));
  CHECK(has_line(text, "core_engine_running_tasks 4"));
  CHECK(has_line(text, "core_engine_approvals_waiting 2"));
  CHECK(has_line(text, "core_engine_store_unsaved_changes_total 1"));
  // Without figures (the engine did not answer) the rest is still served.
  auto without = m.exposition(nullptr);
  CHECK(without.find("core_engine_queue_depth") == std::string::npos);
  CHECK(without.find("process_resident_memory_bytes") != std::string::npos);
}

TEST_CASE("websocket clients go up and down and slow ones are counted", "[metrics]") {
  node_metrics m;
  m.websocket_opened();
  m.websocket_opened();
  m.websocket_closed();
  m.slow_consumer_dropped();
  auto text = m.exposition(nullptr);
  CHECK(has_line(text, "core_engine_websocket_clients 1"));
  CHECK(has_line(text, "core_engine_websocket_slow_clients_dropped_total 1"));
}

TEST_CASE("recording from many threads loses nothing", "[metrics]") {
  node_metrics m;
  static const std::string route = "/api/tasks";
  constexpr int threads = 4, per_thread = 10000;  // enough to interleave on any machine
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) m.http_request("POST", route, 201, 0.001);
    });
  for (auto& w : workers) w.join();
  CHECK(has_line(
      m.exposition(nullptr),
      R"(core_engine_http_requests_total{method="POST",route="/api/tasks",status="201"} 40000)"));
}

TEST_CASE("the Generator Service's breaker and counts are exposed when it is used",
          "[metrics][generator]") {
  node_metrics m;
  CHECK(m.exposition(nullptr).find("core_engine_generator") == std::string::npos);
  ce::generator_health h;
  h.breaker = "open";
  h.calls = 12;
  h.retries = 3;
  h.connections_opened = 2;
  h.last_latency_ms = 250;
  auto text = m.exposition(nullptr, &h);
  CHECK(has_line(text, R"(core_engine_generator_breaker_state{state="open"} 1)"));
  CHECK(has_line(text, R"(core_engine_generator_breaker_state{state="closed"} 0)"));
  CHECK(has_line(text, "core_engine_generator_calls_total 12"));
  CHECK(has_line(text, "core_engine_generator_retries_total 3"));
  CHECK(has_line(text, "core_engine_generator_connections_opened_total 2"));
  CHECK(has_line(text, "core_engine_generator_last_latency_seconds 0.25"));
}
