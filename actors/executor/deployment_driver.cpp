#include "actors/executor/deployment_driver.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>
#include <thread>
#include <variant>

#include <boost/json.hpp>

#include "messages/json_codec.hpp"

#include "actors/executor/artifacts.hpp"
#include "actors/executor/hcl_check.hpp"
#include "actors/executor/hcl_edit.hpp"
#include "actors/planner/catalog.hpp"
#include "messages/clock.hpp"

namespace ce::executor {

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr const char* state_file_name = "terraform.tfstate.json";
constexpr long max_delay_ms = 600000;
constexpr long max_phase_ms = 60000;

/// The optional "simulate" object of the requirements.
struct fault_plan {
  std::string fail_operation;  // "plan", "apply", "verify", "destroy"; empty: none
  int fail_times = 0;          // <= 0: every attempt
  bool transient = false;
  std::string message;
  int resources = -1;  // -1: count the files
  long delay_ms = 0;
  long planning_ms = 0;  // read by the task actor (phase_pause)
  long verification_ms = 0;
};

fault_plan read_fault_plan(const task_context& context) {
  fault_plan f;
  boost::system::error_code ec;
  auto root = json::parse(context.requirements.text, ec);
  if (ec || !root.is_object()) return f;
  auto* sim = root.get_object().if_contains("simulate");
  if (!sim || !sim->is_object()) return f;
  const auto& o = sim->get_object();
  auto integer = [&](const char* key) -> std::optional<long> {
    auto* v = o.if_contains(key);
    if (!v) return std::nullopt;
    if (v->is_int64()) return static_cast<long>(v->get_int64());
    if (v->is_uint64()) return static_cast<long>(std::min<uint64_t>(v->get_uint64(), 1u << 30));
    if (v->is_double()) return static_cast<long>(v->get_double());
    return std::nullopt;
  };
  if (auto* v = o.if_contains("fail_step"); v && v->is_string()) {
    std::string step(v->get_string());
    const std::string suffix = "_deployment";
    if (step.size() > suffix.size() &&
        step.compare(step.size() - suffix.size(), suffix.size(), suffix) == 0)
      step.resize(step.size() - suffix.size());
    f.fail_operation = step;
  }
  if (auto n = integer("fail_times")) f.fail_times = static_cast<int>(*n);
  if (auto* v = o.if_contains("transient"); v && v->is_bool()) f.transient = v->get_bool();
  if (auto* v = o.if_contains("error"); v && v->is_string()) f.message = v->get_string();
  if (auto n = integer("resources"); n && *n >= 0) f.resources = static_cast<int>(*n);
  if (auto n = integer("delay_ms"); n && *n > 0) f.delay_ms = std::min(*n, max_delay_ms);
  if (auto n = integer("planning_ms"); n && *n > 0) f.planning_ms = std::min(*n, max_phase_ms);
  if (auto n = integer("verification_ms"); n && *n > 0)
    f.verification_ms = std::min(*n, max_phase_ms);
  return f;
}

log_entry line(std::string message, log_level level = log_level::info) {
  return log_entry{now_ms(), level, std::move(message), json_doc{}};
}

driver_outcome failure(std::string code, std::string message, bool transient = false) {
  driver_outcome out;
  out.ok = false;
  out.transient = transient;
  out.error_code = std::move(code);
  out.error = std::move(message);
  out.logs.push_back(line("Error: " + out.error, log_level::error));
  return out;
}

/// One resource instance of the configuration: "aws_subnet.private[1]".
struct instance {
  std::string resource;  // "aws_subnet.private"
  std::string type;
  std::string name;
  int index = -1;  // -1: no count
  std::string address() const {
    return index < 0 ? resource : resource + "[" + std::to_string(index) + "]";
  }
};

/// The module's files, checked, with their resource instances and output expressions.
struct configuration {
  std::vector<instance> instances;
  std::vector<std::pair<std::string, std::string>> outputs;  // name, value expression
};

/// Reads and checks the workspace's files; an error outcome when they cannot be used.
/// A workspace as clients may see it: its task's id (the directory's name), not
/// where the server keeps it.
std::string workspace_name(const std::string& workspace) {
  return fs::path(workspace).lexically_normal().filename().string();
}

std::variant<configuration, driver_outcome> load_configuration(const std::string& workspace) {
  auto files = read_terraform_files(workspace);
  if (files.empty())
    return failure("no_configuration",
                   "no Terraform files (*.tf) in the workspace of " + workspace_name(workspace));
  configuration config;
  for (const auto& [file_name, content] : files) {
    auto report = check_hcl(content);
    if (!report.ok) {
      std::string message = file_name + " is not valid HCL";
      if (!report.errors.empty())
        message += " (line " + std::to_string(report.errors.front().line) + ": " +
                   report.errors.front().message + ")";
      return failure("invalid_configuration", message);
    }
    std::set<std::string> declared(report.resources.begin(), report.resources.end());
    auto outline = outline_file(content);
    for (const auto& block : outline.blocks) {
      if (block.type == "output" && block.labels.size() == 1) {
        auto body = outline_block(content, block);
        if (auto* value = body.attribute("value"))
          config.outputs.emplace_back(
              block.labels[0],
              content.substr(value->value_begin, value->value_end - value->value_begin));
        continue;
      }
      auto address = resource_address(block);
      if (address.empty() || !declared.count(address)) continue;
      auto body = outline_block(content, block);
      int count = 1;
      int index = -1;
      if (auto* attr = body.attribute("count")) {
        auto expression = content.substr(attr->value_begin, attr->value_end - attr->value_begin);
        index = 0;
        if (!expression.empty() && std::all_of(expression.begin(), expression.end(), [](char c) {
              return std::isdigit(static_cast<unsigned char>(c));
            }))
          count = std::stoi(expression.substr(0, 6));
      }
      for (int i = 0; i < count; ++i)
        config.instances.push_back({address, block.labels[0], block.labels[1], index < 0 ? -1 : i});
    }
  }
  return config;
}

/// A fake id that looks like the provider's, the same for the same address and workspace.
std::string fake_id(const std::string& type, const std::string& address,
                    const std::string& workspace) {
  static const std::map<std::string, std::string> prefixes = {
      {"aws_vpc", "vpc-"},           {"aws_subnet", "subnet-"},        {"aws_instance", "i-"},
      {"aws_security_group", "sg-"}, {"aws_internet_gateway", "igw-"}, {"aws_nat_gateway", "nat-"},
      {"aws_route_table", "rtb-"},   {"aws_eip", "eipalloc-"},         {"aws_flow_log", "fl-"},
      {"aws_kms_key", ""},
  };
  auto digest = sha256_hex(address + "|" + workspace);
  auto it = prefixes.find(type);
  if (it != prefixes.end()) return it->second + digest.substr(0, 17);
  auto underscore = type.find('_');
  auto kind = underscore == std::string::npos ? type : type.substr(underscore + 1);
  std::replace(kind.begin(), kind.end(), '_', '-');
  return kind + "-" + digest.substr(0, 12);
}

/// What terraform would print for attribute `attribute` of a resource instance.
std::string fake_attribute(const std::string& type, const std::string& id,
                           const std::string& attribute, const std::string& region) {
  auto digest = sha256_hex(id + "|" + attribute);
  if (attribute == "id") return id;
  if (attribute == "arn")
    return "arn:aws:" + type.substr(type.find('_') + 1) + ":" + region + ":000000000000:" + id;
  if (attribute == "endpoint" || attribute == "address" || attribute == "fqdn" ||
      attribute == "connection_name" || attribute == "private_ip_address") {
    if (type == "aws_eks_cluster")
      return "https://" + digest.substr(0, 32) + ".gr7." + region + ".eks.amazonaws.com";
    if (type == "aws_db_instance" || type == "aws_rds_cluster")
      return id + "." + digest.substr(0, 12) + "." + region + ".rds.amazonaws.com" +
             (attribute == "endpoint" ? ":5432" : "");
    if (type == "google_container_cluster")
      return "34.1." + std::to_string(digest[0] % 200) + ".10";
    if (type == "azurerm_kubernetes_cluster" || type == "azurerm_postgresql_flexible_server")
      return id + "." + region + ".simulated.azure.com";
    return id + "." + attribute + ".simulated";
  }
  return id + "-" + attribute;
}

/// The simulated state: resource instance address -> (type, id).
struct state_entry {
  std::string type;
  std::string id;
};
using sim_state = std::map<std::string, state_entry>;

std::string state_path(const std::string& workspace) {
  return (fs::path(workspace) / state_file_name).string();
}

std::optional<sim_state> read_state(const std::string& workspace) {
  std::error_code exists_error;
  if (!fs::exists(state_path(workspace), exists_error)) return std::nullopt;
  boost::system::error_code ec;
  auto parsed = json::parse(read_file(state_path(workspace)), ec);
  sim_state state;
  if (ec || !parsed.is_object()) return state;
  if (auto* resources = parsed.get_object().if_contains("resources");
      resources && resources->is_array())
    for (const auto& r : resources->get_array()) {
      if (!r.is_object()) continue;
      const auto& o = r.get_object();
      auto* address = o.if_contains("address");
      auto* type = o.if_contains("type");
      auto* id = o.if_contains("id");
      if (address && address->is_string() && type && type->is_string() && id && id->is_string())
        state[std::string(address->get_string())] = {std::string(type->get_string()),
                                                     std::string(id->get_string())};
    }
  return state;
}

void write_state(const std::string& workspace, const sim_state& state) {
  json::array resources;
  for (const auto& [address, entry] : state)
    resources.push_back(json::object{{"address", address}, {"type", entry.type}, {"id", entry.id}});
  json::object doc{{"format_version", "1.0"},
                   {"driver", "simulated"},
                   {"workspace", workspace_name(workspace)},
                   {"updated_at", iso8601(now_ms())},
                   {"resources", std::move(resources)}};
  write_file(workspace, state_file_name, codec::serialize(doc) + "\n");
}

/// Evaluates the output expressions against the state, like terraform's outputs.
json_doc evaluate_outputs(const configuration& config, const sim_state& state,
                          const std::string& region) {
  static const std::regex reference(
      R"(([a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][A-Za-z0-9_-]*)(\[(\*|\d+)\])?(\.([A-Za-z_][A-Za-z0-9_]*))?)");
  json::object outputs;
  for (const auto& [name, expression] : config.outputs) {
    json::value value = "(known after apply)";
    for (std::sregex_iterator it(expression.begin(), expression.end(), reference), end; it != end;
         ++it) {
      const auto& m = *it;
      std::string resource = m[1].str() + "." + m[2].str();
      std::string attribute = m[6].matched ? m[6].str() : "id";
      std::vector<std::pair<std::string, const state_entry*>> hits;
      for (const auto& [address, entry] : state)
        if (address == resource || address.rfind(resource + "[", 0) == 0)
          hits.emplace_back(address, &entry);
      if (hits.empty()) continue;
      auto render = [&](const state_entry& e) {
        return fake_attribute(e.type, e.id, attribute, region);
      };
      if (m[4].matched && m[4].str() == "*") {
        json::array all;
        for (const auto& hit : hits) all.push_back(json::value(render(*hit.second)));
        value = std::move(all);
      } else if (m[4].matched) {
        auto wanted = resource + "[" + m[4].str() + "]";
        auto found = state.find(wanted);
        if (found == state.end()) continue;
        value = json::value(render(found->second));
      } else {
        value = json::value(render(*hits.front().second));
      }
      break;
    }
    if (value.is_string() && value.get_string() == "(known after apply)") {
      auto literal = std::string(expression);
      if (literal.size() >= 2 && literal.front() == '"' && literal.back() == '"' &&
          literal.find("${") == std::string::npos)
        value = json::value(literal.substr(1, literal.size() - 2));
    }
    outputs[name] = std::move(value);
  }
  return json_doc{codec::serialize(outputs)};
}

// A simulated hang stands for an external process; like one, it ends when
// the node stops instead of holding up the shutdown. Process-wide on purpose:
// it is the stop signal, not state of any actor.
std::mutex stopping_mutex;
std::condition_variable stopping_changed;
bool stopping = false;

/// Sleeps for `delay`; false if the node started stopping meanwhile.
bool wait_unless_stopping(std::chrono::milliseconds delay) {
  std::unique_lock<std::mutex> lock(stopping_mutex);
  return !stopping_changed.wait_for(lock, delay, [] { return stopping; });
}

class simulated_driver final : public deployment_driver {
 public:
  std::string name() const override { return "simulated"; }

  driver_outcome plan(const std::string& workspace, const task_context& context) override {
    return run("plan", workspace, context, [&](const fault_plan& faults) {
      auto loaded = load_configuration(workspace);
      if (auto* error = std::get_if<driver_outcome>(&loaded)) return *error;
      const auto& config = std::get<configuration>(loaded);
      auto state = read_state(workspace).value_or(sim_state{});
      driver_outcome out;
      std::set<std::string> wanted;
      for (const auto& i : config.instances) {
        wanted.insert(i.address());
        if (!state.count(i.address())) {
          ++out.to_add;
          out.logs.push_back(line("  # " + i.address() + " will be created"));
        }
      }
      for (const auto& [address, entry] : state)
        if (!wanted.count(address)) {
          ++out.to_destroy;
          out.logs.push_back(line("  # " + address + " will be destroyed"));
        }
      if (faults.resources >= 0) out.to_add = faults.resources;
      out.logs.push_back(line("Plan: " + std::to_string(out.to_add) + " to add, " +
                              std::to_string(out.to_change) + " to change, " +
                              std::to_string(out.to_destroy) + " to destroy."));
      return out;
    });
  }

  driver_outcome apply(const std::string& workspace, const task_context& context) override {
    return run("apply", workspace, context, [&](const fault_plan& faults) {
      auto loaded = load_configuration(workspace);
      if (auto* error = std::get_if<driver_outcome>(&loaded)) return *error;
      const auto& config = std::get<configuration>(loaded);
      auto previous = read_state(workspace).value_or(sim_state{});
      sim_state state;
      driver_outcome out;
      for (const auto& i : config.instances) {
        auto address = i.address();
        auto existing = previous.find(address);
        if (existing != previous.end()) {
          state[address] = existing->second;
          continue;
        }
        state[address] = {i.type, fake_id(i.type, address, workspace)};
        ++out.resources_created;
        out.logs.push_back(
            line(address + ": Creation complete after 0s [id=" + state[address].id + "]"));
      }
      for (const auto& [address, entry] : previous)
        if (!state.count(address)) {
          ++out.to_destroy;
          out.logs.push_back(line(address + ": Destruction complete after 0s"));
        }
      write_state(workspace, state);
      if (faults.resources >= 0) out.resources_created = faults.resources;
      out.to_add = out.resources_created;
      out.outputs = evaluate_outputs(config, state, region_of(context));
      out.logs.push_back(
          line("Apply complete! Resources: " + std::to_string(out.resources_created) +
               " added, 0 changed, " + std::to_string(out.to_destroy) + " destroyed."));
      return out;
    });
  }

  driver_outcome verify(const std::string& workspace, const task_context& context) override {
    return run("verify", workspace, context, [&](const fault_plan&) {
      auto state = read_state(workspace);
      if (!state)
        return failure("nothing_applied", "nothing applied: no state in the workspace of " +
                                              workspace_name(workspace));
      auto loaded = load_configuration(workspace);
      if (auto* error = std::get_if<driver_outcome>(&loaded)) return *error;
      const auto& config = std::get<configuration>(loaded);
      std::vector<std::string> missing, unexpected;
      std::set<std::string> wanted;
      for (const auto& i : config.instances) {
        wanted.insert(i.address());
        if (!state->count(i.address())) missing.push_back(i.address());
      }
      for (const auto& [address, entry] : *state)
        if (!wanted.count(address)) unexpected.push_back(address);
      if (!missing.empty() || !unexpected.empty()) {
        std::string message;
        auto list = [](const std::vector<std::string>& v) {
          std::string s;
          for (size_t i = 0; i < v.size() && i < 10; ++i) s += (i ? ", " : "") + v[i];
          if (v.size() > 10) s += ", ...";
          return s;
        };
        if (!missing.empty())
          message = std::to_string(missing.size()) + " resource(s) of the configuration are " +
                    "not deployed: " + list(missing);
        if (!unexpected.empty())
          message += std::string(message.empty() ? "" : "; ") + std::to_string(unexpected.size()) +
                     " deployed resource(s) are not in the configuration: " + list(unexpected);
        return failure("drift", message);
      }
      driver_outcome out;
      out.outputs = evaluate_outputs(config, *state, region_of(context));
      out.logs.push_back(line("No changes. Your infrastructure matches the configuration (" +
                              std::to_string(state->size()) + " resources)."));
      return out;
    });
  }

  driver_outcome destroy(const std::string& workspace, const task_context& context) override {
    return run("destroy", workspace, context, [&](const fault_plan&) {
      driver_outcome out;
      auto state = read_state(workspace);
      if (!state || state->empty()) {
        out.logs.push_back(line("No objects need to be destroyed."));
        out.logs.push_back(line("Destroy complete! Resources: 0 destroyed."));
        return out;
      }
      for (const auto& [address, entry] : *state)
        out.logs.push_back(line(address + ": Destruction complete after 0s"));
      out.resources_created = out.to_destroy = static_cast<int>(state->size());
      write_state(workspace, sim_state{});
      out.logs.push_back(
          line("Destroy complete! Resources: " + std::to_string(out.to_destroy) + " destroyed."));
      return out;
    });
  }

 private:
  static std::string region_of(const task_context& context) {
    return context.region.empty() ? planner::default_region(context.provider) : context.region;
  }

  /// Applies the injected delay and failure of the operation, then runs it.
  template <class Operation>
  driver_outcome run(const std::string& operation, const std::string& workspace,
                     const task_context& context, Operation&& body) {
    auto faults = read_fault_plan(context);
    if (faults.delay_ms > 0 && !wait_unless_stopping(std::chrono::milliseconds(faults.delay_ms)))
      return failure("interrupted", operation + " was interrupted: the node is stopping", true);
    if (faults.fail_operation == operation) {
      int attempt = count_attempt(workspace, operation);
      if (faults.fail_times <= 0 || attempt <= faults.fail_times) {
        auto message =
            faults.message.empty() ? "simulated failure of " + operation : faults.message;
        auto out = failure("simulated_failure", message, faults.transient);
        out.logs.insert(out.logs.begin(), line("Attempt " + std::to_string(attempt) + " of " +
                                                   operation + " fails as requested by 'simulate'",
                                               log_level::warn));
        return out;
      }
    }
    return body(faults);
  }

  /// Counts attempts of an operation in the workspace, so that they survive a new driver.
  static int count_attempt(const std::string& workspace, const std::string& operation) {
    auto dir = (fs::path(workspace) / ".simulate").string();
    auto path = (fs::path(dir) / (operation + ".attempts")).string();
    int attempts = 0;
    std::error_code ec;
    if (fs::exists(path, ec)) {
      try {
        attempts = std::stoi(read_file(path));
      } catch (const std::exception&) {
        attempts = 0;
      }
    }
    ++attempts;
    write_file(dir, operation + ".attempts", std::to_string(attempts));
    return attempts;
  }
};

}  // namespace

std::chrono::milliseconds phase_pause(const task_context& context, simulated_phase phase) {
  auto faults = read_fault_plan(context);
  return std::chrono::milliseconds(phase == simulated_phase::planning ? faults.planning_ms
                                                                      : faults.verification_ms);
}

void interrupt_simulated_work() {
  {
    std::lock_guard<std::mutex> lock(stopping_mutex);
    stopping = true;
  }
  stopping_changed.notify_all();
}

std::unique_ptr<deployment_driver> make_simulated_driver() {
  return std::make_unique<simulated_driver>();
}

}  // namespace ce::executor
