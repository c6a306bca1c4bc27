#include "net/generator_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <list>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "messages/backoff.hpp"
#include "messages/clock.hpp"
#include "net/circuit_breaker.hpp"

namespace ce::net {

namespace {

namespace json = boost::json;
using clock = std::chrono::steady_clock;

/// curl_global_init is not thread-safe: done once, before the first client exists.
void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t append_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

/// The first bytes of an answer, for error messages.
std::string excerpt(const std::string& body) {
  constexpr size_t limit = 200;
  return body.size() <= limit ? body : body.substr(0, limit) + "...";
}

}  // namespace

/// One call with its attempts.
struct pending_call {
  generator_request request;
  generator_client::callback done;
  int attempts = 0;
  clock::time_point due{};              // when the next attempt may start
  clock::time_point attempt_started{};  // of the running attempt
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string response;
  char curl_error[CURL_ERROR_SIZE] = {};
};

struct generator_client::impl {
  explicit impl(const generator_client_options& o)
      : options(o), breaker(o.breaker_failures, o.breaker_cool_down), rng(std::random_device{}()) {
    health.url = o.base_url;
    multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, options.max_connections);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, options.max_connections);
    thread = std::thread([this] { run(); });
  }

  ~impl() {
    stopping = true;
    curl_multi_wakeup(multi);
    thread.join();
    curl_multi_cleanup(multi);
  }

  void submit(generator_request request, callback done) {
    auto call = std::make_unique<pending_call>();
    call->request = std::move(request);
    call->done = std::move(done);
    {
      std::lock_guard<std::mutex> guard(queue_mutex);
      submitted.push_back(std::move(call));
    }
    curl_multi_wakeup(multi);
  }

  generator_health snapshot() const {
    std::lock_guard<std::mutex> guard(health_mutex);
    auto h = health;
    h.breaker = std::string(to_string(breaker_state));
    // An open breaker past its cool-down lets the next call through as a probe.
    if (breaker_state == circuit_breaker::state::open && clock::now() >= reopens_at)
      h.breaker = "half_open";
    return h;
  }

  // ---- the client's thread ----------------------------------------------------------

  void run() {
    while (!stopping) {
      take_submitted();
      start_due_attempts();
      int running = 0;
      curl_multi_perform(multi, &running);
      collect_finished();
      curl_multi_poll(multi, nullptr, 0, poll_timeout_ms(), nullptr);
    }
    // Shutdown: nothing is left unanswered.
    take_submitted();
    for (auto& call : active) {
      curl_multi_remove_handle(multi, call->easy);
      release(*call);
    }
    for (auto* list : {&active, &waiting})
      for (auto& call : *list) {
        generator_reply reply;
        reply.transient = true;
        reply.attempts = call->attempts;
        reply.error = "the node is shutting down";
        call->done(std::move(reply));
      }
    active.clear();
    waiting.clear();
  }

  void take_submitted() {
    std::vector<std::unique_ptr<pending_call>> incoming;
    {
      std::lock_guard<std::mutex> guard(queue_mutex);
      incoming.swap(submitted);
    }
    auto now = clock::now();
    for (auto& call : incoming) {
      call->due = now;
      update([](generator_health& h) { ++h.calls; });
      waiting.push_back(std::move(call));
    }
  }

  void start_due_attempts() {
    auto now = clock::now();
    for (auto it = waiting.begin(); it != waiting.end();) {
      if ((*it)->due > now) {
        ++it;
        continue;
      }
      auto call = std::move(*it);
      it = waiting.erase(it);
      if (!breaker.allow(now)) {
        sync_breaker();
        generator_reply reply;
        reply.transient = true;
        reply.attempts = call->attempts;
        reply.error = "the generator service at " + options.base_url +
                      " is failing; its circuit breaker is open (last error: " + last_error() + ")";
        update([](generator_health& h) {
          ++h.short_circuited;
          ++h.failures;
        });
        call->done(std::move(reply));
        continue;
      }
      sync_breaker();
      start_attempt(std::move(call), now);
    }
  }

  void start_attempt(std::unique_ptr<pending_call> call, clock::time_point now) {
    ++call->attempts;
    update([](generator_health& h) { ++h.attempts; });
    call->attempt_started = now;
    call->response.clear();
    call->curl_error[0] = '\0';
    CURL* easy = curl_easy_init();
    call->easy = easy;
    std::string url = options.base_url + call->request.path;
    curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options.connect_timeout.count()));
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options.attempt_timeout.count()));
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &call->response);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, call->curl_error);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, call.get());
    call->headers = curl_slist_append(nullptr, "Accept: application/json");
    if (!call->request.body.empty()) {
      call->headers = curl_slist_append(call->headers, "Content-Type: application/json");
      // No "Expect: 100-continue" round trip before larger bodies.
      call->headers = curl_slist_append(call->headers, "Expect:");
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, call->request.body.c_str());
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(call->request.body.size()));
    }
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, call->headers);
    curl_multi_add_handle(multi, easy);
    active.push_back(std::move(call));
  }

  void collect_finished() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      auto it = std::find_if(active.begin(), active.end(),
                             [&](const auto& c) { return c->easy == msg->easy_handle; });
      if (it == active.end()) continue;
      auto call = std::move(*it);
      active.erase(it);
      auto result = msg->data.result;
      curl_multi_remove_handle(multi, call->easy);
      finish_attempt(std::move(call), result);
    }
  }

  /// Classifies one attempt: done (success or permanent failure) or worth another one.
  void finish_attempt(std::unique_ptr<pending_call> call, CURLcode result) {
    auto now = clock::now();
    generator_reply reply;
    reply.attempts = call->attempts;
    reply.latency_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - call->attempt_started).count();
    long status = 0, connects = 0;
    curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(call->easy, CURLINFO_NUM_CONNECTS, &connects);
    reply.http_status = static_cast<int>(status);
    const std::string what = "POST " + call->request.path;
    bool service_failed = false;  // counts against the breaker
    if (result != CURLE_OK) {
      reply.transient = service_failed = true;
      std::string detail = call->curl_error[0] ? call->curl_error : curl_easy_strerror(result);
      reply.error = what + ": " + detail;
      if (result == CURLE_OPERATION_TIMEDOUT)
        reply.error = what + ": no answer within " +
                      std::to_string(options.attempt_timeout.count()) + " ms (" + detail + ")";
    } else if (status >= 500 || status == 429) {
      reply.transient = service_failed = true;
      reply.error = what + ": HTTP " + std::to_string(status) + " " + excerpt(call->response);
    } else if (status >= 400) {
      reply.error = what + ": HTTP " + std::to_string(status) + " " + excerpt(call->response);
    } else {
      classify_envelope(call->response, what, reply, service_failed);
    }
    release(*call);
    {
      std::lock_guard<std::mutex> guard(health_mutex);
      health.connections_opened += static_cast<uint64_t>(connects);
      if (reply.http_status != 0) health.last_latency_ms = reply.latency_ms;
      if (!reply.ok) {
        health.last_error = reply.error;
        health.last_error_at_ms = now_ms();
      }
    }
    if (service_failed)
      breaker.on_failure(now);
    else
      breaker.on_success();
    sync_breaker();

    if (reply.transient && call->attempts < options.max_attempts) {
      call->due = now + backoff(call->attempts);
      update([](generator_health& h) { ++h.retries; });
      waiting.push_back(std::move(call));
      return;
    }
    if (!reply.ok) {
      if (call->attempts > 1)
        reply.error += " (after " + std::to_string(call->attempts) + " attempts)";
      update([](generator_health& h) { ++h.failures; });
    }
    call->done(std::move(reply));
  }

  /// The service answers {success, data | error}; a failure usually comes as HTTP 200.
  static void classify_envelope(const std::string& body, const std::string& what,
                                generator_reply& reply, bool& service_failed) {
    boost::system::error_code ec;
    auto value = json::parse(body, ec);
    const json::object* envelope = ec ? nullptr : value.if_object();
    const json::value* success = envelope ? envelope->if_contains("success") : nullptr;
    if (!success || !success->is_bool()) {
      // Not the service's envelope: something else answers at that address, or the
      // service is broken. Asking again would get the same; the breaker hears of it.
      service_failed = true;
      reply.error =
          what + ": the answer is not the generator service's JSON envelope: " + excerpt(body);
      return;
    }
    if (!success->get_bool()) {
      std::string error = "the service answered success:false";
      if (auto* e = envelope->if_contains("error")) {
        if (e->is_string())
          error += ": " + std::string(e->get_string());
        else
          error += ": " + json::serialize(*e);
      }
      reply.error = what + ": " + error;
      return;
    }
    auto* data = envelope->if_contains("data");
    reply.ok = true;
    reply.data = data ? json::serialize(*data) : "null";
  }

  std::chrono::milliseconds backoff(int attempt) {
    return exponential_backoff(options.backoff_base, options.backoff_max, attempt, rng);
  }

  int poll_timeout_ms() const {
    // Woken by curl_multi_wakeup for new calls; else until the next retry is due.
    auto now = clock::now();
    int64_t wait = 1000;
    for (const auto& call : waiting)
      wait = std::min<int64_t>(
          wait,
          std::max<int64_t>(
              0, std::chrono::duration_cast<std::chrono::milliseconds>(call->due - now).count()));
    return static_cast<int>(wait);
  }

  void release(pending_call& call) {
    curl_easy_cleanup(call.easy);
    curl_slist_free_all(call.headers);
    call.easy = nullptr;
    call.headers = nullptr;
  }

  template <class F>
  void update(F&& f) {
    std::lock_guard<std::mutex> guard(health_mutex);
    f(health);
  }

  void sync_breaker() {
    std::lock_guard<std::mutex> guard(health_mutex);
    breaker_state = breaker.current(clock::now());
    reopens_at = breaker.reopens_at();
  }

  std::string last_error() const {
    std::lock_guard<std::mutex> guard(health_mutex);
    return health.last_error.empty() ? "none" : health.last_error;
  }

  generator_client_options options;
  CURLM* multi = nullptr;
  std::atomic<bool> stopping{false};
  std::thread thread;

  std::mutex queue_mutex;
  std::vector<std::unique_ptr<pending_call>> submitted;  // handed over, not yet seen

  // The client's thread only:
  circuit_breaker breaker;
  std::list<std::unique_ptr<pending_call>> waiting;  // for their first attempt or a retry
  std::list<std::unique_ptr<pending_call>> active;   // in libcurl's hands
  std::mt19937_64 rng;

  mutable std::mutex health_mutex;
  generator_health health;
  circuit_breaker::state breaker_state = circuit_breaker::state::closed;
  clock::time_point reopens_at{};
};

generator_client::generator_client(generator_client_options options)
    : options_(std::move(options)) {
  while (!options_.base_url.empty() && options_.base_url.back() == '/')
    options_.base_url.pop_back();
  init_curl_once();
  impl_ = std::make_unique<impl>(options_);
}

generator_client::~generator_client() = default;

void generator_client::submit(generator_request request, callback done) {
  impl_->submit(std::move(request), std::move(done));
}

generator_health generator_client::health() const {
  return impl_->snapshot();
}

}  // namespace ce::net
