#include "tests/e2e/support/fake_generator.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

extern char** environ;

namespace ce::e2e {

fake_generator::fake_generator(const std::string& mode, int delay_ms) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  std::vector<std::string> args{"python3",    CE_FAKE_GENERATOR_SCRIPT, "--mode", mode,
                                "--delay-ms", std::to_string(delay_ms)};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int rc = ::posix_spawnp(&pid_, "python3", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw std::runtime_error(std::string("cannot start python3: ") + std::strerror(rc));
  }
  // "fake-generator listening port=P"
  std::string line;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (line.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    pollfd entry{fds[0], POLLIN, 0};
    if (left.count() <= 0 || ::poll(&entry, 1, static_cast<int>(left.count())) <= 0) break;
    char chunk[256];
    auto n = ::read(fds[0], chunk, sizeof chunk);
    if (n <= 0) break;
    line.append(chunk, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  auto at = line.find("port=");
  if (at == std::string::npos) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    throw std::runtime_error("the fake generator service did not start: '" + line + "'");
  }
  port_ = static_cast<uint16_t>(std::stoi(line.substr(at + 5)));
  control_ = std::make_unique<http_client>("127.0.0.1", port_);
}

fake_generator::~fake_generator() {
  control_.reset();
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // reaping, not synchronising
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

void fake_generator::control(const std::string& mode, std::optional<int> times, int delay_ms) {
  boost::json::object body{{"mode", mode}, {"delay_ms", delay_ms}};
  if (times) body["times"] = *times;
  auto r = control_->post("/_control", body);
  if (r.status != 200) throw std::runtime_error("the fake generator refused its control call");
}

boost::json::object fake_generator::stats() {
  auto r = control_->get("/_stats");
  return boost::json::parse(r.body).as_object();
}

int64_t fake_generator::connections() {
  return stats().at("connections").to_number<int64_t>();
}

int64_t fake_generator::calls(const std::string& path) {
  auto s = stats();
  auto* n = s.at("calls").as_object().if_contains(path);
  return n ? n->to_number<int64_t>() : 0;
}

}  // namespace ce::e2e
