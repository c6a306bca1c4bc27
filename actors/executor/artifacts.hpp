// The files a task produces: written atomically under the task's workspace and
// recorded with their size and sha256, so that anyone can check them later.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actors/executor/templates.hpp"
#include "messages/domain.hpp"

namespace ce::executor {

/// sha256 of bytes as lower-case hex (OpenSSL EVP).
std::string sha256_hex(std::string_view bytes);

/// Writes a file atomically (temp file + rename, no fsync: see the .cpp) into dir (created if
/// missing), keeps that version reachable for restore_artifact, and returns the artifact record (id
/// from the caller, type, name, absolute path, size, sha256, created_at). Throws std::runtime_error
/// with a clear message (path + strerror) on failure. `checksum`, when given, is the content's
/// sha256 already known (a memoized rendering), so it is not computed again.
artifact write_artifact(const std::string& dir, const rendered_file& file, std::string artifact_id,
                        timestamp_ms now, std::string checksum = {});

/// Reads every *.tf file of dir (sorted by name) as (name, content) pairs; none if dir is missing.
std::vector<std::pair<std::string, std::string>> read_terraform_files(const std::string& dir);

/// True if the file exists and its sha256 equals checksum.
bool artifact_intact(const artifact&);

/// Makes the file hold its recorded bytes again: true if it already does or
/// was restored from the version kept when it was written; false if that
/// version is gone too (the producing step must run again).
bool restore_artifact(const artifact&);

/// The whole content of a file; throws std::runtime_error (path + strerror) if it cannot be read.
std::string read_file(const std::string& path);

}  // namespace ce::executor
