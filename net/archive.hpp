// A task's files as one .tar.gz, for users who run terraform on them.
#pragma once

#include <string>
#include <vector>

#include "messages/protocol.hpp"

namespace ce::net {

/// A gzip-compressed tar (POSIX pax) holding each file under `folder/`, mode 0644, with
/// its artifact's creation time. Throws std::runtime_error if libarchive fails.
std::string tar_gz(const std::string& folder, const std::vector<artifact_download>& files);

}  // namespace ce::net
