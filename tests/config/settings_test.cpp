#include "config/settings.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include <catch2/catch.hpp>

using ce::config::load;

namespace {

std::map<std::string, std::string> fake_env;
const char* lookup(const char* name) {
  auto it = fake_env.find(name);
  return it == fake_env.end() ? nullptr : it->second.c_str();
}

std::string write_temp_config(const std::string& text) {
  char path[] = "/tmp/ce-config-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("with nothing given the defaults of the contract apply", "[config]") {
  fake_env.clear();
  auto r = load({}, lookup);
  REQUIRE_FALSE(r.should_exit);
  CHECK(r.values.http_port == 3004);  // PORT default of the original service
  CHECK(r.values.ws_port == 3104);    // WS_PORT default of the original service
  CHECK(r.values.bind == "127.0.0.1");
  CHECK(r.values.data_dir == "./data");
  CHECK_FALSE(r.values.legacy_api);
}

TEST_CASE("a flag beats the environment, which beats the file, which beats the default",
          "[config]") {
  auto file = write_temp_config("port = 7000\nws-port = 7100\nlog-level = \"warn\"\n");
  fake_env = {{"PORT", "7500"}};
  auto r = load({"--config", file}, lookup);
  REQUIRE_FALSE(r.should_exit);
  CHECK(r.values.http_port == 7500);  // env over file
  CHECK(r.values.ws_port == 7100);    // file over default
  CHECK(r.values.log_level == "warn");

  r = load({"--config", file, "--port", "7600"}, lookup);
  REQUIRE_FALSE(r.should_exit);
  CHECK(r.values.http_port == 7600);  // flag over env
  std::remove(file.c_str());
  fake_env.clear();
}

TEST_CASE("the checked-in config file holds the built-in defaults", "[config]") {
  fake_env.clear();
  auto from_file = load({"--config", CE_DEFAULT_CONFIG_FILE}, lookup);
  REQUIRE_FALSE(from_file.should_exit);
  auto builtin = load({}, lookup);
  CHECK(from_file.values.http_port == builtin.values.http_port);
  CHECK(from_file.values.ws_port == builtin.values.ws_port);
  CHECK(from_file.values.data_dir == builtin.values.data_dir);
  CHECK(from_file.values.cost_limit_usd == builtin.values.cost_limit_usd);
  CHECK(from_file.values.execution_timeout_s == builtin.values.execution_timeout_s);
}

TEST_CASE("the checked-in config file is exactly what the option table writes", "[config]") {
  std::ifstream file(CE_DEFAULT_CONFIG_FILE, std::ios::binary);
  REQUIRE(file);
  std::string checked_in((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  INFO("regenerate with: core-engine --print-default-config > config/core-engine.toml");
  CHECK(checked_in == ce::config::default_config_text());
  auto printed = load({"--print-default-config"}, lookup);
  CHECK(printed.should_exit);
  CHECK(printed.exit_code == 0);
  CHECK(printed.message == checked_in);
}

TEST_CASE("every rule of the table is stated with the flag it belongs to", "[config]") {
  fake_env.clear();
  auto r = load({"--ws-idle-timeout", "1", "--step-timeout", "0", "--store", "disk",
                 "--max-body-bytes", "10", "--commit-delay-us", "-1"},
                lookup);
  REQUIRE(r.should_exit);
  CHECK(r.exit_code == 2);
  CHECK(r.message.find("--ws-idle-timeout must be at least 2 seconds") != std::string::npos);
  CHECK(r.message.find("--step-timeout must be at least 1 second\n") != std::string::npos);
  CHECK(r.message.find("--store must be one of sqlite, memory") != std::string::npos);
  CHECK(r.message.find("--max-body-bytes must be between 1024 and 67108864") != std::string::npos);
  CHECK(r.message.find("--commit-delay-us must be between 0 and 1000000") != std::string::npos);
}

TEST_CASE("an environment variable stands for its flag, and the flag wins", "[config]") {
  fake_env = {{"NODE_ID", "from-env"}, {"LOG_LEVEL", "debug"}};
  auto from_env = load({}, lookup);
  REQUIRE_FALSE(from_env.should_exit);
  CHECK(from_env.values.node_id == "from-env");
  CHECK(from_env.values.log_level == "debug");
  auto flag_wins = load({"--node-id", "from-flag"}, lookup);
  REQUIRE_FALSE(flag_wins.should_exit);
  CHECK(flag_wins.values.node_id == "from-flag");
  fake_env.clear();
}

TEST_CASE("--help lists every option and asks to exit successfully", "[config]") {
  auto r = load({"--help"}, lookup);
  REQUIRE(r.should_exit);
  CHECK(r.exit_code == 0);
  for (const char* flag : {"--port", "--ws-port", "--bind", "--data-dir", "--config",
                           "--legacy-api", "--log-level", "--generator-service-url"})
    CHECK(r.message.find(flag) != std::string::npos);
}

TEST_CASE("an unknown flag or a bad value is refused with a clear message", "[config]") {
  auto r = load({"--prot", "1"}, lookup);
  CHECK(r.should_exit);
  CHECK(r.exit_code != 0);
  CHECK(r.message.find("--prot") != std::string::npos);

  r = load({"--port", "seventy"}, lookup);
  CHECK(r.should_exit);
  CHECK(r.exit_code != 0);
}

TEST_CASE("semantic errors are all reported at once", "[config]") {
  auto r = load({"--log-level", "loud", "--io-threads", "0", "--cost-limit", "-5"}, lookup);
  REQUIRE(r.should_exit);
  CHECK(r.exit_code != 0);
  CHECK(r.message.find("--log-level") != std::string::npos);
  CHECK(r.message.find("--io-threads") != std::string::npos);
  CHECK(r.message.find("--cost-limit") != std::string::npos);
}

TEST_CASE("a misspelt key in the config file is an error, not silently ignored", "[config]") {
  auto file = write_temp_config("prot = 7000\n");
  auto r = load({"--config", file}, lookup);
  CHECK(r.should_exit);
  CHECK(r.exit_code != 0);
  std::remove(file.c_str());
}

TEST_CASE("a bind beyond loopback is refused without --insecure", "[config]") {
  fake_env.clear();
  for (const char* address : {"0.0.0.0", "::", "192.168.1.10", "example.org"}) {
    INFO(address);
    auto r = load({"--bind", address}, lookup);
    REQUIRE(r.should_exit);
    CHECK(r.exit_code != 0);
    CHECK(r.message.find("--insecure") != std::string::npos);
    CHECK_FALSE(load({"--bind", address, "--insecure"}, lookup).should_exit);
  }
  for (const char* address : {"127.0.0.1", "127.0.0.2", "::1", "localhost"}) {
    INFO(address);
    CHECK_FALSE(load({"--bind", address}, lookup).should_exit);
  }
}

TEST_CASE("tokens come from flags, the environment or the file, flags first", "[config][tokens]") {
  const std::string a = "alice:operator:" + std::string(64, 'a');
  const std::string b = "bob:viewer:" + std::string(64, 'b');
  const std::string c = "carol:admin:" + std::string(64, 'c');
  auto file = write_temp_config("tokens = [\"" + a + "\", \"" + b + "\"]\n");
  fake_env.clear();
  auto from_file = load({"--config", file}, lookup);
  REQUIRE_FALSE(from_file.should_exit);
  CHECK(from_file.values.tokens == std::vector<std::string>{a, b});
  fake_env = {{"CORE_ENGINE_TOKENS", c + "," + a}};
  auto from_env = load({"--config", file}, lookup);
  REQUIRE_FALSE(from_env.should_exit);
  CHECK(from_env.values.tokens == std::vector<std::string>{c, a});
  auto from_flag = load({"--config", file, "--tokens", b}, lookup);
  REQUIRE_FALSE(from_flag.should_exit);
  CHECK(from_flag.values.tokens == std::vector<std::string>{b});
  std::remove(file.c_str());
  fake_env.clear();
}

TEST_CASE("every malformed token entry is listed at once, with the other errors",
          "[config][tokens]") {
  fake_env.clear();
  auto r = load({"--tokens", "alice:root:" + std::string(64, 'a') + ",bob:viewer:ce_plaintoken",
                 "--io-threads", "0"},
                lookup);
  REQUIRE(r.should_exit);
  CHECK(r.exit_code == 2);
  CHECK(r.message.find("alice:root") != std::string::npos);
  CHECK(r.message.find("bob:viewer") != std::string::npos);
  CHECK(r.message.find("ce_plaintoken") == std::string::npos);  // a leaked token is not echoed
  CHECK(r.message.find("--io-threads") != std::string::npos);
}

TEST_CASE("a non-loopback bind is allowed once tokens are configured", "[config][tokens]") {
  fake_env.clear();
  auto open = load({"--bind", "0.0.0.0"}, lookup);
  CHECK(open.should_exit);
  auto guarded =
      load({"--bind", "0.0.0.0", "--tokens", "ada:admin:" + std::string(64, 'a')}, lookup);
  CHECK_FALSE(guarded.should_exit);
}

TEST_CASE("self-approval is refused in production unless configured otherwise",
          "[config][tokens]") {
  fake_env.clear();
  CHECK(load({}, lookup).values.no_self_approval_in == std::vector<std::string>{"production"});
  CHECK(load({"--no-self-approval-in", "production,staging"}, lookup).values.no_self_approval_in ==
        std::vector<std::string>{"production", "staging"});
}

TEST_CASE("limits are off by default and may not be negative", "[config][limits]") {
  fake_env.clear();
  auto defaults = load({}, lookup);
  CHECK(defaults.values.max_requests_per_token == 0);
  CHECK(defaults.values.max_connections == 0);
  auto r =
      load({"--max-requests-per-ip", "-1", "--ws-message-rate", "-2", "--max-connections", "-3"},
           lookup);
  REQUIRE(r.should_exit);
  CHECK(r.message.find("--max-requests-per-ip") != std::string::npos);
  CHECK(r.message.find("--ws-message-rate") != std::string::npos);
  CHECK(r.message.find("--max-connections must") != std::string::npos);
}

TEST_CASE("the Generator Service's options are checked with the others", "[config]") {
  fake_env.clear();
  auto r = load({"--generator-fallback", "silent", "--generator-attempts", "0",
                 "--generator-backoff-ms", "500", "--generator-backoff-max-ms", "100"},
                lookup);
  REQUIRE(r.should_exit);
  CHECK(r.exit_code == 2);
  CHECK(r.message.find("--generator-fallback must be one of none, builtin") != std::string::npos);
  CHECK(r.message.find("--generator-attempts must be between 1 and 20") != std::string::npos);
  CHECK(r.message.find("--generator-backoff-max-ms must be between --generator-backoff-ms") !=
        std::string::npos);
  auto ok = load({"--generator-fallback", "builtin"}, lookup);
  CHECK_FALSE(ok.should_exit);
  CHECK(ok.values.generator_fallback == "builtin");
  CHECK(ok.values.generator_attempts == 3);
}
