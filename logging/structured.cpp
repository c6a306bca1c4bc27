#include "logging/structured.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace ce::logging {

namespace {

// The fields of the line being logged on this thread (null: none). Set only
// around one synchronous log call, so the formatter, which runs inside that
// call, sees exactly that line's fields.
thread_local const fields* current_fields = nullptr;

std::string_view level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

/// "2026-12-08T01:47:47.335Z" (json) or "2026-12-08 01:47:47.335" (text), UTC.
void append_time(std::string& out, std::chrono::system_clock::time_point when, bool iso) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[40];
  int n =
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02d%c%02d:%02d:%02d.%03d%s", utc.tm_year + 1900,
                    utc.tm_mon + 1, utc.tm_mday, iso ? 'T' : ' ', utc.tm_hour, utc.tm_min,
                    utc.tm_sec, static_cast<int>(ms % 1000), iso ? "Z" : "");
  out.append(buf, static_cast<std::size_t>(n));
}

void append_number(std::string& out, double value) {
  char buf[32];
  // Whole numbers without a fraction; the rest with up to 3 decimals (ms durations).
  int n = std::floor(value) == value && std::fabs(value) < 1e15
              ? std::snprintf(buf, sizeof buf, "%.0f", value)
              : std::snprintf(buf, sizeof buf, "%.3f", value);
  out.append(buf, static_cast<std::size_t>(n));
}

/// A text-format value: bare when it is one plain word, else as a JSON string.
void append_text_value(std::string& out, std::string_view text) {
  bool plain = !text.empty();
  for (char c : text)
    plain = plain && static_cast<unsigned char>(c) > ' ' && c != '"' && c != '\\' && c != 0x7f;
  if (plain)
    out.append(text);
  else
    append_json_string(out, text);
}

class line_formatter final : public spdlog::formatter {
 public:
  explicit line_formatter(log_format f) : format_(f) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line;
    line.reserve(msg.payload.size() + 128);
    std::string_view payload(msg.payload.data(), msg.payload.size());
    if (format_ == log_format::json) {
      line += "{\"time\":\"";
      append_time(line, msg.time, true);
      line += "\",\"level\":\"";
      line += level_name(msg.level);
      line += "\",\"logger\":";
      append_json_string(line, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
      line += ",\"message\":";
      append_json_string(line, payload);
      if (current_fields)
        for (const auto& f : *current_fields) {
          line += ',';
          append_json_string(line, f.key);
          line += ':';
          if (f.is_number)
            append_number(line, f.number);
          else
            append_json_string(line, f.text);
        }
      line += "}\n";
    } else {
      append_time(line, msg.time, false);
      line += " [";
      line += level_name(msg.level);
      line += "] ";
      line += payload;
      if (current_fields)
        for (const auto& f : *current_fields) {
          line += ' ';
          line += f.key;
          line += '=';
          if (f.is_number)
            append_number(line, f.number);
          else
            append_text_value(line, f.text);
        }
      line += '\n';
    }
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<line_formatter>(format_);
  }

 private:
  log_format format_;
};

/// Length of the well-formed UTF-8 sequence at `i` (0: not one).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  std::size_t length = lead < 0xc2 ? 0 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : lead < 0xf5 ? 4 : 0;
  if (length == 0 || i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k)
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
  // Overlong forms, UTF-16 surrogates and code points past U+10FFFF.
  if ((lead == 0xe0 && byte(i + 1) < 0xa0) || (lead == 0xed && byte(i + 1) > 0x9f) ||
      (lead == 0xf0 && byte(i + 1) < 0x90) || (lead == 0xf4 && byte(i + 1) > 0x8f))
    return 0;
  return length;
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      // Whatever a client sent, the line stays valid JSON: a byte that is not
      // part of well-formed UTF-8 becomes U+FFFD.
      auto length = utf8_sequence_length(text, i);
      if (length == 0) {
        out += "\\ufffd";
      } else {
        out.append(text.substr(i, length));
        i += length - 1;
      }
      continue;
    }
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
      default:
        if (u < 0x20 || u == 0x7f) {
          out += "\\u00";
          out += hex[u >> 4];
          out += hex[u & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void log(spdlog::level::level_enum level, fields extra, std::string_view message) {
  auto* logger = spdlog::default_logger_raw();
  if (!logger->should_log(level)) return;
  current_fields = &extra;
  logger->log(level, "{}", message);
  current_fields = nullptr;
}

std::unique_ptr<spdlog::formatter> make_formatter(log_format f) {
  return std::make_unique<line_formatter>(f);
}

}  // namespace ce::logging
