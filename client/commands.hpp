// core-engine-cli: every command of the command-line client, on CLI11.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace ce::client {

/// Exit codes, for scripts.
enum exit_code : int {
  success = 0,
  server_refused = 1,  // the server answered with an error (its sentence is printed)
  usage_error = 2,     // bad flags or arguments
  task_failed = 3,     // --watch: the task ended failed
  task_cancelled = 4,  // --watch: the task ended cancelled
  unreachable = 5,     // no connection to the engine
};

/// Runs the client with `args` (without the program name). `interactive`:
/// stdout is a terminal (colour, progress redrawn in place).
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
        bool interactive);

}  // namespace ce::client
