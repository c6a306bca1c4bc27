// core-engine-cli: the command-line client.
#include <unistd.h>

#include <iostream>

#include "client/commands.hpp"

int main(int argc, char** argv) {
  return ce::client::run(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr,
                         isatty(STDOUT_FILENO) == 1);
}
