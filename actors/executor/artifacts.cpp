#include "actors/executor/artifacts.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
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

/// Each recorded version of a file stays reachable (a hard link, no copy) as
/// <dir>/.versions/<sha256>: a step killed while rewriting files that earlier
/// steps recorded leaves them changed, and recovery puts the recorded bytes
/// back instead of running the completed steps again.
std::string version_path(const fs::path& directory, const std::string& checksum) {
  return (directory / ".versions" / checksum).string();
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("sha256 failed in OpenSSL");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0x0f];
  }
  return out;
}

namespace {

void keep_version(const fs::path& directory, const std::string& final_path,
                  const std::string& checksum) {
  auto kept = version_path(directory, checksum);
  if (::link(final_path.c_str(), kept.c_str()) == 0 || errno == EEXIST) return;
  if (errno != ENOENT) throw io_error("cannot link " + final_path + " to", kept, errno);
  auto versions = (directory / ".versions").string();
  if (::mkdir(versions.c_str(), 0755) != 0 && errno != EEXIST)
    throw io_error("cannot create directory", versions, errno);
  if (::link(final_path.c_str(), kept.c_str()) != 0 && errno != EEXIST)
    throw io_error("cannot link " + final_path + " to", kept, errno);
}

}  // namespace

namespace {

/// Makes the directory (and its parents). Another thread making it, or one of its parents,
/// at the same time is fine: create_directories gives up with EEXIST when a parent appears
/// under it, so it is asked again.
bool ensure_directory(const fs::path& dir, std::error_code& ec) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    fs::create_directories(dir, ec);
    // Judged by what is there: a raced call may report success without making it all.
    if (fs::is_directory(dir)) {
      ec.clear();
      return true;
    }
    if (ec && ec != std::errc::file_exists) return false;
  }
  if (!ec) ec = std::make_error_code(std::errc::no_such_file_or_directory);
  return false;
}

/// How write_new puts its temp file in place.
enum class placing {
  replace,    // rename over whatever is there
  keep_first  // link; if the path exists already it stays as it is (blobs never change)
};

/// Writes bytes to `final_path` atomically through a temp file beside it.
void write_new(const std::string& final_path, std::string_view bytes, mode_t mode, placing how) {
  std::string temp_path = final_path + ".tmpXXXXXX";
  fd_guard out{::mkstemp(temp_path.data())};
  if (out.fd < 0 && errno == ENOENT) {
    // The first file of its directory: the directory is made now, not probed on every write.
    std::error_code ec;
    if (!ensure_directory(fs::path(final_path).parent_path(), ec))
      throw std::runtime_error("cannot create the directory of " + final_path + ": " +
                               ec.message());
    temp_path = final_path + ".tmpXXXXXX";
    out.fd = ::mkstemp(temp_path.data());
  }
  if (out.fd < 0) throw io_error("cannot create", temp_path, errno);
  try {
    write_all(out.fd, bytes, temp_path);
    if (::fchmod(out.fd, mode) != 0) throw io_error("cannot set mode of", temp_path, errno);
  } catch (...) {
    ::unlink(temp_path.c_str());
    throw;
  }
  if (how == placing::keep_first) {
    // Never rename over a blob: a task linking the old inode at that moment would find
    // it unlinked (ENOENT). The first writer's bytes stay; they are the same bytes.
    int err = ::link(temp_path.c_str(), final_path.c_str()) == 0 ? 0 : errno;
    ::unlink(temp_path.c_str());
    if (err != 0 && err != EEXIST)
      throw io_error("cannot link " + temp_path + " to", final_path, err);
    return;
  }
  if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp_path.c_str());
    throw io_error("cannot rename " + temp_path + " to", final_path, err);
  }
}

/// Makes `final_path` a hard link to `blob`, replacing whatever was there in one rename.
/// False when the link cannot be made (e.g. another file system); errno says why.
bool link_replacing(const std::string& blob, const std::string& final_path) {
  const std::string temp_path = final_path + ".link";
  if (::link(blob.c_str(), temp_path.c_str()) != 0) {
    if (errno == ENOENT && !fs::exists(fs::path(final_path).parent_path())) {
      std::error_code ec;
      if (!ensure_directory(fs::path(final_path).parent_path(), ec)) return false;
      if (::link(blob.c_str(), temp_path.c_str()) != 0) return false;
    } else if (errno == EEXIST) {  // left by a step killed half-way: start again
      ::unlink(temp_path.c_str());
      if (::link(blob.c_str(), temp_path.c_str()) != 0) return false;
    } else {
      return false;
    }
  }
  if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp_path.c_str());
    errno = err;
    return false;
  }
  return true;
}

}  // namespace

artifact write_artifact(const std::string& dir, const rendered_file& file, std::string artifact_id,
                        timestamp_ms now, std::string checksum, const std::string& blob_dir) {
  if (file.name.empty() || file.name.find('/') != std::string::npos || file.name == "." ||
      file.name == "..")
    throw std::runtime_error("invalid artifact file name '" + file.name + "'");
  std::error_code ec;
  auto directory = fs::absolute(dir, ec);
  if (ec) throw std::runtime_error("cannot resolve directory " + dir + ": " + ec.message());
  const std::string final_path = (directory / file.name).lexically_normal().string();
  if (checksum.empty()) checksum = sha256_hex(file.content);

  // No fsync here: rendering is deterministic and every artifact's sha256 is
  // recorded, so after a crash a missing or torn file is detected and rendered
  // again. Durability of what the API reported is the store's job (one group
  // commit for many changes), not one fsync per file on the hot path.
  if (!blob_dir.empty()) {
    const std::string blob = (fs::path(blob_dir) / checksum).string();
    // Blobs are read-only: nothing may write into a file that many tasks link to.
    if (::access(blob.c_str(), F_OK) != 0) write_new(blob, file.content, 0444, placing::keep_first);
    if (!link_replacing(blob, final_path))
      throw io_error("cannot link " + blob + " to", final_path, errno);
  } else {
    write_new(final_path, file.content, 0644, placing::replace);
    keep_version(directory, final_path, checksum);
  }

  artifact a;
  a.id = std::move(artifact_id);
  a.type = file.type;
  a.name = file.name;
  a.path = final_path;
  a.size = static_cast<int64_t>(file.content.size());
  a.checksum = std::move(checksum);
  a.created_at = now;
  return a;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error("cannot open", path, errno);
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw io_error("cannot read", path, errno);
  return content.str();
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

bool artifact_intact(const artifact& a) {
  std::error_code ec;
  if (a.path.empty() || !fs::is_regular_file(a.path, ec)) return false;
  try {
    return sha256_hex(read_file(a.path)) == a.checksum;
  } catch (const std::runtime_error&) {
    return false;
  }
}

bool restore_artifact(const artifact& a, const std::string& blob_dir) {
  if (artifact_intact(a)) return true;
  if (a.path.empty() || a.checksum.empty()) return false;
  if (!blob_dir.empty()) {
    const std::string blob = (fs::path(blob_dir) / a.checksum).string();
    try {
      if (sha256_hex(read_file(blob)) == a.checksum && link_replacing(blob, a.path)) return true;
    } catch (const std::runtime_error&) {
      // no blob of it: written before blobs, or lost; try the kept version
    }
  }
  auto final_path = fs::path(a.path);
  auto kept = version_path(final_path.parent_path(), a.checksum);
  try {
    if (sha256_hex(read_file(kept)) != a.checksum) return false;
  } catch (const std::runtime_error&) {
    return false;  // never recorded here, or gone with the workspace
  }
  // Link + rename: the file is replaced whole, never seen half-restored.
  auto temp_path = a.path + ".restore";
  ::unlink(temp_path.c_str());
  if (::link(kept.c_str(), temp_path.c_str()) != 0) return false;
  if (::rename(temp_path.c_str(), a.path.c_str()) != 0) {
    ::unlink(temp_path.c_str());
    return false;
  }
  return true;
}

}  // namespace ce::executor
