#include "metrics/process_stats.hpp"

#include <catch2/catch.hpp>

using ce::metrics::parse_proc_stat;

TEST_CASE("proc stat fields become seconds and bytes", "[metrics]") {
  // A real line of /proc/<pid>/stat, its command name holding a space and a ')':
  // utime 1500 and stime 500 ticks, starttime 1000 ticks, vsize 1 GiB, rss 2560 pages.
  const std::string line =
      "4242 (core engine)) S 1 4242 4242 0 -1 4194560 900 0 0 0 1500 500 0 0 20 0 9 0 1000 "
      "1073741824 2560 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0";
  auto stats = parse_proc_stat(line, 100, 1'700'000'000, 4096);
  REQUIRE(stats);
  CHECK(stats->cpu_seconds == Approx(20.0));  // (1500 + 500) / 100 ticks per second
  CHECK(stats->start_time_seconds == Approx(1'700'000'010.0));  // boot + 1000 / 100
  CHECK(stats->virtual_bytes == 1073741824u);
  CHECK(stats->resident_bytes == 2560u * 4096u);
}

TEST_CASE("a truncated or garbled proc stat line gives nothing", "[metrics]") {
  CHECK_FALSE(parse_proc_stat("", 100, 0, 4096));
  CHECK_FALSE(parse_proc_stat("4242 (x) S 1 2 3", 100, 0, 4096));
  CHECK_FALSE(parse_proc_stat("no parenthesis at all 1 2 3 4 5 6 7 8 9 10 11 12", 100, 0, 4096));
}

TEST_CASE("this process's own figures are read", "[metrics]") {
  auto own = ce::metrics::read_own_process_stats();
  CHECK(own.resident_bytes > 0);
  CHECK(own.open_fds >= 3);                       // stdin, stdout, stderr at least
  CHECK(own.start_time_seconds > 1'600'000'000);  // after September 2020
}
