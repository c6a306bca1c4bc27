// The files a task produces. Steps hold them in memory (a workspace, shared
// by pointer) and the store keeps their bytes once per sha256, committed with
// the step's result. Files reach the disk only for tools that read files (a
// deployment driver runs in the task's workspace directory).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "messages/checksum.hpp"
#include "messages/domain.hpp"
#include "messages/workspace.hpp"

namespace ce::executor {

/// A workspace file of these bytes; `checksum` is their sha256 when already known (a
/// memoized rendering), else it is computed.
workspace_file make_file(artifact_type type, shared<std::string> bytes, std::string checksum = {});

/// The record of a file a step produced: id, type, name, size, sha256, created_at, and the
/// path it has when the workspace is written to `workspace_dir`. Throws
/// std::invalid_argument for a name that is not a plain file name.
artifact artifact_record(const std::string& workspace_dir, const std::string& name,
                         const workspace_file& file, std::string artifact_id, timestamp_ms now);

/// Writes every file of the workspace into dir (created if missing), each replaced
/// atomically (temp file + rename), for tools that read files. Throws std::runtime_error
/// (path + strerror) on failure.
void write_workspace(const workspace& files, const std::string& dir);

/// Writes one file into dir (created if missing), replaced atomically.
void write_file(const std::string& dir, const std::string& name, std::string_view bytes);

/// Reads every *.tf file of dir (sorted by name) as (name, content) pairs; none if dir is
/// missing. For tools that work on files on disk.
std::vector<std::pair<std::string, std::string>> read_terraform_files(const std::string& dir);

/// The whole content of a file; throws std::runtime_error (path + strerror) if it cannot be read.
std::string read_file(const std::string& path);

/// The recorded bytes of an artifact written by an older version of the node, which kept
/// files on disk: the file itself, its blob (<blob_dir>/<sha256>) or its kept version
/// (<dir>/.versions/<sha256>), whichever still holds the recorded sha256. Empty if none does.
std::optional<std::string> read_file_artifact(const artifact& a, const std::string& blob_dir);

}  // namespace ce::executor
