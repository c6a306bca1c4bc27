// How the binary is started and stopped: flags, environment, config file and
// signals. Legacy mode has its own file, legacy_test.cpp.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "tests/e2e/support/api.hpp"

namespace ce::e2e {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

/// The contract's bound on a clean stop after SIGTERM/SIGINT.
constexpr milliseconds stop_deadline = seconds(5);

/// A config file in its own temporary directory, removed afterwards.
struct config_file {
  explicit config_file(const std::string& contents) {
    path =
        (std::filesystem::temp_directory_path() / ("ce-e2e-config-" + std::to_string(::getpid()) +
                                                   "-" + std::to_string(counter++) + ".toml"))
            .string();
    std::ofstream(path) << contents;
  }
  ~config_file() { std::filesystem::remove(path); }
  std::string path;
  static inline int counter = 0;
};

}  // namespace

TEST_CASE("--help lists every flag and environment variable and exits 0", "[e2e][config]") {
  auto run = run_to_exit({"--help"});
  auto text = run.out + run.err;
  INFO(text);
  REQUIRE(run.status.exited);
  CHECK(run.status.code == 0);
  for (const char* flag : {"--port", "--ws-port", "--bind", "--data-dir", "--config",
                           "--legacy-api", "--log-level", "--help"})
    CHECK(text.find(flag) != std::string::npos);
  for (const char* variable : {"PORT", "WS_PORT", "LOG_LEVEL", "GENERATOR_SERVICE_URL"})
    CHECK(text.find(variable) != std::string::npos);
  CHECK(parse_listening_line(run.out.substr(0, run.out.find('\n'))) == std::nullopt);
}

TEST_CASE("an unknown flag exits non-zero with a message naming it", "[e2e][config]") {
  auto run = run_to_exit({"--port", "0", "--ws-port", "0", "--frobnicate"});
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  REQUIRE(run.status.exited);
  CHECK(run.status.code != 0);
  CHECK(run.err.find("--frobnicate") != std::string::npos);
  CHECK(run.out.find("listening") == std::string::npos);
}

TEST_CASE("an invalid flag value exits non-zero with a message naming the flag", "[e2e][config]") {
  auto run = run_to_exit({"--port", "not-a-port", "--ws-port", "0"});
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  REQUIRE(run.status.exited);
  CHECK(run.status.code != 0);
  CHECK(run.err.find("--port") != std::string::npos);
}

TEST_CASE("ports come from flag, then environment, then config file", "[e2e][config]") {
  auto flag_port = free_tcp_port();
  auto env_port = free_tcp_port();
  auto file_port = free_tcp_port();
  config_file file("port = " + std::to_string(file_port) + "\nws-port = 0\n");
  auto start = [](std::vector<std::string> args, std::map<std::string, std::string> env) {
    server_options options;
    options.ephemeral_ports = false;
    options.args = std::move(args);
    options.env = std::move(env);
    return std::make_unique<server_process>(std::move(options));
  };

  SECTION("the config file alone sets the port") {
    auto server = start({"--config", file.path}, {});
    CHECK(server->http_port() == file_port);
  }
  SECTION("the environment beats the config file") {
    auto server = start({"--config", file.path}, {{"PORT", std::to_string(env_port)}});
    CHECK(server->http_port() == env_port);
  }
  SECTION("a flag beats the environment and the config file") {
    auto server = start({"--config", file.path, "--port", std::to_string(flag_port)},
                        {{"PORT", std::to_string(env_port)}});
    CHECK(server->http_port() == flag_port);
  }
  SECTION("WS_PORT sets the WebSocket port") {
    auto ws_port = free_tcp_port();
    auto server = start({"--port", "0"}, {{"WS_PORT", std::to_string(ws_port)}});
    CHECK(server->ws_port() == ws_port);
    CHECK(server->http_port() != ws_port);
  }
}

TEST_CASE("a misspelt key in the config file is refused", "[e2e][config]") {
  config_file file("prot = 3004\n");
  auto run = run_to_exit({"--config", file.path, "--port", "0", "--ws-port", "0"});
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  REQUIRE(run.status.exited);
  CHECK(run.status.code != 0);
  CHECK(run.err.find("prot") != std::string::npos);
}

TEST_CASE("SIGTERM and SIGINT stop the server cleanly within 5 s", "[e2e][config]") {
  auto signal_number = GENERATE(SIGTERM, SIGINT);
  INFO("signal " << signal_number);
  engine e;
  // Leave work in flight and a connection open: neither may delay the stop.
  auto task_id =
      text(create_task(e.client, task_body("aws", "staging", {"vpc", "eks", "rds"})), "id");
  expect_ok(e.client.post("/api/tasks/" + task_id + "/execute"), 202);
  auto stopped = e.server.stop(signal_number, stop_deadline + seconds(5));
  INFO("server stderr:\n" << e.server.captured_stderr());
  REQUIRE(stopped.exited);
  CHECK(stopped.code == 0);
  CHECK(stopped.elapsed < stop_deadline);
}

TEST_CASE("--log-level debug starts and writes its logs to stderr", "[e2e][config]") {
  server_options options;
  options.args = {"--log-level", "debug"};
  engine e(std::move(options));
  expect_ok(e.client.get("/api/statistics"), 200);
  auto stopped = e.server.stop(SIGTERM, stop_deadline);
  CHECK(stopped.code == 0);
  CHECK_FALSE(e.server.captured_stderr().empty());
}

}  // namespace ce::e2e
