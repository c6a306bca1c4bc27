#include "client/progress.hpp"

#include <cstdio>

namespace ce::client {

namespace json = boost::json;

namespace {

std::string text_of(const json::object& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().as_string())
                                                  : std::string();
}

int int_of(const json::object& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_number() ? it->value().to_number<int>() : 0;
}

const json::object& data_of(const json::object& event) {
  static const json::object none;
  auto it = event.find("data");
  return it != event.end() && it->value().is_object() ? it->value().as_object() : none;
}

}  // namespace

void task_progress::apply(const json::object& event) {
  auto type = text_of(event, "type");
  const auto& data = data_of(event);
  phase_ = type;
  auto step = text_of(data, "step_id");
  if (type == "plan_generated" || type == "execution_started") {
    if (int steps = int_of(data, "steps"); steps > 0) total_ = steps;
  } else if (type == "approval_required") {
    awaiting_plan_ = text_of(data, "plan_id");
  } else if (type == "plan_approved") {
    awaiting_plan_.clear();
  } else if (type == "step_started" || type == "step_retrying") {
    running_.insert(step);
  } else if (type == "step_completed" || type == "step_failed") {
    running_.erase(step);
    // A step counts once, whatever retries it took.
    if (finished_.insert(step).second && type == "step_completed") ++done_;
    if (type == "step_failed") {
      auto error = text_of(data, "error");
      if (!error.empty()) errors_.push_back(step + ": " + error);
    }
  } else if (type == "task_completed") {
    outcome_ = "completed";
    running_.clear();
  } else if (type == "task_failed" || type == "task_cancelled") {
    outcome_ = type == "task_failed" ? "failed" : "cancelled";
    running_.clear();
    auto it = data.find("errors");
    if (it != data.end() && it->value().is_array()) {
      errors_.clear();  // the task's own list is the whole story
      for (const auto& e : it->value().as_array())
        if (e.is_string()) errors_.emplace_back(e.as_string());
    }
    for (const char* key : {"reason", "error"})
      if (auto why = text_of(data, key); !why.empty()) errors_.push_back(why);
  }
}

std::string task_progress::line(std::chrono::milliseconds elapsed, bool colour) const {
  constexpr int width = 20;  // characters of the bar
  int filled = total_ > 0 ? std::min(width, done_ * width / total_) : 0;
  std::string bar = "[";
  if (colour) bar += "\x1b[32m";
  bar += std::string(static_cast<std::size_t>(filled), '#');
  if (colour) bar += "\x1b[0m";
  bar += std::string(static_cast<std::size_t>(width - filled), '-');
  bar += "]";
  std::string out = bar + " " + std::to_string(done_) + "/" +
                    (total_ > 0 ? std::to_string(total_) : std::string("?")) + " steps";
  if (!running_.empty()) {
    out += "  running: ";
    bool first = true;
    for (const auto& s : running_) {
      out += (first ? "" : ", ") + s;
      first = false;
    }
  }
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "  %.1fs", static_cast<double>(elapsed.count()) / 1000.0);
  out += seconds;
  std::string state = outcome_                  ? *outcome_
                      : !awaiting_plan_.empty() ? "awaiting approval of " + awaiting_plan_
                                                : phase_;
  if (!state.empty()) {
    out += "  ";
    if (colour && outcome_)
      out += *outcome_ == "completed" ? "\x1b[32m" : "\x1b[31m";
    else if (colour && !awaiting_plan_.empty())
      out += "\x1b[33m";
    out += state;
    if (colour && (outcome_ || !awaiting_plan_.empty())) out += "\x1b[0m";
  }
  return out;
}

}  // namespace ce::client
