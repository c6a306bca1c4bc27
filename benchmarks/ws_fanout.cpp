// WebSocket fan-out benchmark for a running core-engine: S subscribers, each
// subscribed to "*", while T tasks are created and executed by a few HTTP
// clients. Prints events delivered per second (summed over subscribers) and
// the p50/p99/max delay from an event's timestamp (server clock) to its
// arrival at a subscriber (same machine, so the same clock).
#include <CLI/CLI.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "benchmarks/http_connection.hpp"

namespace ce::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

/// What to run and against which server.
struct options {
  std::string host = "127.0.0.1";
  uint16_t port = 3004;  // HTTP
  uint16_t ws_port = 0;  // 0: the HTTP port's /ws
  int subscribers = 10;
  int tasks = 200;
  int clients = 4;  // HTTP clients creating and executing tasks
  std::string provider = "aws";
  std::vector<std::string> components{"vpc", "eks", "rds"};
  double deadline_s = 120;  // longest wait for the last event to reach every subscriber
  int io_threads = 2;       // threads reading the subscribers' connections
};

/// Epoch milliseconds of an ISO 8601 UTC timestamp with milliseconds
/// ("2026-11-27T14:34:16.533Z"); nothing when it has another shape.
std::optional<double> epoch_ms(const std::string& iso) {
  std::tm parts{};
  int millis = 0;
  if (std::sscanf(iso.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &parts.tm_year, &parts.tm_mon,
                  &parts.tm_mday, &parts.tm_hour, &parts.tm_min, &parts.tm_sec, &millis) != 7)
    return std::nullopt;
  parts.tm_year -= 1900;
  parts.tm_mon -= 1;
  return static_cast<double>(timegm(&parts)) * 1000.0 + millis;
}

double now_epoch_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Progress of all subscribers, guarded by one mutex.
struct shared_tally {
  std::mutex mutex;
  std::condition_variable changed;
  int subscribed = 0;
  int finished = 0;                     // reached the final seq, or failed
  std::map<std::string, int> failures;  // "slow_consumer", "read: ...", ...
  std::atomic<uint64_t> final_seq{0};   // 0 until the tasks are done
};

/// One subscriber: connect, subscribe "*", record every task_event until
/// it has seen final_seq.
class subscriber : public std::enable_shared_from_this<subscriber> {
 public:
  subscriber(asio::io_context& io, const options& opts, shared_tally& tally)
      : ws_(asio::make_strand(io)), opts_(opts), tally_(tally) {}

  /// Read once the I/O threads have stopped.
  const std::vector<double>& delays_ms() const { return delays_ms_; }
  uint64_t events() const { return events_; }

  void start() {
    auto port = opts_.ws_port != 0 ? opts_.ws_port : opts_.port;
    beast::get_lowest_layer(ws_).async_connect(
        tcp::endpoint(asio::ip::make_address(opts_.host), port),
        [self = shared_from_this()](beast::error_code ec) {
          if (ec) return (void)self->finish("connect: " + ec.message());
          self->ws_.async_handshake(self->opts_.host, "/ws", [self](beast::error_code ec) {
            if (ec) return (void)self->finish("handshake: " + ec.message());
            self->ws_.async_write(asio::buffer(subscribe_all),
                                  [self](beast::error_code ec, std::size_t) {
                                    if (ec) self->finish("subscribe: " + ec.message());
                                  });
            self->read();
          });
        });
  }

 private:
  static constexpr std::string_view subscribe_all = R"({"type":"subscribe","task_id":"*"})";

  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return (void)self->finish("read: " + ec.message());
      double arrived = now_epoch_ms();
      auto text = beast::buffers_to_string(self->buffer_.data());
      self->buffer_.consume(self->buffer_.size());
      if (self->on_message(text, arrived)) self->read();
    });
  }

  /// False once this subscriber is done.
  bool on_message(const std::string& text, double arrived_ms) {
    beast::error_code ec;
    auto message = json::parse(text, ec);
    if (ec || !message.is_object()) return finish("not JSON: " + text.substr(0, 80));
    const auto& object = message.as_object();
    auto* type_value = object.if_contains("type");
    if (type_value == nullptr || !type_value->is_string())
      return finish("no type: " + text.substr(0, 80));
    const auto& type = type_value->as_string();
    if (type == "subscribed") {
      std::lock_guard<std::mutex> lock(tally_.mutex);
      ++tally_.subscribed;
      tally_.changed.notify_all();
      return true;
    }
    if (type == "error") {
      auto* code = object.if_contains("code");
      return finish(code != nullptr && code->is_string() ? std::string(code->as_string())
                                                         : "error: " + text.substr(0, 80));
    }
    if (type != "task_event") return true;  // connected, pong
    const auto& event = object.at("event").as_object();
    last_seq_ = event.at("seq").to_number<uint64_t>();
    auto created = epoch_ms(std::string(event.at("timestamp").as_string()));
    ++events_;
    if (created) delays_ms_.push_back(arrived_ms - *created);
    auto final_seq = tally_.final_seq.load();
    if (final_seq != 0 && last_seq_ >= final_seq) return finish({});
    return true;
  }

  /// Records the end of this subscriber (a failure when `failure` is not
  /// empty) once; always false, to stop reading.
  bool finish(const std::string& failure) {
    if (done_) return false;
    done_ = true;
    std::lock_guard<std::mutex> lock(tally_.mutex);
    if (!failure.empty()) ++tally_.failures[failure];
    ++tally_.finished;
    tally_.changed.notify_all();
    return false;
  }

 public:
  /// Once final_seq is known: a subscriber already past it is done.
  void check_done(uint64_t final_seq) {
    asio::post(ws_.get_executor(), [self = shared_from_this(), final_seq] {
      if (self->last_seq_ >= final_seq) self->finish({});
    });
  }

 private:
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  const options& opts_;
  shared_tally& tally_;
  // The connection's strand only:
  uint64_t last_seq_ = 0;
  bool done_ = false;
  uint64_t events_ = 0;
  std::vector<double> delays_ms_;
};

/// The value at data.<path...> of an envelope, or null.
json::value data_at(const std::string& body, std::initializer_list<const char*> path) {
  beast::error_code ec;
  auto value = json::parse(body, ec);
  if (ec || !value.is_object()) return nullptr;
  const json::value* at = value.as_object().if_contains("data");
  for (const char* key : path) {
    if (at == nullptr || !at->is_object()) return nullptr;
    at = at->as_object().if_contains(key);
  }
  return at == nullptr ? json::value(nullptr) : *at;
}

/// Creates and executes (wait=true) opts.tasks tasks; returns error descriptions.
std::map<std::string, int> run_tasks(const options& opts) {
  json::array components;
  for (const auto& component : opts.components) components.emplace_back(component);
  auto body = json::serialize(json::object{
      {"type", "generate"},
      {"user_id", "ws-fanout"},
      {"context",
       {{"provider", opts.provider}, {"environment", "staging"}, {"components", components}}}});
  std::atomic<int> next{0};
  std::mutex mutex;
  std::map<std::string, int> errors;
  std::vector<std::thread> threads;
  for (int c = 0; c < opts.clients; ++c)
    threads.emplace_back([&] {
      http_connection conn(opts.host, opts.port);
      while (next.fetch_add(1) < opts.tasks) {
        std::string error;
        auto created = conn.send(http::verb::post, "/api/tasks", body);
        auto id = created ? data_at(created->second, {"id"}) : json::value(nullptr);
        if (!created || created->first != 201 || !id.is_string()) {
          error = created ? "create: HTTP " + std::to_string(created->first) : "create: transport";
        } else {
          auto done = conn.send(http::verb::post,
                                "/api/tasks/" + std::string(id.as_string()) + "/execute?wait=true");
          auto status = done ? data_at(done->second, {"task", "status"}) : json::value(nullptr);
          if (!done || done->first != 200 || !status.is_string() ||
              status.as_string() != "completed")
            error = done ? "execute: HTTP " + std::to_string(done->first) + " " +
                               (status.is_string() ? std::string(status.as_string()) : "")
                         : "execute: transport";
        }
        if (!error.empty()) {
          std::lock_guard<std::mutex> lock(mutex);
          ++errors[error];
        }
      }
    });
  for (auto& thread : threads) thread.join();
  return errors;
}

/// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size(), std::max<std::size_t>(rank, 1)) - 1];
}

int run(const options& opts) {
  asio::io_context io;
  shared_tally tally;
  std::vector<std::shared_ptr<subscriber>> subscribers;
  for (int i = 0; i < opts.subscribers; ++i) {
    subscribers.push_back(std::make_shared<subscriber>(io, opts, tally));
    subscribers.back()->start();
  }
  std::vector<std::thread> io_threads;
  for (int i = 0; i < opts.io_threads; ++i) io_threads.emplace_back([&] { io.run(); });
  auto deadline = std::chrono::duration<double>(opts.deadline_s);
  bool all_subscribed;
  {
    std::unique_lock<std::mutex> lock(tally.mutex);
    all_subscribed = tally.changed.wait_for(
        lock, deadline, [&] { return tally.subscribed + tally.finished >= opts.subscribers; });
  }

  auto started = clock_type::now();
  auto task_errors = all_subscribed ? run_tasks(opts) : std::map<std::string, int>{};
  double tasks_s = std::chrono::duration<double>(clock_type::now() - started).count();

  // The newest event once every task is done marks the end of the stream.
  http_connection conn(opts.host, opts.port);
  auto newest = conn.send(http::verb::get, "/api/events?limit=1");
  auto events = newest ? data_at(newest->second, {}) : json::value(nullptr);
  uint64_t final_seq = 0;
  if (events.is_array() && !events.as_array().empty())
    final_seq = events.as_array().front().at("seq").to_number<uint64_t>();
  tally.final_seq = final_seq;
  for (auto& s : subscribers) s->check_done(final_seq);
  bool all_done;
  {
    std::unique_lock<std::mutex> lock(tally.mutex);
    all_done = final_seq != 0 && tally.changed.wait_for(lock, deadline, [&] {
      return tally.finished >= opts.subscribers;
    });
  }
  double delivery_s = std::chrono::duration<double>(clock_type::now() - started).count();
  io.stop();
  for (auto& thread : io_threads) thread.join();

  std::vector<double> delays_ms;
  uint64_t delivered = 0;
  for (const auto& s : subscribers) {
    delays_ms.insert(delays_ms.end(), s->delays_ms().begin(), s->delays_ms().end());
    delivered += s->events();
  }
  std::sort(delays_ms.begin(), delays_ms.end());
  std::string component_list;
  for (const auto& component : opts.components)
    component_list += (component_list.empty() ? "" : ",") + component;
  std::printf(
      "target         %s:%u, %d subscribers to \"*\", %d tasks from %d HTTP clients "
      "(%s staging [%s])\n",
      opts.host.c_str(), opts.ws_port != 0 ? opts.ws_port : opts.port, opts.subscribers, opts.tasks,
      opts.clients, opts.provider.c_str(), component_list.c_str());
  std::printf("tasks          done in %.2f s = %.1f tasks/s\n", tasks_s,
              static_cast<double>(opts.tasks) / tasks_s);
  std::printf("delivered      %llu events in %.2f s = %.0f events/s (sum over subscribers)\n",
              static_cast<unsigned long long>(delivered), delivery_s,
              static_cast<double>(delivered) / delivery_s);
  std::printf("delay ms       p50 %.1f  p99 %.1f  max %.1f  (event timestamp -> arrival)\n",
              percentile(delays_ms, 50), percentile(delays_ms, 99),
              delays_ms.empty() ? 0.0 : delays_ms.back());
  std::printf("errors        ");
  for (const auto& [what, count] : task_errors) std::printf(" [%s] %d", what.c_str(), count);
  for (const auto& [what, count] : tally.failures)
    std::printf(" [subscriber %s] %d", what.c_str(), count);
  if (!all_subscribed) std::printf(" [not every subscriber subscribed]");
  if (!all_done) std::printf(" [not every subscriber reached the last event]");
  bool clean = task_errors.empty() && tally.failures.empty() && all_subscribed && all_done;
  std::printf("%s\n", clean ? " none" : "");
  return clean ? 0 : 1;
}

}  // namespace
}  // namespace ce::bench

int main(int argc, char** argv) {
  ce::bench::options opts;
  CLI::App app{"WebSocket fan-out benchmark for core-engine"};
  app.add_option("--host", opts.host, "Server address")->capture_default_str();
  app.add_option("--port", opts.port, "Server HTTP port")->capture_default_str();
  app.add_option("--ws-port", opts.ws_port, "WebSocket port (0: /ws on the HTTP port)")
      ->capture_default_str();
  app.add_option("--subscribers", opts.subscribers, "WebSocket subscribers to \"*\"")
      ->capture_default_str()
      ->check(CLI::Range(1, 20000));
  app.add_option("--tasks", opts.tasks, "Tasks to create and execute")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--clients", opts.clients, "HTTP clients running the tasks")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--provider", opts.provider, "Cloud provider")->capture_default_str();
  app.add_option("--components", opts.components, "Components, comma separated")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--deadline", opts.deadline_s, "Seconds to wait for subscribers")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--io-threads", opts.io_threads, "Threads reading the subscribers")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  CLI11_PARSE(app, argc, argv);
  return ce::bench::run(opts);
}
