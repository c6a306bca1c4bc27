// Load driver for a running core-engine: N clients, each on its own keep-alive
// connection, create a task and execute it with ?wait=true, over and over.
// Prints throughput, latency percentiles of create + execute, and errors.
#include <CLI/CLI.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "benchmarks/http_connection.hpp"

namespace ce::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

/// What to run and against which server.
struct options {
  std::string host = "127.0.0.1";
  uint16_t port = 3004;
  int clients = 16;
  int tasks = 200;        // total tasks, used when duration_s is 0
  double duration_s = 0;  // > 0: run for this long instead of a task count
  std::string type = "generate";
  std::string provider = "aws";
  std::string environment = "staging";
  std::vector<std::string> components{"vpc", "eks", "rds"};
};

/// What one client saw.
struct client_tally {
  std::vector<double> latencies_ms;           // of tasks that completed
  std::map<std::string, int> errors;          // "create HTTP 400", "connection", ...
  std::map<std::string, int> final_statuses;  // task status after execute?wait=true
};

std::string task_body(const options& opts) {
  json::array components;
  for (const auto& component : opts.components) components.emplace_back(component);
  json::object body{{"type", opts.type},
                    {"user_id", "load-driver"},
                    {"context",
                     {{"provider", opts.provider},
                      {"environment", opts.environment},
                      {"components", std::move(components)}}}};
  return json::serialize(body);
}

/// The string at data.<path...> of an envelope, or "" when absent.
std::string data_string(const std::string& body, std::initializer_list<const char*> path) {
  boost::system::error_code ec;
  auto value = json::parse(body, ec);
  if (ec || !value.is_object()) return {};
  const json::value* at = value.as_object().if_contains("data");
  for (const char* key : path) {
    if (at == nullptr || !at->is_object()) return {};
    at = at->as_object().if_contains(key);
  }
  return at != nullptr && at->is_string() ? std::string(at->as_string()) : std::string{};
}

/// One client's loop: claim a task slot, create, execute with wait, record.
void run_client(const options& opts, const std::string& body, std::atomic<int>& next_task,
                clock_type::time_point stop_at, client_tally& tally) {
  http_connection conn(opts.host, opts.port);
  for (;;) {
    if (opts.duration_s > 0) {
      if (clock_type::now() >= stop_at) return;
    } else if (next_task.fetch_add(1) >= opts.tasks) {
      return;
    }
    auto started = clock_type::now();
    auto created = conn.send(http::verb::post, "/api/tasks", body);
    if (!created) {
      ++tally.errors["create: connection error"];
      continue;
    }
    if (created->first != 201) {
      ++tally.errors["create: HTTP " + std::to_string(created->first)];
      continue;
    }
    auto task_id = data_string(created->second, {"id"});
    auto executed = conn.send(http::verb::post, "/api/tasks/" + task_id + "/execute?wait=true", {});
    if (!executed) {
      ++tally.errors["execute: connection error"];
      continue;
    }
    if (executed->first != 200) {
      ++tally.errors["execute: HTTP " + std::to_string(executed->first)];
      continue;
    }
    auto status = data_string(executed->second, {"task", "status"});
    ++tally.final_statuses[status.empty() ? "(no status)" : status];
    if (status == "completed")
      tally.latencies_ms.push_back(
          std::chrono::duration<double, std::milli>(clock_type::now() - started).count());
  }
}

/// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size(), std::max<std::size_t>(rank, 1)) - 1];
}

int run(const options& opts) {
  auto body = task_body(opts);
  std::vector<client_tally> tallies(static_cast<std::size_t>(opts.clients));
  std::vector<std::thread> threads;
  std::atomic<int> next_task{0};
  auto started = clock_type::now();
  auto stop_at = started + std::chrono::duration_cast<clock_type::duration>(
                               std::chrono::duration<double>(opts.duration_s));
  for (auto& tally : tallies)
    threads.emplace_back(
        [&, tally_ptr = &tally] { run_client(opts, body, next_task, stop_at, *tally_ptr); });
  for (auto& thread : threads) thread.join();
  double elapsed_s = std::chrono::duration<double>(clock_type::now() - started).count();

  std::vector<double> latencies;
  std::map<std::string, int> errors;
  std::map<std::string, int> statuses;
  for (const auto& tally : tallies) {
    latencies.insert(latencies.end(), tally.latencies_ms.begin(), tally.latencies_ms.end());
    for (const auto& [what, count] : tally.errors) errors[what] += count;
    for (const auto& [status, count] : tally.final_statuses) statuses[status] += count;
  }
  std::sort(latencies.begin(), latencies.end());

  std::string component_list;
  for (const auto& component : opts.components)
    component_list += (component_list.empty() ? "" : ",") + component;
  std::printf("target         %s:%u, %d clients, %s %s %s [%s]\n", opts.host.c_str(), opts.port,
              opts.clients, opts.type.c_str(), opts.provider.c_str(), opts.environment.c_str(),
              component_list.c_str());
  std::printf("completed      %zu tasks in %.2f s = %.1f tasks/s\n", latencies.size(), elapsed_s,
              static_cast<double>(latencies.size()) / elapsed_s);
  std::printf(
      "latency ms     p50 %.1f  p90 %.1f  p99 %.1f  max %.1f  (create + execute?wait=true)\n",
      percentile(latencies, 50), percentile(latencies, 90), percentile(latencies, 99),
      latencies.empty() ? 0.0 : latencies.back());
  std::printf("final status  ");
  for (const auto& [status, count] : statuses) std::printf(" %s %d", status.c_str(), count);
  std::printf("%s\n", statuses.empty() ? " (none)" : "");
  std::printf("errors        ");
  for (const auto& [what, count] : errors) std::printf(" [%s] %d", what.c_str(), count);
  std::printf("%s\n", errors.empty() ? " none" : "");
  bool all_completed = errors.empty() && statuses.size() == 1 && statuses.count("completed") == 1;
  return all_completed ? 0 : 1;
}

}  // namespace
}  // namespace ce::bench

int main(int argc, char** argv) {
  ce::bench::options opts;
  CLI::App app{"Load driver for core-engine: create + execute?wait=true per task"};
  app.add_option("--host", opts.host, "Server address")->capture_default_str();
  app.add_option("--port", opts.port, "Server HTTP port")->capture_default_str();
  app.add_option("--clients", opts.clients, "Concurrent keep-alive connections")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  auto* tasks = app.add_option("--tasks", opts.tasks, "Total tasks to run")
                    ->capture_default_str()
                    ->check(CLI::PositiveNumber);
  app.add_option("--duration", opts.duration_s, "Run for this many seconds instead of --tasks")
      ->check(CLI::PositiveNumber)
      ->excludes(tasks);
  app.add_option("--type", opts.type, "Task type")->capture_default_str();
  app.add_option("--provider", opts.provider, "Cloud provider")->capture_default_str();
  app.add_option("--environment", opts.environment, "Environment (production waits for approval)")
      ->capture_default_str();
  app.add_option("--components", opts.components, "Components, comma separated")
      ->delimiter(',')
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return ce::bench::run(opts);
}
