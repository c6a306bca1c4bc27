#include "tests/e2e/support/server_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace ce::e2e {
namespace {

using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// Variables the server reads; never inherited from the machine running the tests.
const char* const server_variables[] = {"PORT",     "WS_PORT", "LOG_LEVEL", "GENERATOR_SERVICE_URL",
                                        "DATA_DIR", "BIND",    "NODE_ID"};

std::string system_error_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

std::string make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "ce-e2e-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error(system_error_text("mkdtemp"));
  return pattern;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> child_environment(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> result;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string variable = *entry;
    auto name = variable.substr(0, variable.find('='));
    bool is_server_variable = false;
    for (const char* own : server_variables) is_server_variable = is_server_variable || name == own;
    if (!is_server_variable && overrides.count(name) == 0) result.push_back(std::move(variable));
  }
  for (const auto& [name, value] : overrides) result.push_back(name + "=" + value);
  return result;
}

/// posix_spawn with stdout/stderr redirected as given by the file actions.
pid_t spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            posix_spawn_file_actions_t* actions, std::string binary = {}) {
  if (binary.empty()) binary = core_engine_binary();
  if (::access(binary.c_str(), X_OK) != 0)
    throw std::runtime_error("core-engine binary not found or not executable at '" + binary +
                             "' (build target core-engine or set CORE_ENGINE_BINARY)");
  std::vector<std::string> argv_storage{binary};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  auto env_storage = child_environment(env);
  std::vector<char*> envp;
  for (auto& variable : env_storage) envp.push_back(variable.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, binary.c_str(), actions, nullptr, argv.data(), envp.data());
  if (rc != 0) throw std::runtime_error("posix_spawn " + binary + ": " + std::strerror(rc));
  return pid;
}

exit_status to_exit_status(int wait_status, milliseconds elapsed) {
  exit_status result;
  result.elapsed = elapsed;
  if (WIFEXITED(wait_status)) {
    result.exited = true;
    result.code = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    result.signal = WTERMSIG(wait_status);
  }
  return result;
}

/// Waits for `pid` to end, up to `deadline`. Uses a pidfd so the wait wakes
/// the moment the process exits; falls back to polling waitpid.
std::optional<int> wait_for_exit(pid_t pid, milliseconds deadline) {
  auto until = clock_type::now() + deadline;
  int status = 0;
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  for (;;) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0) {
      if (pidfd >= 0) ::close(pidfd);
      throw std::runtime_error(system_error_text("waitpid"));
    }
    auto left = std::chrono::duration_cast<milliseconds>(until - clock_type::now());
    if (left.count() <= 0) {
      if (pidfd >= 0) ::close(pidfd);
      return std::nullopt;
    }
    if (pidfd >= 0) {
      pollfd entry{pidfd, POLLIN, 0};
      ::poll(&entry, 1, static_cast<int>(left.count()));
    } else {
      std::this_thread::sleep_for(std::min(left, milliseconds(10)));
    }
  }
  if (pidfd >= 0) ::close(pidfd);
  return status;
}

}  // namespace

std::string core_engine_binary() {
  if (const char* from_env = std::getenv("CORE_ENGINE_BINARY"); from_env && *from_env)
    return from_env;
  return CE_CORE_ENGINE_BINARY;
}

std::string core_engine_cli_binary() {
  if (const char* from_env = std::getenv("CORE_ENGINE_CLI_BINARY"); from_env && *from_env)
    return from_env;
  return CE_CORE_ENGINE_CLI_BINARY;
}

std::optional<listening_ports> parse_listening_line(const std::string& line) {
  static const std::regex shape(R"(^core-engine listening http=\S+:(\d+) ws=\S+:(\d+)\s*$)");
  std::smatch match;
  if (!std::regex_match(line, match, shape)) return std::nullopt;
  listening_ports ports;
  ports.http = static_cast<uint16_t>(std::stoi(match[1]));
  ports.ws = static_cast<uint16_t>(std::stoi(match[2]));
  return ports;
}

server_process::server_process(server_options options) {
  auto root = make_temp_dir();
  temp_root_ = root;
  stderr_path_ = root + "/stderr.log";
  if (options.data_dir.empty()) {
    data_dir_ = root + "/data";
    std::filesystem::create_directory(data_dir_);
  } else {
    data_dir_ = options.data_dir;
  }

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error(system_error_text("pipe2"));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path_.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> args{"--data-dir", data_dir_};
  if (options.fault_injection) args.emplace_back("--allow-fault-injection");
  if (options.ephemeral_ports) args.insert(args.end(), {"--port", "0", "--ws-port", "0"});
  args.insert(args.end(), options.args.begin(), options.args.end());
  try {
    pid_ = spawn(args, options.env, &actions);
  } catch (...) {
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    std::filesystem::remove_all(root);
    throw;
  }
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  stdout_fd_ = pipe_fds[0];
  try {
    wait_for_listening_line(options.ready_deadline);
  } catch (...) {
    shut_down();
    throw;
  }
}

void server_process::wait_for_listening_line(milliseconds deadline) {
  auto until = clock_type::now() + deadline;
  std::string received;
  for (;;) {
    auto newline = received.find('\n');
    if (newline != std::string::npos) {
      listening_line_ = received.substr(0, newline);
      auto ports = parse_listening_line(listening_line_);
      if (!ports)
        throw std::runtime_error("core-engine printed an unexpected first line on stdout: '" +
                                 listening_line_ + "'\nstderr:\n" + captured_stderr());
      http_port_ = ports->http;
      ws_port_ = ports->ws;
      return;
    }
    auto left = std::chrono::duration_cast<milliseconds>(until - clock_type::now());
    if (left.count() <= 0)
      throw std::runtime_error("core-engine printed no listening line within " +
                               std::to_string(deadline.count()) + " ms\nstderr:\n" +
                               captured_stderr());
    pollfd entry{stdout_fd_, POLLIN, 0};
    int ready = ::poll(&entry, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) throw std::runtime_error(system_error_text("poll"));
    if (ready <= 0) continue;
    char chunk[4096];
    auto n = ::read(stdout_fd_, chunk, sizeof(chunk));
    if (n == 0) {
      auto status = wait_for_exit(pid_, std::chrono::seconds(5));
      reaped_ = status.has_value();
      auto how = status ? to_exit_status(*status, milliseconds(0)) : exit_status{};
      throw std::runtime_error("core-engine exited before listening (exit code " +
                               std::to_string(how.code) + ", signal " + std::to_string(how.signal) +
                               ")\nstdout:\n" + received + "\nstderr:\n" + captured_stderr());
    }
    if (n > 0) received.append(chunk, static_cast<std::size_t>(n));
  }
}

std::string server_process::captured_stderr() const {
  return read_file(stderr_path_);
}

exit_status server_process::stop(int signal_number, milliseconds grace) {
  if (reaped_) throw std::logic_error("server_process::stop called twice");
  auto started = clock_type::now();
  ::kill(pid_, signal_number);
  auto status = wait_for_exit(pid_, grace);
  if (!status) return exit_status{};
  reaped_ = true;
  return to_exit_status(*status,
                        std::chrono::duration_cast<milliseconds>(clock_type::now() - started));
}

server_process::~server_process() {
  shut_down();
}

void server_process::shut_down() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGTERM);
    if (!wait_for_exit(pid_, std::chrono::seconds(5))) {
      ::kill(pid_, SIGKILL);
      wait_for_exit(pid_, std::chrono::seconds(5));
    }
    reaped_ = true;
  }
  // A failing REQUIRE unwinds through here: show what the server said.
  if (std::uncaught_exceptions() > 0 && !stderr_path_.empty()) {
    auto log = captured_stderr();
    constexpr std::size_t tail_bytes = 4096;
    if (log.size() > tail_bytes) log = "...\n" + log.substr(log.size() - tail_bytes);
    std::cerr << "---- core-engine stderr (pid " << pid_ << ") ----\n" << log << "\n----\n";
  }
  if (stdout_fd_ >= 0) {
    ::close(stdout_fd_);
    stdout_fd_ = -1;
  }
  if (!temp_root_.empty() && std::getenv("CE_E2E_KEEP_DATA") == nullptr) {
    std::error_code ignored;
    std::filesystem::remove_all(temp_root_, ignored);
  }
  temp_root_.clear();
  data_dir_.clear();
}

run_result run_to_exit(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env, milliseconds deadline,
                       const std::string& binary) {
  auto root = make_temp_dir();
  auto out_path = root + "/stdout.log";
  auto err_path = root + "/stderr.log";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  run_result result;
  auto started = clock_type::now();
  pid_t pid = -1;
  try {
    pid = spawn(args, env, &actions, binary);
  } catch (...) {
    posix_spawn_file_actions_destroy(&actions);
    std::filesystem::remove_all(root);
    throw;
  }
  posix_spawn_file_actions_destroy(&actions);
  auto status = wait_for_exit(pid, deadline);
  if (!status) {
    ::kill(pid, SIGKILL);
    wait_for_exit(pid, std::chrono::seconds(5));
  } else {
    result.status = to_exit_status(
        *status, std::chrono::duration_cast<milliseconds>(clock_type::now() - started));
  }
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  std::filesystem::remove_all(root);
  return result;
}

uint16_t free_tcp_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(system_error_text("socket"));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error(system_error_text("bind/getsockname"));
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace ce::e2e
