// What Prometheus' standard process_* metrics report, read from /proc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ce::metrics {

struct process_stats {
  double cpu_seconds = 0;         // user + system time
  double start_time_seconds = 0;  // since the Unix epoch
  uint64_t resident_bytes = 0;
  uint64_t virtual_bytes = 0;
  uint64_t open_fds = 0;
  uint64_t max_fds = 0;
};

/// Parses the text of /proc/<pid>/stat; `ticks_per_second` and `boot_time_seconds`
/// (btime of /proc/stat) turn its clock ticks into seconds. Nothing on malformed text.
std::optional<process_stats> parse_proc_stat(const std::string& stat_text, double ticks_per_second,
                                             double boot_time_seconds, uint64_t page_size);

/// This process's figures now (zeros where /proc cannot be read).
process_stats read_own_process_stats();

}  // namespace ce::metrics
