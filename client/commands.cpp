#include "client/commands.hpp"

#include <openssl/sha.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "client/connection.hpp"
#include "client/progress.hpp"

namespace ce::client {

namespace json = boost::json;

namespace {

/// What every command shares: flags of the top level and the way out.
struct context {
  std::string url = "http://127.0.0.1:3004";
  std::string token;
  bool as_json = false;
  bool interactive = false;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
};

/// A failure that ends the command with `code` after printing `message` on stderr.
struct command_failure {
  int code;
  std::string message;
};

std::string text_of(const json::value& v, const char* key) {
  if (!v.is_object()) return {};
  auto* found = v.as_object().if_contains(key);
  if (!found) return {};
  if (found->is_string()) return std::string(found->as_string());
  if (found->is_null()) return {};
  return json::serialize(*found);
}

/// "a,b, c" -> {"a","b","c"}
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    auto begin = item.find_first_not_of(' ');
    auto end = item.find_last_not_of(' ');
    if (begin != std::string::npos) out.push_back(item.substr(begin, end - begin + 1));
  }
  return out;
}

std::string url_encode(const std::string& value) {
  std::ostringstream out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
      out << c;
    else
      out << '%' << std::uppercase << std::hex << std::setw(2) << std::setfill('0')
          << static_cast<int>(c) << std::nouppercase << std::dec;
  }
  return out.str();
}

class session {
 public:
  explicit session(const context& ctx) {
    std::string why;
    auto address = parse_server_url(ctx.url, why);
    if (!address) throw command_failure{usage_error, why};
    conn_.emplace(*address, ctx.token);
  }

  /// The answer's JSON envelope when it succeeded; the server's sentence
  /// (and details) as a failure otherwise.
  json::object call(const std::string& method, const std::string& target,
                    const std::string& body = {}) {
    auto r = raw(method, target, body);
    json::value parsed;
    try {
      parsed = json::parse(r.body);
    } catch (const std::exception&) {
      throw command_failure{server_refused,
                            "the server answered " + std::to_string(r.status) +
                                " with something that is not JSON: " + r.body.substr(0, 200)};
    }
    if (!parsed.is_object()) throw command_failure{server_refused, "unexpected answer"};
    auto& envelope = parsed.as_object();
    bool ok = envelope.contains("success") && envelope.at("success").is_bool() &&
              envelope.at("success").as_bool();
    if (r.status >= 400 || !ok) {
      std::string message = text_of(envelope, "error");
      if (message.empty()) message = "the server answered " + std::to_string(r.status);
      if (auto* details = envelope.if_contains("details"); details && details->is_array())
        for (const auto& d : details->as_array())
          message += "\n  " + text_of(d, "field") + ": " + text_of(d, "message");
      throw command_failure{server_refused, message};
    }
    return envelope;
  }

  response raw(const std::string& method, const std::string& target, const std::string& body = {}) {
    try {
      return conn_->request(method, target, body);
    } catch (const connection_error& e) {
      throw command_failure{unreachable, e.what()};
    }
  }

  connection& conn() { return *conn_; }

 private:
  std::optional<connection> conn_;
};

/// Prints the answer's data as JSON (--json), or lets `human` print it.
template <class Human>
void show(const context& ctx, const json::object& envelope, Human human) {
  if (ctx.as_json) {
    *ctx.out << json::serialize(envelope.at("data")) << "\n";
    return;
  }
  human(envelope.at("data"));
}

void print_task(const context& ctx, const json::value& t) {
  auto& out = *ctx.out;
  out << text_of(t, "id") << "  " << text_of(t, "status") << "\n";
  out << "  type " << text_of(t, "type") << ", priority " << text_of(t, "priority") << ", user "
      << text_of(t, "user_id") << "\n";
  const auto& c = t.at("context");
  out << "  " << text_of(c, "provider") << " " << text_of(c, "environment");
  if (auto region = text_of(c, "region"); !region.empty()) out << " " << region;
  out << ": ";
  if (auto* components = c.as_object().if_contains("components");
      components && components->is_array()) {
    bool first = true;
    for (const auto& x : components->as_array()) {
      out << (first ? "" : ", ") << x.as_string().c_str();
      first = false;
    }
  }
  out << "\n  created " << text_of(t, "created_at");
  if (auto done = text_of(t, "completed_at"); !done.empty()) out << ", ended " << done;
  out << "\n";
  if (auto plan = text_of(t.at("execution"), "plan_id"); !plan.empty())
    out << "  plan " << plan << "\n";
  if (auto* result = t.as_object().if_contains("result"); result && result->is_object()) {
    if (auto* errors = result->as_object().if_contains("errors"); errors && errors->is_array())
      for (const auto& e : errors->as_array()) out << "  error: " << e.as_string().c_str() << "\n";
    if (auto* artifacts = result->as_object().if_contains("artifacts");
        artifacts && artifacts->is_array() && !artifacts->as_array().empty()) {
      out << "  artifacts:";
      for (const auto& a : artifacts->as_array()) out << " " << a.as_string().c_str();
      out << "\n";
    }
  }
}

/// A task id names its plan; a plan id is taken as it is.
std::string plan_id_of(session& s, const std::string& id) {
  if (id.rfind("task_", 0) != 0) return id;
  auto task = s.call("GET", "/api/tasks/" + url_encode(id)).at("data");
  auto plan = text_of(task.at("execution"), "plan_id");
  if (plan.empty()) throw command_failure{server_refused, "task " + id + " has no plan yet"};
  return plan;
}

/// Follows the task until it ends, drawing its progress. Returns the exit code.
int watch(const context& ctx, session& s, const std::string& task_id) {
  task_progress progress;
  auto started = std::chrono::steady_clock::now();
  std::string last_plain;
  auto elapsed = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 started);
  };
  auto draw = [&] {
    if (ctx.as_json) return;  // scripts get the final task only
    auto line = progress.line(elapsed(), ctx.interactive);
    if (ctx.interactive) {
      *ctx.out << "\r\x1b[2K" << line << std::flush;  // redraw in place
    } else {
      // Piped: one plain line per change (the elapsed time alone is no change).
      auto without_time = progress.line(std::chrono::milliseconds(0), false);
      if (without_time != last_plain) *ctx.out << line << "\n";
      last_plain = without_time;
    }
  };
  try {
    follow_task_events(s.conn().address(), s.conn().token(), task_id, 0,
                       [&](const json::object& event) {
                         progress.apply(event);
                         draw();
                         return !progress.outcome();
                       });
  } catch (const connection_error& e) {
    if (ctx.interactive && !ctx.as_json) *ctx.out << "\n";
    throw command_failure{unreachable, e.what()};
  }
  if (ctx.interactive && !ctx.as_json) *ctx.out << "\n";
  if (ctx.as_json) show(ctx, s.call("GET", "/api/tasks/" + url_encode(task_id)), [](auto&) {});
  const auto& outcome = *progress.outcome();
  if (outcome == "completed") {
    if (!ctx.as_json) *ctx.out << "task " << task_id << " completed\n";
    return success;
  }
  *ctx.err << "task " << task_id << " " << outcome << "\n";
  for (const auto& e : progress.errors()) *ctx.err << "  " << e << "\n";
  return outcome == "failed" ? task_failed : task_cancelled;
}

std::string read_requirements(const std::string& arg) {
  std::string text = arg;
  if (!arg.empty() && arg[0] == '@') {
    std::ifstream in(arg.substr(1));
    if (!in) throw command_failure{usage_error, "cannot read " + arg.substr(1)};
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  try {
    auto parsed = json::parse(text);
    if (!parsed.is_object()) throw std::runtime_error("not an object");
  } catch (const std::exception&) {
    throw command_failure{usage_error,
                          "--requirements must be a JSON object (or @file holding one)"};
  }
  return text;
}

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
        bool interactive) {
  context ctx;
  ctx.out = &out;
  ctx.err = &err;
  ctx.interactive = interactive;

  CLI::App app{"core-engine-cli: create, run, watch and approve core-engine tasks",
               "core-engine-cli"};
  app.require_subcommand(1);
  app.add_option("--url", ctx.url, "The engine's base URL (env CORE_ENGINE_URL)")
      ->envname("CORE_ENGINE_URL")
      ->capture_default_str();
  app.add_option("--token", ctx.token, "Bearer token (env CORE_ENGINE_TOKEN)")
      ->envname("CORE_ENGINE_TOKEN");
  app.add_flag("--json", ctx.as_json, "Print the answer's data as JSON and nothing else");

  std::function<int()> action;
  std::string id;

  // create
  auto* create = app.add_subcommand("create", "Create a task");
  std::string provider, environment, components, type = "generate", region, priority, user,
                                                 requirements;
  create->add_option("--provider", provider, "aws, gcp or azure")->required();
  create->add_option("--environment", environment, "e.g. staging, production")->required();
  create->add_option("--components", components, "Comma-separated, e.g. vpc,eks,rds")->required();
  create->add_option("--type", type, "generate, deploy, verify, rollback or analyze")
      ->capture_default_str();
  create->add_option("--region", region, "e.g. us-east-1");
  create->add_option("--priority", priority, "low, medium, high or critical");
  create->add_option("--user", user, "The task's user (default: the caller)");
  create->add_option("--requirements", requirements, "A JSON object, or @file holding one");
  create->callback([&] {
    action = [&] {
      json::object context{{"provider", provider}, {"environment", environment}};
      if (!region.empty()) context["region"] = region;
      json::array list;
      for (const auto& c : split_list(components)) list.emplace_back(c);
      context["components"] = std::move(list);
      if (!requirements.empty())
        context["requirements"] = json::parse(read_requirements(requirements));
      json::object body{{"type", type}, {"context", std::move(context)}};
      if (!priority.empty()) body["priority"] = priority;
      if (!user.empty()) body["user_id"] = user;
      session s(ctx);
      show(ctx, s.call("POST", "/api/tasks", json::serialize(body)), [&](const json::value& t) {
        out << "created " << text_of(t, "id") << " (" << text_of(t, "status") << ")\n";
      });
      return int(success);
    };
  });

  // execute
  auto* execute = app.add_subcommand("execute", "Execute a task");
  bool watch_it = false;
  execute->add_option("task", id, "Task id")->required();
  execute->add_flag("--watch", watch_it,
                    "Follow the task live until it ends; exit 0 when completed, 3 when failed, "
                    "4 when cancelled");
  execute->callback([&] {
    action = [&] {
      session s(ctx);
      auto answer = s.call("POST", "/api/tasks/" + url_encode(id) + "/execute");
      if (watch_it) return watch(ctx, s, id);
      show(ctx, answer, [&](const json::value& t) {
        out << text_of(t, "id") << " " << text_of(t, "status") << "\n";
      });
      return int(success);
    };
  });

  // get
  auto* get = app.add_subcommand("get", "Show a task");
  get->add_option("task", id, "Task id")->required();
  get->callback([&] {
    action = [&] {
      session s(ctx);
      show(ctx, s.call("GET", "/api/tasks/" + url_encode(id)),
           [&](const json::value& t) { print_task(ctx, t); });
      return int(success);
    };
  });

  // list
  auto* list = app.add_subcommand("list", "List tasks, newest first");
  std::string status_filter, type_filter, priority_filter, user_filter, cursor;
  int limit = 50;
  bool all_pages = false;
  list->add_option("--status", status_filter, "Only tasks in this status");
  list->add_option("--type", type_filter, "Only tasks of this type");
  list->add_option("--priority", priority_filter, "Only tasks of this priority");
  list->add_option("--user", user_filter, "Only this user's tasks");
  list->add_option("--limit", limit, "Tasks per page (1-1000)")->capture_default_str();
  list->add_option("--cursor", cursor, "Start at this page (next_cursor of the previous one)");
  list->add_flag("--all", all_pages, "Follow every page to the end");
  list->callback([&] {
    action = [&] {
      session s(ctx);
      json::array collected;
      std::string next = cursor;
      do {
        std::string target = "/api/tasks?limit=" + std::to_string(limit);
        for (auto [key, value] : {std::pair{"status", &status_filter},
                                  {"type", &type_filter},
                                  {"priority", &priority_filter},
                                  {"user_id", &user_filter},
                                  {"cursor", &next}})
          if (!value->empty()) target += std::string("&") + key + "=" + url_encode(*value);
        auto page = s.call("GET", target);
        for (auto& t : page.at("data").as_array()) collected.push_back(t);
        next = text_of(page, "next_cursor");
        if (!ctx.as_json) {
          for (const auto& t : page.at("data").as_array())
            out << std::left << std::setw(32) << text_of(t, "id") << std::setw(18)
                << text_of(t, "status") << std::setw(10) << text_of(t, "type") << std::setw(10)
                << text_of(t, "priority") << std::setw(16) << text_of(t, "user_id")
                << text_of(t, "created_at") << "\n";
          if (!next.empty() && !all_pages) out << "more: --cursor " << next << "\n";
        }
      } while (all_pages && !next.empty());
      if (ctx.as_json) out << json::serialize(collected) << "\n";
      return int(success);
    };
  });

  // events
  auto* events = app.add_subcommand("events", "Show a task's events, oldest first");
  bool follow = false;
  uint64_t since = 0;
  events->add_option("task", id, "Task id")->required();
  events->add_option("--since", since, "Only events after this seq");
  events->add_flag("--follow", follow, "Keep following live events until the task ends");
  events->callback([&] {
    action = [&] {
      session s(ctx);
      auto print_event = [&](const json::value& e) {
        if (ctx.as_json) {
          out << json::serialize(e) << "\n";
          return;
        }
        out << std::right << std::setw(6) << text_of(e, "seq") << "  " << text_of(e, "timestamp")
            << "  " << std::left << std::setw(24) << text_of(e, "type");
        if (auto step = text_of(e.at("data"), "step_id"); !step.empty()) out << " " << step;
        out << "\n";
      };
      std::string target = "/api/tasks/" + url_encode(id) + "/events";
      if (since > 0) target += "?since=" + std::to_string(since);
      auto page = s.call("GET", target);
      uint64_t last = since;
      bool ended = false;
      for (const auto& e : page.at("data").as_array()) {
        if (!follow && ctx.as_json) continue;  // printed whole below
        print_event(e);
        last = std::max<uint64_t>(last, e.at("seq").to_number<uint64_t>());
        auto type = text_of(e, "type");
        ended =
            ended || type == "task_completed" || type == "task_failed" || type == "task_cancelled";
      }
      if (!follow) {
        if (ctx.as_json) out << json::serialize(page.at("data")) << "\n";
        return int(success);
      }
      if (ended) return int(success);
      try {
        follow_task_events(s.conn().address(), s.conn().token(), id, last,
                           [&](const json::object& e) {
                             print_event(e);
                             out << std::flush;
                             auto type = text_of(e, "type");
                             return !(type == "task_completed" || type == "task_failed" ||
                                      type == "task_cancelled");
                           });
      } catch (const connection_error& e) {
        throw command_failure{unreachable, e.what()};
      }
      return int(success);
    };
  });

  // approve, reject
  auto* approve = app.add_subcommand("approve", "Approve the plan of a task awaiting approval");
  std::string comment, reason;
  approve->add_option("id", id, "Task id or plan id")->required();
  approve->add_option("--comment", comment, "Recorded with the approval");
  approve->callback([&] {
    action = [&] {
      session s(ctx);
      auto plan = plan_id_of(s, id);
      json::object body;
      if (!comment.empty()) body["comment"] = comment;
      show(ctx,
           s.call("POST", "/api/plans/" + url_encode(plan) + "/approve", json::serialize(body)),
           [&](const json::value& p) {
             out << "approved " << text_of(p, "id") << " (task " << text_of(p, "task_id") << ")\n";
           });
      return int(success);
    };
  });
  auto* reject = app.add_subcommand("reject", "Reject the plan of a task; the task ends cancelled");
  reject->add_option("id", id, "Task id or plan id")->required();
  reject->add_option("--reason", reason, "Why (recorded, and the task's error)")->required();
  reject->callback([&] {
    action = [&] {
      session s(ctx);
      auto plan = plan_id_of(s, id);
      show(ctx,
           s.call("POST", "/api/plans/" + url_encode(plan) + "/reject",
                  json::serialize(json::object{{"reason", reason}})),
           [&](const json::value& p) {
             out << "rejected " << text_of(p, "id") << " (task " << text_of(p, "task_id") << ")\n";
           });
      return int(success);
    };
  });

  // cancel, rollback
  for (auto [name, what] : {std::pair{"cancel", "Cancel a task (a running one rolls back)"},
                            {"rollback", "Roll back the applied steps of a finished task"}}) {
    auto* sub = app.add_subcommand(name, what);
    sub->add_option("task", id, "Task id")->required();
    sub->callback([&, name = std::string(name)] {
      action = [&, name] {
        session s(ctx);
        auto answer = s.call("POST", "/api/tasks/" + url_encode(id) + "/" + name);
        show(ctx, answer, [&](const json::value&) {
          auto message = text_of(answer, "message");
          out << (message.empty() ? name + " done" : message) << "\n";
        });
        return int(success);
      };
    });
  }

  // artifacts
  auto* artifacts = app.add_subcommand("artifacts", "List a task's artifacts, or download them");
  std::string folder;
  artifacts->add_option("task", id, "Task id")->required();
  artifacts->add_option("--download", folder, "Write every artifact into this folder");
  artifacts->callback([&] {
    action = [&] {
      session s(ctx);
      auto answer = s.call("GET", "/api/tasks/" + url_encode(id) + "/artifacts");
      const auto& list = answer.at("data").as_array();
      if (folder.empty()) {
        show(ctx, answer, [&](const json::value&) {
          for (const auto& a : list)
            out << std::left << std::setw(28) << text_of(a, "name") << std::right << std::setw(8)
                << text_of(a, "size") << "  " << text_of(a, "checksum") << "\n";
        });
        return int(success);
      }
      std::error_code ec;
      std::filesystem::create_directories(folder, ec);
      if (ec) throw command_failure{usage_error, "cannot create " + folder + ": " + ec.message()};
      json::array written;
      for (const auto& a : list) {
        auto name = text_of(a, "name");
        // Names come from the server: never let one climb out of the folder.
        if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
          throw command_failure{server_refused, "refusing the artifact name '" + name + "'"};
        auto r = s.raw("GET", "/api/tasks/" + url_encode(id) + "/artifacts/" + url_encode(name));
        if (r.status != 200)
          throw command_failure{server_refused,
                                "download of " + name + " answered " + std::to_string(r.status)};
        unsigned char digest[SHA256_DIGEST_LENGTH];
        SHA256(reinterpret_cast<const unsigned char*>(r.body.data()), r.body.size(), digest);
        std::ostringstream hex;
        for (unsigned char byte : digest)
          hex << std::hex << std::setw(2) << std::setfill('0') << static_cast<int>(byte);
        if (hex.str() != text_of(a, "checksum"))
          throw command_failure{server_refused, name + " does not match its sha256"};
        auto path = std::filesystem::path(folder) / name;
        std::ofstream(path, std::ios::binary) << r.body;
        if (!ctx.as_json) out << "wrote " << path.string() << " (" << r.body.size() << " bytes)\n";
        written.emplace_back(path.string());
      }
      if (ctx.as_json) out << json::serialize(written) << "\n";
      return int(success);
    };
  });

  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return success;
  } catch (const CLI::ParseError& e) {
    // A subcommand's help is a parse "error" too.
    if (e.get_exit_code() == 0) {
      out << app.help();
      return success;
    }
    err << "core-engine-cli: " << e.what() << "\nRun with --help for the commands.\n";
    return usage_error;
  }
  try {
    return action ? action() : int(usage_error);
  } catch (const command_failure& f) {
    err << "core-engine-cli: " << f.message << "\n";
    return f.code;
  }
}

}  // namespace ce::client
