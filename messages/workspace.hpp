// A task's files: what its steps produced, held in memory and shared by
// pointer between the steps, the verifier and the store. The bytes of a file
// never change once made; a step that rewrites a file produces a new one.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "messages/domain.hpp"
#include "messages/shared.hpp"

namespace ce {

/// One file: its bytes and their sha256 (lower-case hex).
struct workspace_file {
  artifact_type type = artifact_type::terraform;
  shared<std::string> bytes;
  std::string checksum;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, workspace_file& x) {
  return f(caf::meta::type_name("workspace_file"), x.type, x.bytes, x.checksum);
}

/// A task's files by name, as its latest steps left them.
using workspace = std::map<std::string, workspace_file>;

/// Bytes to keep once per sha256 in the store.
struct stored_blob {
  std::string checksum;
  shared<std::string> bytes;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stored_blob& x) {
  return f(caf::meta::type_name("stored_blob"), x.checksum, x.bytes);
}

/// The files of a workspace whose names end in `.tf`, sorted by name, as (name, content).
std::vector<std::pair<std::string, std::string>> terraform_files(const workspace& files);

/// Whether the workspace holds the artifact's file with the bytes it recorded.
bool holds(const workspace& files, const artifact& a);

}  // namespace ce
