// core-engine: the server executable.
#include <iostream>

#include "app/application.hpp"
#include "config/settings.hpp"
#include "config/tokens.hpp"

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "token")
    return ce::config::token_command(std::vector<std::string>(argv + 2, argv + argc), std::cout,
                                     std::cerr);
  auto loaded = ce::config::load(std::vector<std::string>(argv + 1, argv + argc));
  if (loaded.should_exit) {
    (loaded.exit_code == 0 ? std::cout : std::cerr) << loaded.message;
    return loaded.exit_code;
  }
  return ce::app::application(std::move(loaded.values)).run();
}
