#include "logging/structured.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <sstream>
#include <string>

#include <spdlog/sinks/ostream_sink.h>
#include <boost/json.hpp>

namespace json = boost::json;
using ce::logging::log_format;

namespace {

/// Makes the default logger write into `out` with the given format for one test.
struct captured_log {
  explicit captured_log(log_format f) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    auto logger = std::make_shared<spdlog::logger>("core-engine", sink);
    logger->set_formatter(ce::logging::make_formatter(f));
    logger->set_level(spdlog::level::info);
    previous = spdlog::default_logger();
    spdlog::set_default_logger(logger);
  }
  ~captured_log() { spdlog::set_default_logger(previous); }
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> previous;
};

}  // namespace

TEST_CASE("a json line is one object with the message and every field as a key", "[logging]") {
  captured_log log(log_format::json);
  ce::logging::log(spdlog::level::info,
                   {{"request_id", "abc123"}, {"status", 201u}, {"duration_ms", 1.5}}, "request");
  auto text = log.out.str();
  REQUIRE(text.back() == '\n');
  REQUIRE(text.find('\n') == text.size() - 1);  // one line
  auto line = json::parse(text).as_object();
  CHECK(line.at("level") == "info");
  CHECK(line.at("logger") == "core-engine");
  CHECK(line.at("message") == "request");
  CHECK(line.at("request_id") == "abc123");
  CHECK(line.at("status").to_number<int>() == 201);
  CHECK(line.at("duration_ms").to_number<double>() == 1.5);
  auto time = std::string(line.at("time").as_string());
  CHECK(time.size() == 24);  // 2026-12-08T01:47:47.335Z
  CHECK(time.back() == 'Z');
}

TEST_CASE("plain spdlog calls are json lines too, without fields", "[logging]") {
  captured_log log(log_format::json);
  spdlog::warn("store {} is slow", "sqlite");
  auto line = json::parse(log.out.str()).as_object();
  CHECK(line.at("level") == "warn");
  CHECK(line.at("message") == "store sqlite is slow");
}

TEST_CASE("whatever a message holds, the json line parses", "[logging]") {
  captured_log log(log_format::json);
  // Quotes, backslashes, a line break, a control character, valid UTF-8 and a stray byte.
  std::string hostile = "a \"quoted\" \\ path\nnext\x01 \xc3\xa9t\xc3\xa9 \xff end";
  ce::logging::log(spdlog::level::err, {{"path", hostile}}, hostile);
  auto text = log.out.str();
  REQUIRE(text.find('\n') == text.size() - 1);  // the line break was escaped
  auto line = json::parse(text).as_object();
  CHECK(line.at("level") == "error");
  CHECK(std::string(line.at("message").as_string()) ==
        "a \"quoted\" \\ path\nnext\x01 \xc3\xa9t\xc3\xa9 \xef\xbf\xbd end");
}

TEST_CASE("a text line keeps the message and appends the fields as key=value", "[logging]") {
  captured_log log(log_format::text);
  ce::logging::log(spdlog::level::info,
                   {{"method", "GET"}, {"route", "/api/tasks/:taskId"}, {"note", "two words"}},
                   "request");
  auto text = log.out.str();
  CHECK(text.find("[info] request method=GET route=/api/tasks/:taskId note=\"two words\"\n") !=
        std::string::npos);
}

TEST_CASE("a level below the logger's is not written at all", "[logging]") {
  captured_log log(log_format::json);
  ce::logging::log(spdlog::level::debug, {{"k", "v"}}, "hidden");
  CHECK(log.out.str().empty());
}
