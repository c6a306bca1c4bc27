#include "messages/json_codec.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <type_traits>

#include <simdjson.h>

#include "messages/clock.hpp"
#include "messages/requirements.hpp"

namespace ce::codec {

namespace json = boost::json;

// ---- output -----------------------------------------------------------------

namespace {

json::string str(std::string_view s) {
  return json::string(s.data(), s.size());
}

json::array strings(const std::vector<std::string>& items) {
  json::array out;
  out.reserve(items.size());
  for (const auto& s : items) out.push_back(str(s));
  return out;
}

void put_time(json::object& o, std::string_view key, timestamp_ms t) {
  if (t != 0) o[key] = str(iso8601(t));
}

void put_optional(json::object& o, std::string_view key, const std::string& s) {
  if (!s.empty()) o[key] = str(s);
}

void put_optional(json::object& o, std::string_view key, const json_doc& doc) {
  if (!doc.empty_object()) o[key] = to_json(doc);
}

/// A check's expected/actual value. Stores written before these were JSON values hold a
/// sentence: it is shown as the string it was.
void put_check_value(json::object& o, std::string_view key, const json_doc& doc) {
  if (doc.text.empty()) return;
  boost::system::error_code ec;
  auto value = json::parse(doc.text, ec);
  o[key] = ec ? json::value(str(doc.text)) : std::move(value);
}

json::object context_json(const task_context& c) {
  json::object o;
  o["provider"] = str(to_string(c.provider));
  o["environment"] = str(c.environment);
  put_optional(o, "region", c.region);
  o["components"] = strings(c.components);
  put_optional(o, "requirements", c.requirements);
  return o;
}

}  // namespace

json::value to_json(const json_doc& doc) {
  if (doc.text.empty()) return json::object{};
  boost::system::error_code ec;
  auto value = json::parse(doc.text, ec);
  if (ec) return nullptr;
  return value;
}

json_doc to_doc(const json::value& v) {
  return json_doc{codec::serialize(v)};
}

namespace {

void write_string(std::string& out, json::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 0xf]);
        } else {
          out.push_back(ch);  // UTF-8 passes through unchanged
        }
    }
  }
  out.push_back('"');
}

void write_double(std::string& out, double d) {
  if (!std::isfinite(d)) {  // JSON has no NaN or infinity
    out += "null";
    return;
  }
  char buffer[400];  // the longest fixed-notation double below 1e21 fits
  // Fixed notation for every ordinary magnitude, shortest digits that read back
  // as the same double; scientific only where fixed would be absurdly long.
  auto format = std::fabs(d) < 1e21 && (d == 0 || std::fabs(d) >= 1e-7)
                    ? std::chars_format::fixed
                    : std::chars_format::general;
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d, format);
  out.append(buffer, end);
}

void write_value(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      out += "null";
      return;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case json::kind::int64: {
      char buffer[24];
      auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v.get_int64());
      out.append(buffer, end);
      return;
    }
    case json::kind::uint64: {
      char buffer[24];
      auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v.get_uint64());
      out.append(buffer, end);
      return;
    }
    case json::kind::double_:
      write_double(out, v.get_double());
      return;
    case json::kind::string:
      write_string(out, v.get_string());
      return;
    case json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out.push_back(',');
        first = false;
        write_value(out, item);
      }
      out.push_back(']');
      return;
    }
    case json::kind::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out.push_back(',');
        first = false;
        write_string(out, kv.key());
        out.push_back(':');
        write_value(out, kv.value());
      }
      out.push_back('}');
      return;
    }
  }
}

}  // namespace

// Boost.JSON 1.81 writes doubles as 1.813E2 or 3E0; the contract asks for the
// shortest plain decimal that round-trips (181.3, 3), so numbers are written here.
std::string serialize(const json::value& v) {
  std::string out;
  out.reserve(256);
  write_value(out, v);
  return out;
}

json::value to_json(const task& t) {
  json::object o;
  o["id"] = str(t.id);
  o["type"] = str(to_string(t.type));
  o["status"] = str(to_string(t.status));
  o["priority"] = str(to_string(t.prio));
  o["user_id"] = str(t.user_id);
  put_time(o, "created_at", t.created_at);
  put_time(o, "updated_at", t.updated_at);
  put_time(o, "completed_at", t.completed_at);
  o["context"] = context_json(t.context);
  json::object execution;
  put_optional(execution, "plan_id", t.execution.plan_id);
  put_optional(execution, "execution_id", t.execution.execution_id);
  put_optional(execution, "verification_id", t.execution.verification_id);
  o["execution"] = std::move(execution);
  if (t.result.present) {
    json::object result;
    result["success"] = t.result.success;
    put_optional(result, "outputs", t.result.outputs);
    result["artifacts"] = strings(t.result.artifacts);
    result["errors"] = strings(t.result.errors);
    o["result"] = std::move(result);
  }
  put_optional(o, "metadata", t.metadata);
  if (t.status == task_status::queued && t.queue_position > 0)
    o["queue_position"] = t.queue_position;
  return o;
}

json::value to_json(const plan_step& s) {
  json::object o;
  o["id"] = str(s.id);
  o["order"] = s.order;
  o["type"] = str(to_string(s.type));
  o["description"] = str(s.description);
  put_optional(o, "component", s.component);
  o["action"] = str(s.action);
  o["parameters"] = to_json(s.parameters);
  o["status"] = str(to_string(s.status));
  put_time(o, "started_at", s.started_at);
  put_time(o, "completed_at", s.completed_at);
  if (s.duration_ms >= 0) o["duration"] = s.duration_ms;
  o["depends_on"] = strings(s.depends_on);
  if (!s.rollback_action.empty()) {
    o["rollback_action"] = str(s.rollback_action);
    o["rollback_parameters"] = to_json(s.rollback_parameters);
  }
  if (s.parallel_stage >= 0) o["parallel_stage"] = s.parallel_stage;
  return o;
}

json::value to_json(const plan_dependency& d) {
  json::object o;
  o["step_id"] = str(d.step_id);
  o["depends_on"] = strings(d.depends_on);
  o["type"] = str(to_string(d.type));
  return o;
}

json::value to_json(const risk& r) {
  json::object o;
  o["id"] = str(r.id);
  o["severity"] = str(to_string(r.level));
  o["category"] = str(to_string(r.category));
  o["description"] = str(r.description);
  put_optional(o, "mitigation", r.mitigation);
  o["probability"] = r.probability;
  o["impact"] = r.impact;
  return o;
}

json::value to_json(const plan& p) {
  json::object o;
  o["id"] = str(p.id);
  o["task_id"] = str(p.task_id);
  o["status"] = str(to_string(p.status));
  put_time(o, "created_at", p.created_at);
  put_time(o, "updated_at", p.updated_at);
  o["type"] = str(to_string(p.type));
  o["context"] = context_json(p.context);
  o["steps"] = to_json_array(p.steps);
  o["dependencies"] = to_json_array(p.dependencies);
  o["estimated_duration"] = p.estimated_duration_s;
  o["estimated_cost"] = p.estimated_cost;
  o["risks"] = to_json_array(p.risks);
  o["risk_level"] = str(to_string(p.risk_level));
  o["requires_approval"] = p.requires_approval;
  put_optional(o, "approved_by", p.approved_by);
  put_time(o, "approved_at", p.approved_at);
  return o;
}

namespace {

/// Where an artifact is as clients see it: "<task id>/<file>" under the node's
/// artifacts directory. The server's own directories are nobody else's business.
std::string public_path(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return path;
  auto parent = path.rfind('/', slash - 1);
  return parent == std::string::npos ? path : path.substr(parent + 1);
}

}  // namespace

json::value to_json(const artifact& a) {
  json::object o;
  o["id"] = str(a.id);
  o["type"] = str(to_string(a.type));
  o["name"] = str(a.name);
  o["path"] = str(public_path(a.path));
  o["size"] = a.size;
  o["checksum"] = str(a.checksum);
  put_time(o, "created_at", a.created_at);
  return o;
}

json::value to_json(const log_entry& l) {
  json::object o;
  put_time(o, "timestamp", l.timestamp);
  o["level"] = str(to_string(l.level));
  o["message"] = str(l.message);
  put_optional(o, "context", l.context);
  return o;
}

json::value to_json(const execution_result& r) {
  json::object o;
  o["id"] = str(r.id);
  o["plan_id"] = str(r.plan_id);
  o["step_id"] = str(r.step_id);
  o["status"] = str(to_string(r.status));
  put_time(o, "started_at", r.started_at);
  put_time(o, "completed_at", r.completed_at);
  o["duration"] = r.duration_ms;
  put_optional(o, "outputs", r.outputs);
  o["artifacts"] = to_json_array(r.artifacts);
  o["logs"] = to_json_array(r.logs);
  if (!r.error.code.empty()) {
    json::object error;
    error["code"] = str(r.error.code);
    error["message"] = str(r.error.message);
    put_optional(error, "details", r.error.details);
    o["error"] = std::move(error);
  }
  return o;
}

json::value to_json(const verification_check& c) {
  json::object o;
  o["id"] = str(c.id);
  o["type"] = str(to_string(c.type));
  o["name"] = str(c.name);
  o["description"] = str(c.description);
  o["status"] = str(to_string(c.status));
  put_check_value(o, "expected", c.expected);
  put_check_value(o, "actual", c.actual);
  put_optional(o, "error", c.error);
  put_optional(o, "remediation", c.remediation);
  return o;
}

json::value to_json(const verification_result& r) {
  json::object o;
  o["id"] = str(r.id);
  o["execution_id"] = str(r.execution_id);
  o["status"] = str(to_string(r.status));
  put_time(o, "started_at", r.started_at);
  put_time(o, "completed_at", r.completed_at);
  o["checks"] = to_json_array(r.checks);
  o["summary"] = json::object{{"total_checks", r.total_checks},
                              {"passed", r.passed},
                              {"failed", r.failed},
                              {"warnings", r.warnings}};
  return o;
}

json::value to_json(const safety_check_info& c) {
  json::object o;
  o["id"] = str(c.id);
  o["name"] = str(c.name);
  o["description"] = str(c.description);
  o["type"] = str(to_string(c.phase));
  o["category"] = str(to_string(c.category));
  o["severity"] = str(to_string(c.level));
  return o;
}

json::value to_json(const safety_check_result& r) {
  json::object o;
  o["check_id"] = str(r.check_id);
  o["name"] = str(r.name);
  o["passed"] = r.passed;
  o["severity"] = str(to_string(r.level));
  o["message"] = str(r.message);
  put_optional(o, "details", r.details);
  o["can_proceed"] = r.can_proceed;
  o["requires_approval"] = r.requires_approval;
  return o;
}

json::value to_json(const safety_report& r) {
  json::object o;
  o["passed"] = r.passed;
  o["results"] = to_json_array(r.results);
  o["blockers"] = to_json_array(r.blockers);
  o["requires_approval"] = r.requires_approval;
  o["type"] = str(to_string(r.phase));
  return o;
}

json::value to_json(const plan_validation& v) {
  json::object o;
  o["valid"] = v.valid;
  o["errors"] = strings(v.errors);
  return o;
}

json::value to_json(const event& e) {
  json::object o;
  o["id"] = str(e.id);
  o["seq"] = e.seq;
  o["task_id"] = str(e.task_id);
  o["type"] = str(e.type);
  put_time(o, "timestamp", e.timestamp);
  put_optional(o, "data", e.data);
  put_optional(o, "user_id", e.user_id);
  return o;
}

// ---- input ------------------------------------------------------------------

namespace {

namespace dom = simdjson::dom;

std::string join(const std::vector<std::string_view>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

std::vector<std::string_view> step_type_names() {
  return {to_string(step_type::generate), to_string(step_type::validate),
          to_string(step_type::deploy), to_string(step_type::configure),
          to_string(step_type::verify)};
}

bool parse(std::string_view s, step_type& out) {
  const auto names = step_type_names();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == s) {
      out = static_cast<step_type>(i);
      return true;
    }
  return false;
}

template <class Enum>
std::vector<std::string_view> names_of() {
  if constexpr (std::is_same_v<Enum, step_type>)
    return step_type_names();
  else
    return all_names<Enum>();
}

/// The member `key` of `obj`; nothing when it is absent or null.
std::optional<dom::element> member(dom::object obj, std::string_view key) {
  dom::element e;
  if (obj.at_key(key).get(e) != simdjson::SUCCESS || e.is_null()) return std::nullopt;
  return e;
}

enum class presence { optional, required };

/// Reads fields and collects every problem with its field name.
class checker {
 public:
  std::vector<field_error> errors;

  void fail(std::string field, std::string message) {
    errors.push_back({std::move(field), std::move(message)});
  }

  /// A string of at most max_string_bytes without control characters
  /// (prose may hold tabs and line breaks); `non_empty` also refuses "".
  bool text(std::optional<dom::element> e, const std::string& field, std::string& out, presence p,
            bool non_empty = false, bool prose = false) {
    if (!e) {
      if (p == presence::required) fail(field, "is required");
      return false;
    }
    std::string_view s;
    if (e->get_string().get(s) != simdjson::SUCCESS) {
      fail(field, "must be a string");
      return false;
    }
    if (non_empty && s.empty()) {
      fail(field, "must not be empty");
      return false;
    }
    if (s.size() > max_string_bytes) {
      fail(field, "must be at most " + std::to_string(max_string_bytes) + " bytes");
      return false;
    }
    for (char ch : s) {
      auto u = static_cast<unsigned char>(ch);
      bool line_space = ch == '\t' || ch == '\n' || ch == '\r';
      if ((u < 0x20 || u == 0x7f) && !(prose && line_space)) {
        fail(field, prose ? "must not contain control characters other than tabs and line breaks"
                          : "must not contain control characters");
        return false;
      }
    }
    out.assign(s);
    return true;
  }

  template <class Enum>
  bool one_of(std::optional<dom::element> e, const std::string& field, Enum& out, presence p) {
    if (!e) {
      if (p == presence::required) fail(field, "is required");
      return false;
    }
    std::string_view s;
    if (e->get_string().get(s) != simdjson::SUCCESS || !parse(s, out)) {
      fail(field, "must be one of " + join(names_of<Enum>()));
      return false;
    }
    return true;
  }

  /// A JSON object kept as its compact text.
  bool object_doc(std::optional<dom::element> e, const std::string& field, json_doc& out,
                  presence p) {
    if (!e) {
      if (p == presence::required) fail(field, "is required");
      return false;
    }
    if (!e->is_object()) {
      fail(field, "must be an object");
      return false;
    }
    out.text = simdjson::minify(*e);
    return true;
  }

  /// An array of non-empty strings.
  bool string_list(std::optional<dom::element> e, const std::string& field,
                   std::vector<std::string>& out, presence p) {
    if (!e) {
      if (p == presence::required) fail(field, "is required");
      return false;
    }
    dom::array items;
    if (e->get_array().get(items) != simdjson::SUCCESS) {
      fail(field, "must be an array of strings");
      return false;
    }
    std::size_t index = 0;
    bool all_good = true;
    for (dom::element item : items) {
      std::string s;
      if (text(item, field + "[" + std::to_string(index) + "]", s, presence::required, true))
        out.push_back(std::move(s));
      else
        all_good = false;
      ++index;
    }
    return all_good;
  }

  bool whole_number(std::optional<dom::element> e, const std::string& field, int32_t& out,
                    presence p) {
    if (!e) {
      if (p == presence::required) fail(field, "is required");
      return false;
    }
    int64_t n = 0;
    if (e->get_int64().get(n) != simdjson::SUCCESS || n < INT32_MIN || n > INT32_MAX) {
      fail(field, "must be a whole number");
      return false;
    }
    out = static_cast<int32_t>(n);
    return true;
  }

  void environment(std::optional<dom::element> e, std::string& out) {
    const std::string field = "context.environment";
    std::string s;
    if (!text(e, field, s, presence::required, true)) return;
    if (s.size() > max_environment_chars) {
      fail(field, "must be at most " + std::to_string(max_environment_chars) + " characters");
      return;
    }
    for (char ch : s) {
      bool allowed = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
      if (!allowed) {
        fail(field, "may contain only a-z, 0-9, '_' and '-'");
        return;
      }
    }
    out = std::move(s);
  }

  void components(std::optional<dom::element> e, std::vector<std::string>& out) {
    const std::string field = "context.components";
    if (!e) {
      fail(field, "is required");
      return;
    }
    dom::array items;
    if (e->get_array().get(items) != simdjson::SUCCESS) {
      fail(field, "must be an array of strings");
      return;
    }
    if (items.size() == 0) {
      fail(field, "must name at least one component");
      return;
    }
    if (items.size() > max_components) {
      fail(field, "must name at most " + std::to_string(max_components) + " components");
      return;
    }
    string_list(e, field, out, presence::required);
  }

  void context(std::optional<dom::element> e, task_context& out) {
    if (!e) {
      fail("context", "is required");
      return;
    }
    dom::object obj;
    if (e->get_object().get(obj) != simdjson::SUCCESS) {
      fail("context", "must be an object");
      return;
    }
    one_of(member(obj, "provider"), "context.provider", out.provider, presence::required);
    environment(member(obj, "environment"), out.environment);
    if (text(member(obj, "region"), "context.region", out.region, presence::optional) &&
        !out.region.empty() && !well_formed_region(out.region))
      fail("context.region",
           "must be a region code like us-east-1 (lower-case letters, digits and '-')");
    components(member(obj, "components"), out.components);
    if (object_doc(member(obj, "requirements"), "context.requirements", out.requirements,
                   presence::optional))
      parse_requirements(out.requirements, &errors, "context.requirements");
  }

  void step(dom::element e, const std::string& field, plan_step& out) {
    dom::object obj;
    if (e.get_object().get(obj) != simdjson::SUCCESS) {
      fail(field, "must be an object");
      return;
    }
    text(member(obj, "id"), field + ".id", out.id, presence::required, true);
    text(member(obj, "action"), field + ".action", out.action, presence::required, true);
    whole_number(member(obj, "order"), field + ".order", out.order, presence::required);
    string_list(member(obj, "depends_on"), field + ".depends_on", out.depends_on,
                presence::optional);
    one_of(member(obj, "type"), field + ".type", out.type, presence::optional);
    text(member(obj, "description"), field + ".description", out.description, presence::optional,
         false, true);
    text(member(obj, "component"), field + ".component", out.component, presence::optional);
    object_doc(member(obj, "parameters"), field + ".parameters", out.parameters,
               presence::optional);
  }
};

/// duplicate_key for the value at `path` ("" for the root), recursing into
/// nested objects and arrays.
std::optional<std::string> duplicate_key_under(dom::element e, const std::string& path) {
  dom::object obj;
  dom::array arr;
  if (e.get_object().get(obj) == simdjson::SUCCESS) {
    std::vector<std::string_view> keys;
    for (auto field : obj) keys.push_back(field.key);
    std::sort(keys.begin(), keys.end());
    if (auto twice = std::adjacent_find(keys.begin(), keys.end()); twice != keys.end())
      return path.empty() ? std::string(*twice) : path + "." + std::string(*twice);
    for (auto field : obj) {
      if (!field.value.is_object() && !field.value.is_array()) continue;
      auto inner = duplicate_key_under(
          field.value, path.empty() ? std::string(field.key) : path + "." + std::string(field.key));
      if (inner) return inner;
    }
  } else if (e.get_array().get(arr) == simdjson::SUCCESS) {
    size_t index = 0;
    for (dom::element item : arr) {
      if (item.is_object() || item.is_array())
        if (auto inner = duplicate_key_under(item, path + "[" + std::to_string(index) + "]"))
          return inner;
      ++index;
    }
  }
  return std::nullopt;
}

/// The body's top-level object, or why there is none.
std::optional<decode_error> parse_object(std::string_view body, dom::object& out) {
  // One parser per thread: it keeps its buffers between requests. Elements
  // point into it, so everything is copied out before the next parse.
  thread_local dom::parser parser;
  if (body.empty())
    return decode_error{
        "request body is not valid JSON: " + std::string(simdjson::error_message(simdjson::EMPTY)),
        {}};
  dom::element root;
  if (auto err = parser.parse(body.data(), body.size()).get(root))
    return decode_error{
        "request body is not valid JSON: " + std::string(simdjson::error_message(err)), {}, true};
  if (root.get_object().get(out) != simdjson::SUCCESS)
    return decode_error{"request body must be a JSON object", {}};
  if (auto twice = duplicate_key(root))
    return decode_error{"request body has the key \"" + *twice + "\" more than once", {}};
  return std::nullopt;
}

bool blank(std::string_view body) {
  return body.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

template <class T>
decoded<T> finish(T value, checker& c) {
  decoded<T> out;
  if (c.errors.empty()) {
    out.value = std::move(value);
    return out;
  }
  const auto& first = c.errors.front();
  std::string message = first.field + " " + first.message;
  if (c.errors.size() > 1)
    message += " (and " + std::to_string(c.errors.size() - 1) + " more, see details)";
  out.error = decode_error{std::move(message), std::move(c.errors)};
  return out;
}

template <class T>
decoded<T> refused(decode_error e) {
  decoded<T> out;
  out.error = std::move(e);
  return out;
}

}  // namespace

std::optional<std::string> duplicate_key(const dom::element& root) {
  return duplicate_key_under(root, "");
}

decoded<create_task_request> decode_create_task(std::string_view body) {
  dom::object obj;
  if (auto e = parse_object(body, obj)) return refused<create_task_request>(std::move(*e));
  checker c;
  create_task_request r;
  c.one_of(member(obj, "type"), "type", r.type, presence::required);
  c.one_of(member(obj, "priority"), "priority", r.prio, presence::optional);
  c.text(member(obj, "user_id"), "user_id", r.user_id, presence::optional);
  c.context(member(obj, "context"), r.context);
  if (c.object_doc(member(obj, "metadata"), "metadata", r.metadata, presence::optional) &&
      r.metadata.text.size() > max_metadata_bytes)
    c.fail("metadata", "must be at most " + std::to_string(max_metadata_bytes) +
                           " bytes of JSON (it is " + std::to_string(r.metadata.text.size()) + ")");
  return finish(std::move(r), c);
}

decoded<generate_plan_request> decode_generate_plan(std::string_view body) {
  dom::object obj;
  if (auto e = parse_object(body, obj)) return refused<generate_plan_request>(std::move(*e));
  checker c;
  generate_plan_request r;
  c.one_of(member(obj, "type"), "type", r.type, presence::required);
  c.context(member(obj, "context"), r.context);
  return finish(std::move(r), c);
}

decoded<safety_check_request> decode_safety_check(std::string_view body) {
  dom::object obj;
  if (auto e = parse_object(body, obj)) return refused<safety_check_request>(std::move(*e));
  checker c;
  safety_check_request r;
  const std::size_t problems_before = c.errors.size();
  c.text(member(obj, "task_id"), "task_id", r.task_id, presence::optional);
  c.text(member(obj, "plan_id"), "plan_id", r.plan_id, presence::optional);
  if (c.errors.size() == problems_before && r.task_id.empty() && r.plan_id.empty())
    c.fail("plan_id", "is required unless task_id is given");
  c.one_of(member(obj, "type"), "type", r.phase, presence::optional);
  return finish(std::move(r), c);
}

decoded<approve_request> decode_approve(std::string_view body) {
  if (blank(body)) return {};
  dom::object obj;
  if (auto e = parse_object(body, obj)) return refused<approve_request>(std::move(*e));
  checker c;
  approve_request r;
  c.text(member(obj, "comment"), "comment", r.comment, presence::optional, false, true);
  c.text(member(obj, "approved_by"), "approved_by", r.approved_by, presence::optional);
  return finish(std::move(r), c);
}

decoded<reject_request> decode_reject(std::string_view body) {
  if (blank(body)) {
    checker c;
    c.fail("reason", "is required");
    return finish(reject_request{}, c);
  }
  dom::object obj;
  if (auto e = parse_object(body, obj)) return refused<reject_request>(std::move(*e));
  checker c;
  reject_request r;
  c.text(member(obj, "reason"), "reason", r.reason, presence::required, true, true);
  c.text(member(obj, "rejected_by"), "rejected_by", r.rejected_by, presence::optional);
  return finish(std::move(r), c);
}

decoded<inline_plan_request> decode_inline_plan(std::string_view body) {
  dom::object obj;
  if (auto e = parse_object(body, obj)) return refused<inline_plan_request>(std::move(*e));
  checker c;
  inline_plan_request r;
  auto steps = member(obj, "steps");
  dom::array items;
  if (!steps) {
    c.fail("steps", "is required");
  } else if (steps->get_array().get(items) != simdjson::SUCCESS) {
    c.fail("steps", "must be an array of steps");
  } else if (items.size() > max_inline_steps) {
    c.fail("steps", "must have at most " + std::to_string(max_inline_steps) + " steps");
  } else {
    std::size_t index = 0;
    for (dom::element item : items) {
      plan_step s;
      c.step(item, "steps[" + std::to_string(index++) + "]", s);
      r.steps.push_back(std::move(s));
    }
  }
  return finish(std::move(r), c);
}

}  // namespace ce::codec
