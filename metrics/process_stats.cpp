#include "metrics/process_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace ce::metrics {

std::optional<process_stats> parse_proc_stat(const std::string& stat_text, double ticks_per_second,
                                             double boot_time_seconds, uint64_t page_size) {
  // The command name (field 2) is in parentheses and may hold spaces and ')':
  // the fields after it start after the last ')'.
  auto close = stat_text.rfind(')');
  if (close == std::string::npos || ticks_per_second <= 0) return std::nullopt;
  std::istringstream rest(stat_text.substr(close + 1));
  std::vector<std::string> fields;  // fields[0] is field 3 (state)
  for (std::string f; rest >> f;) fields.push_back(f);
  // Field numbers as in proc(5): utime 14, stime 15, starttime 22, vsize 23, rss 24.
  auto field = [&](int number) -> std::optional<double> {
    auto index = static_cast<std::size_t>(number - 3);
    if (index >= fields.size()) return std::nullopt;
    try {
      return std::stod(fields[index]);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  };
  auto utime = field(14), stime = field(15), start = field(22), vsize = field(23), rss = field(24);
  if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
  process_stats out;
  out.cpu_seconds = (*utime + *stime) / ticks_per_second;
  out.start_time_seconds = boot_time_seconds + *start / ticks_per_second;
  out.virtual_bytes = static_cast<uint64_t>(*vsize);
  out.resident_bytes = static_cast<uint64_t>(*rss) * page_size;
  return out;
}

namespace {

double boot_time_seconds() {
  std::ifstream stat("/proc/stat");
  for (std::string line; std::getline(stat, line);)
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  return 0;
}

}  // namespace

process_stats read_own_process_stats() {
  static const double boot_time = boot_time_seconds();  // fixed while the machine runs
  std::ifstream in("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto parsed = parse_proc_stat(text, static_cast<double>(sysconf(_SC_CLK_TCK)), boot_time,
                                static_cast<uint64_t>(sysconf(_SC_PAGESIZE)));
  process_stats out = parsed.value_or(process_stats{});
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++out.open_fds;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) out.max_fds = limit.rlim_cur;
  return out;
}

}  // namespace ce::metrics
