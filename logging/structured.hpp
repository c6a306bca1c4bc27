// Log lines with fields: a request's id, method, route and status, a task's id.
// With --log-format json each field is a key of the line's JSON object; in the
// human-readable format the fields follow the message as key=value.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/formatter.h>
#include <spdlog/spdlog.h>

namespace ce::logging {

/// One field of a line. Numbers are written unquoted in JSON.
struct field {
  std::string_view key;
  std::string_view text;
  double number = 0;
  bool is_number = false;

  field(std::string_view k, std::string_view v) : key(k), text(v) {}
  field(std::string_view k, const std::string& v) : key(k), text(v) {}
  field(std::string_view k, const char* v) : key(k), text(v) {}
  field(std::string_view k, double v) : key(k), number(v), is_number(true) {}
  field(std::string_view k, int64_t v) : key(k), number(static_cast<double>(v)), is_number(true) {}
  field(std::string_view k, int v) : key(k), number(v), is_number(true) {}
  field(std::string_view k, unsigned v) : key(k), number(v), is_number(true) {}
};

using fields = std::initializer_list<field>;

/// Logs `message` with `extra` through the default logger (synchronous: the
/// fields are read while the line is formatted, on this thread).
void log(spdlog::level::level_enum level, fields extra, std::string_view message);

enum class log_format { text, json };

/// The formatter of every line: text ("2026-12-08 01:47:47.335 [info] message key=value")
/// or one JSON object per line ({"time":...,"level":...,"logger":...,"message":...,<fields>}).
std::unique_ptr<spdlog::formatter> make_formatter(log_format);

/// Appends `text` as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view text);

}  // namespace ce::logging
