// Load driver for a running core-engine (or, with --legacy, the original
// service): N clients, each on its own keep-alive connection, create a task and
// execute it synchronously, over and over; or, in the reads scenarios, read
// tasks. Prints throughput, latency percentiles, errors and, given the server's
// pid, the server's CPU time per completed task.
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
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "benchmarks/http_connection.hpp"
#include "messages/json_codec.hpp"

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
  /// identical: the same task every time; varied: distinct requirements per task (no cache
  /// or dedup helps); deploy: a deploy task through the simulated driver; reads: GET a task
  /// by id; list: GET /api/tasks with filters.
  std::string scenario = "identical";
  std::string type = "generate";
  std::string provider = "aws";
  std::string environment = "staging";
  std::vector<std::string> components{"vpc", "eks", "rds"};
  bool legacy = false;   // the original's API: create answers 200, execute is synchronous
  int server_pid = 0;    // > 0: report the server's CPU per completed task from /proc
  std::string json_out;  // a file to write the figures to as JSON
};

bool is_read_scenario(const options& opts) {
  return opts.scenario == "reads" || opts.scenario == "list";
}

/// utime + stime of a process in seconds, from /proc/PID/stat.
double process_cpu_seconds(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto end_of_name = text.rfind(')');  // the command name may hold spaces
  if (end_of_name == std::string::npos) return -1;
  std::istringstream fields(text.substr(end_of_name + 2));
  std::string field;
  double utime = 0, stime = 0;
  // Fields after the name start at 3 (state); utime and stime are 14 and 15.
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index == 14) utime = std::stod(field);
    if (index == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

/// What one client saw.
struct client_tally {
  std::vector<double> latencies_ms;           // of tasks that completed
  std::map<std::string, int> errors;          // "create HTTP 400", "connection", ...
  std::map<std::string, int> final_statuses;  // task status after execute?wait=true
};

/// The task body of the `n`th task. Varied tasks differ in their project name, network
/// and tags, so that no two render the same Terraform.
std::string task_body(const options& opts, int n) {
  json::array components;
  for (const auto& component : opts.components) components.emplace_back(component);
  json::object context{{"provider", opts.provider},
                       {"environment", opts.environment},
                       {"components", std::move(components)}};
  if (opts.scenario == "varied")
    context["requirements"] =
        json::object{{"project", "bench-" + std::to_string(n)},
                     {"vpc_cidr", "10." + std::to_string(n % 256) + ".0.0/16"},
                     {"tags", {{"run", std::to_string(n)}}}};
  json::object body{{"type", opts.scenario == "deploy" ? std::string("deploy") : opts.type},
                    {"user_id", "load-driver"},
                    {"context", std::move(context)}};
  return json::serialize(body);
}

/// The first string value of `key` in `body` after `after` (empty: from the start): a
/// cheap look-up, so that the driver spends little of the machine's CPU on parsing.
std::string string_after(const std::string& body, const std::string& after,
                         const std::string& key) {
  size_t from = after.empty() ? 0 : body.find(after);
  if (from == std::string::npos) return {};
  auto at = body.find("\"" + key + "\":\"", from);
  if (at == std::string::npos) return {};
  at += key.size() + 4;
  auto end = body.find('"', at);
  return end == std::string::npos ? std::string{} : body.substr(at, end - at);
}

/// Claims the next request's number; false once the run is over (its time or its count).
bool next_request(const options& opts, std::atomic<int>& next_task, clock_type::time_point stop_at,
                  int& n) {
  n = next_task.fetch_add(1);
  if (opts.duration_s > 0) return clock_type::now() < stop_at;
  return n < opts.tasks;
}

/// One client's loop: claim a task slot, create, execute synchronously, record.
void run_client(const options& opts, std::atomic<int>& next_task, clock_type::time_point stop_at,
                client_tally& tally) {
  http_connection conn(opts.host, opts.port);
  const int created_status = opts.legacy ? 200 : 201;
  const std::string execute_suffix = opts.legacy ? "/execute" : "/execute?wait=true";
  for (int n = 0; next_request(opts, next_task, stop_at, n);) {
    auto started = clock_type::now();
    auto created = conn.send(http::verb::post, "/api/tasks", task_body(opts, n));
    if (!created) {
      ++tally.errors["create: connection error"];
      continue;
    }
    if (created->first != created_status) {
      ++tally.errors["create: HTTP " + std::to_string(created->first)];
      continue;
    }
    auto task_id = string_after(created->second, "", "id");
    auto executed = conn.send(http::verb::post, "/api/tasks/" + task_id + execute_suffix, {});
    if (!executed) {
      ++tally.errors["execute: connection error"];
      continue;
    }
    if (executed->first != 200) {
      ++tally.errors["execute: HTTP " + std::to_string(executed->first)];
      continue;
    }
    auto status = string_after(executed->second, "\"task\":", "status");
    ++tally.final_statuses[status.empty() ? "(no status)" : status];
    if (status == "completed")
      tally.latencies_ms.push_back(
          std::chrono::duration<double, std::milli>(clock_type::now() - started).count());
  }
}

/// One reading client: GET a task by id (reads) or a filtered list (list) until the end.
void run_reader(const options& opts, const std::vector<std::string>& task_ids,
                std::atomic<int>& next_task, clock_type::time_point stop_at, client_tally& tally) {
  http_connection conn(opts.host, opts.port);
  for (int n = 0; next_request(opts, next_task, stop_at, n);) {
    auto target = opts.scenario == "reads"
                      ? "/api/tasks/" + task_ids[static_cast<size_t>(n) % task_ids.size()]
                      : std::string("/api/tasks?user_id=load-driver&status=completed&limit=20");
    auto started = clock_type::now();
    auto answer = conn.send(http::verb::get, target);
    if (!answer) {
      ++tally.errors["read: connection error"];
      continue;
    }
    if (answer->first != 200) {
      ++tally.errors["read: HTTP " + std::to_string(answer->first)];
      continue;
    }
    ++tally.final_statuses["200"];
    tally.latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(clock_type::now() - started).count());
  }
}

/// Tasks for the read scenarios to read: 100 identical tasks, run to completion.
std::vector<std::string> prepare_reads(const options& opts) {
  options setup = opts;
  setup.scenario = "identical";
  http_connection conn(opts.host, opts.port);
  std::vector<std::string> ids;
  for (int n = 0; n < 100; ++n) {
    auto created = conn.send(http::verb::post, "/api/tasks", task_body(setup, n));
    if (!created) continue;
    auto id = string_after(created->second, "", "id");
    conn.send(http::verb::post,
              "/api/tasks/" + id + (opts.legacy ? "/execute" : "/execute?wait=true"), {});
    ids.push_back(id);
  }
  return ids;
}

/// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size(), std::max<std::size_t>(rank, 1)) - 1];
}

int run(const options& opts) {
  std::vector<std::string> read_ids;
  if (is_read_scenario(opts)) {
    read_ids = prepare_reads(opts);
    if (read_ids.empty()) {
      std::fprintf(stderr, "no task could be created to read\n");
      return 1;
    }
  }
  std::vector<client_tally> tallies(static_cast<std::size_t>(opts.clients));
  std::vector<std::thread> threads;
  std::atomic<int> next_task{0};
  const double cpu_before = opts.server_pid > 0 ? process_cpu_seconds(opts.server_pid) : 0;
  auto started = clock_type::now();
  auto stop_at = started + std::chrono::duration_cast<clock_type::duration>(
                               std::chrono::duration<double>(opts.duration_s));
  for (auto& tally : tallies)
    threads.emplace_back([&, tally_ptr = &tally] {
      if (is_read_scenario(opts))
        run_reader(opts, read_ids, next_task, stop_at, *tally_ptr);
      else
        run_client(opts, next_task, stop_at, *tally_ptr);
    });
  for (auto& thread : threads) thread.join();
  double elapsed_s = std::chrono::duration<double>(clock_type::now() - started).count();
  const double cpu_s = opts.server_pid > 0 ? process_cpu_seconds(opts.server_pid) - cpu_before : -1;

  std::vector<double> latencies;
  std::map<std::string, int> errors;
  std::map<std::string, int> statuses;
  for (const auto& tally : tallies) {
    latencies.insert(latencies.end(), tally.latencies_ms.begin(), tally.latencies_ms.end());
    for (const auto& [what, count] : tally.errors) errors[what] += count;
    for (const auto& [status, count] : tally.final_statuses) statuses[status] += count;
  }
  std::sort(latencies.begin(), latencies.end());
  const double rate = static_cast<double>(latencies.size()) / elapsed_s;
  const double cpu_us_per_op =
      cpu_s >= 0 && !latencies.empty() ? cpu_s * 1e6 / static_cast<double>(latencies.size()) : -1;
  const char* unit = is_read_scenario(opts) ? "requests" : "tasks";

  std::string component_list;
  for (const auto& component : opts.components)
    component_list += (component_list.empty() ? "" : ",") + component;
  std::printf("target         %s:%u%s, %d clients, %s: %s %s %s [%s]\n", opts.host.c_str(),
              opts.port, opts.legacy ? " (legacy API)" : "", opts.clients, opts.scenario.c_str(),
              opts.scenario == "deploy" ? "deploy" : opts.type.c_str(), opts.provider.c_str(),
              opts.environment.c_str(), component_list.c_str());
  std::printf("completed      %zu %s in %.2f s = %.1f %s/s\n", latencies.size(), unit, elapsed_s,
              rate, unit);
  std::printf("latency ms     p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n", percentile(latencies, 50),
              percentile(latencies, 90), percentile(latencies, 99),
              latencies.empty() ? 0.0 : latencies.back());
  if (cpu_us_per_op >= 0)
    std::printf("server cpu     %.2f s in all = %.0f us per completed %s\n", cpu_s, cpu_us_per_op,
                is_read_scenario(opts) ? "request" : "task");
  std::printf("final status  ");
  for (const auto& [status, count] : statuses) std::printf(" %s %d", status.c_str(), count);
  std::printf("%s\n", statuses.empty() ? " (none)" : "");
  std::printf("errors        ");
  for (const auto& [what, count] : errors) std::printf(" [%s] %d", what.c_str(), count);
  std::printf("%s\n", errors.empty() ? " none" : "");

  if (!opts.json_out.empty()) {
    json::object figures{{"scenario", opts.scenario},
                         {"clients", opts.clients},
                         {"legacy", opts.legacy},
                         {"completed", latencies.size()},
                         {"seconds", elapsed_s},
                         {"per_second", rate},
                         {"p50_ms", percentile(latencies, 50)},
                         {"p90_ms", percentile(latencies, 90)},
                         {"p99_ms", percentile(latencies, 99)},
                         {"errors", static_cast<int64_t>(errors.size())}};
    if (cpu_us_per_op >= 0) figures["server_cpu_us_per_op"] = cpu_us_per_op;
    std::ofstream(opts.json_out) << codec::serialize(figures) << "\n";
  }
  const char* good = is_read_scenario(opts) ? "200" : "completed";
  bool all_good = errors.empty() && statuses.size() == 1 && statuses.count(good) == 1;
  return all_good ? 0 : 1;
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
  app.add_option("--scenario", opts.scenario,
                 "identical, varied (distinct requirements per task), deploy (simulated "
                 "driver), reads (GET a task by id) or list (GET /api/tasks with filters)")
      ->capture_default_str()
      ->check(CLI::IsMember({"identical", "varied", "deploy", "reads", "list"}));
  app.add_flag("--legacy", opts.legacy,
               "The original service's API: create answers 200, execute is synchronous");
  app.add_option("--server-pid", opts.server_pid,
                 "The server's pid: report its CPU time (utime + stime) per completed task")
      ->check(CLI::PositiveNumber);
  app.add_option("--json", opts.json_out, "Also write the figures to this file as JSON");
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
