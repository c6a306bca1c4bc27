#include "actors/executor/artifacts.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ce::executor {

namespace fs = std::filesystem;

namespace {

std::runtime_error io_error(const std::string& what, const std::string& path, int err) {
  return std::runtime_error(what + " " + path + ": " + std::strerror(err));
}

/// Closes the descriptor when it goes out of scope.
struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

void write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    auto n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw io_error("cannot write", path, errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

/// Writes bytes to `final_path` through a temp file beside it and a rename, so a reader
/// never sees half a file.
void write_replacing(const std::string& final_path, std::string_view bytes) {
  std::string temp_path = final_path + ".tmpXXXXXX";
  fd_guard out{::mkstemp(temp_path.data())};
  if (out.fd < 0) throw io_error("cannot create", temp_path, errno);
  try {
    write_all(out.fd, bytes, temp_path);
    if (::fchmod(out.fd, 0644) != 0) throw io_error("cannot set mode of", temp_path, errno);
  } catch (...) {
    ::unlink(temp_path.c_str());
    throw;
  }
  if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp_path.c_str());
    throw io_error("cannot rename " + temp_path + " to", final_path, err);
  }
}

bool plain_file_name(const std::string& name) {
  return !name.empty() && name.find('/') == std::string::npos && name != "." && name != "..";
}

/// The file's bytes if their sha256 is `checksum`.
std::optional<std::string> read_if_matching(const std::string& path, const std::string& checksum) {
  std::error_code ec;
  if (path.empty() || !fs::is_regular_file(path, ec)) return std::nullopt;
  try {
    auto bytes = read_file(path);
    if (sha256_hex(bytes) == checksum) return bytes;
  } catch (const std::runtime_error&) {
  }
  return std::nullopt;
}

}  // namespace

workspace_file make_file(artifact_type type, shared<std::string> bytes, std::string checksum) {
  if (checksum.empty()) checksum = sha256_hex(*bytes);
  return {type, std::move(bytes), std::move(checksum)};
}

artifact artifact_record(const std::string& workspace_dir, const std::string& name,
                         const workspace_file& file, std::string artifact_id, timestamp_ms now) {
  if (!plain_file_name(name))
    throw std::invalid_argument("invalid artifact file name '" + name + "'");
  artifact a;
  a.id = std::move(artifact_id);
  a.type = file.type;
  a.name = name;
  a.path = (fs::path(workspace_dir) / name).lexically_normal().string();
  a.size = static_cast<int64_t>(file.bytes->size());
  a.checksum = file.checksum;
  a.created_at = now;
  return a;
}

namespace {

void ensure_directory(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir))
    throw std::runtime_error("cannot create directory " + dir + ": " + ec.message());
}

}  // namespace

void write_workspace(const workspace& files, const std::string& dir) {
  ensure_directory(dir);
  for (const auto& [name, file] : files) {
    if (!plain_file_name(name))
      throw std::runtime_error("invalid artifact file name '" + name + "'");
    write_replacing((fs::path(dir) / name).string(), *file.bytes);
  }
}

void write_file(const std::string& dir, const std::string& name, std::string_view bytes) {
  if (!plain_file_name(name)) throw std::runtime_error("invalid file name '" + name + "'");
  ensure_directory(dir);
  write_replacing((fs::path(dir) / name).string(), bytes);
}

std::vector<std::pair<std::string, std::string>> read_terraform_files(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> files;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".tf") continue;
    files.emplace_back(entry.path().filename().string(), read_file(entry.path().string()));
  }
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return files;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error("cannot open", path, errno);
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw io_error("cannot read", path, errno);
  return content.str();
}

std::optional<std::string> read_file_artifact(const artifact& a, const std::string& blob_dir) {
  if (a.checksum.empty()) return std::nullopt;
  if (auto bytes = read_if_matching(a.path, a.checksum)) return bytes;
  if (!blob_dir.empty())
    if (auto bytes = read_if_matching((fs::path(blob_dir) / a.checksum).string(), a.checksum))
      return bytes;
  if (a.path.empty()) return std::nullopt;
  return read_if_matching((fs::path(a.path).parent_path() / ".versions" / a.checksum).string(),
                          a.checksum);
}

}  // namespace ce::executor
