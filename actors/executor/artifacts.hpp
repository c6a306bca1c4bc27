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
///
/// With a `blob_dir`, the bytes are content-addressed: stored once as <blob_dir>/<sha256>
/// (written only the first time those bytes appear), and the workspace file is a hard link
/// to that blob. Identical output of many tasks then costs no new file, and the blob is
/// the version restore_artifact puts back. Workspace files must then never be written in
/// place (everything here replaces them by rename).
artifact write_artifact(const std::string& dir, const rendered_file& file, std::string artifact_id,
                        timestamp_ms now, std::string checksum = {},
                        const std::string& blob_dir = {});

/// Reads every *.tf file of dir (sorted by name) as (name, content) pairs; none if dir is missing.
std::vector<std::pair<std::string, std::string>> read_terraform_files(const std::string& dir);

/// True if the file exists and its sha256 equals checksum.
bool artifact_intact(const artifact&);

/// Makes the file hold its recorded bytes again: true if it already does or
/// was restored from the version kept when it was written; false if that
/// version is gone too (the producing step must run again).
/// With a `blob_dir`, the blob of the recorded sha256 is tried first.
bool restore_artifact(const artifact&, const std::string& blob_dir = {});

/// The whole content of a file; throws std::runtime_error (path + strerror) if it cannot be read.
std::string read_file(const std::string& path);

}  // namespace ce::executor
