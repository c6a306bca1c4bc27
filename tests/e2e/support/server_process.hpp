// Starts the real core-engine binary for end-to-end tests: a fresh data
// directory, ephemeral ports, readiness taken from the listening line.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ce::e2e {

/// Path of the server binary under test: $CORE_ENGINE_BINARY, else the path
/// CMake knew at configure time.
std::string core_engine_binary();

/// How to start one server.
struct server_options {
  /// Arguments after the ones the harness adds (--data-dir, ports).
  std::vector<std::string> args;
  /// Environment overrides; the server's own variables (PORT, WS_PORT,
  /// LOG_LEVEL, GENERATOR_SERVICE_URL, DATA_DIR, BIND, NODE_ID) are otherwise removed from the
  /// inherited environment so the test machine cannot leak into a test.
  std::map<std::string, std::string> env;
  /// Pass --port 0 --ws-port 0. Off when a test checks where ports come from.
  bool ephemeral_ports = true;
  /// Pass --allow-fault-injection, which the supervision tests need. Off when a
  /// test checks that clients cannot inject faults.
  bool fault_injection = true;
  /// Longest wait for the listening line.
  std::chrono::milliseconds ready_deadline{std::chrono::seconds(20)};
  /// An existing directory to pass as --data-dir, e.g. to restart on what an
  /// earlier server stored. Empty: a fresh temporary one. The harness never
  /// removes a directory given here; its owner does.
  std::string data_dir;
};

/// How a process ended.
struct exit_status {
  bool exited = false;  // false: killed by a signal (or still running at the deadline)
  int code = -1;        // exit code when `exited`
  int signal = 0;       // terminating signal otherwise
  std::chrono::milliseconds elapsed{0};  // from the stop request (or start) to the end
};

/// One running core-engine. The constructor returns once the server printed
/// its listening line and throws (with the captured stderr) if it does not
/// within the deadline. The destructor sends SIGTERM, waits up to 5 s, then
/// SIGKILLs, and removes the temporary data directory (not one the caller
/// named in server_options::data_dir).
class server_process {
 public:
  explicit server_process(server_options options = {});
  ~server_process();
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  uint16_t http_port() const { return http_port_; }
  uint16_t ws_port() const { return ws_port_; }
  const std::string& listening_line() const { return listening_line_; }
  const std::string& data_dir() const { return data_dir_; }
  pid_t pid() const { return pid_; }

  /// Everything the server wrote to stderr so far.
  std::string captured_stderr() const;

  /// Sends `signal_number` and waits up to `grace` for the process to end.
  /// Returns the exit status (exited == false and signal == 0 if it did not end);
  /// a process still running afterwards is killed by the destructor.
  exit_status stop(int signal_number, std::chrono::milliseconds grace);

 private:
  void wait_for_listening_line(std::chrono::milliseconds deadline);
  /// Stops the process if still running, closes the pipe, removes the temporary directory.
  void shut_down();

  std::string data_dir_;
  std::string temp_root_;  // holds the stderr log and, unless given, the data dir
  std::string stderr_path_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  bool reaped_ = false;
  std::string listening_line_;
  uint16_t http_port_ = 0;
  uint16_t ws_port_ = 0;
};

/// Output of a process run to completion (e.g. `--help`, a bad flag).
struct run_result {
  exit_status status;
  std::string out;
  std::string err;
};

/// Runs the binary (`binary`, default core-engine) with exactly `args` (no
/// harness flags) and waits up to `deadline` for it to exit; a process still
/// running then is killed and reported with exited == false.
run_result run_to_exit(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env = {},
                       std::chrono::milliseconds deadline = std::chrono::seconds(10),
                       const std::string& binary = {});

/// Path of the command-line client: $CORE_ENGINE_CLI_BINARY, else the path
/// CMake knew at configure time.
std::string core_engine_cli_binary();

/// A TCP port that was free a moment ago on 127.0.0.1 (for tests that must
/// name a port themselves).
uint16_t free_tcp_port();

/// Parses "core-engine listening http=HOST:PORT ws=HOST:PORT"; empty when the
/// line has another shape.
struct listening_ports {
  uint16_t http = 0;
  uint16_t ws = 0;
};
std::optional<listening_ports> parse_listening_line(const std::string& line);

}  // namespace ce::e2e
