# Third-party libraries, all from Debian 12 packages (see scripts/install-deps).
find_package(Threads REQUIRED)

# CAF 0.17.6 ships no CMake package: import it by hand and insist on the version
# the code is written for (0.18+ changed inspect, atoms and the config format).
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIB caf_core REQUIRED)
find_library(CAF_IO_LIB caf_io REQUIRED)
file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" _caf_version_line REGEX "^#define CAF_VERSION [0-9]+")
string(REGEX MATCH "[0-9]+" CAF_VERSION "${_caf_version_line}")
if(NOT CAF_VERSION EQUAL 1706)
  message(FATAL_ERROR "core-engine needs CAF 0.17.6 (Debian 12 libcaf-dev), found ${CAF_VERSION}")
endif()
add_library(caf::core UNKNOWN IMPORTED)
set_target_properties(caf::core PROPERTIES IMPORTED_LOCATION "${CAF_CORE_LIB}"
  INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}" INTERFACE_LINK_LIBRARIES Threads::Threads)
add_library(caf::io UNKNOWN IMPORTED)
set_target_properties(caf::io PROPERTIES IMPORTED_LOCATION "${CAF_IO_LIB}"
  INTERFACE_LINK_LIBRARIES caf::core)

find_package(Boost 1.81 CONFIG REQUIRED COMPONENTS json url)
find_package(simdjson CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(CURL REQUIRED)
find_package(LibArchive REQUIRED)
find_package(Catch2 CONFIG REQUIRED)
# Prometheus metrics: only prometheus-cpp::core is linked (no civetweb exposer).
find_package(prometheus-cpp CONFIG REQUIRED)

# mimalloc replaces malloc in the server: allocation was a quarter of a task's CPU with
# glibc's allocator. Off for sanitizer builds, whose own allocator must see every call.
option(CE_USE_MIMALLOC "Link the server with mimalloc" ON)
if(CE_USE_MIMALLOC)
  find_package(mimalloc CONFIG REQUIRED)
endif()
