#pragma once
// Whole-file reads and atomic writes, with errors that name the file.
#include <cstdint>
#include <string>
#include <vector>

namespace hipp {

// Whole file; throws hipp::Error naming it when missing, a folder or unreadable.
std::vector<uint8_t> read_file(const std::string& path);
// Writes atomically (temporary file, then rename): a failure never leaves half a file.
void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes);

}  // namespace hipp
