#pragma once
// One exception type for user-facing failures: the CLI prints its message on one line.
#include <stdexcept>
#include <string>

namespace hipp {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace hipp
