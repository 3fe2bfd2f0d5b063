#pragma once
// One exception type for user-facing failures, with a kind that decides the CLI's exit code and
// the server's HTTP status (and that tests assert), so nothing matches message text. The CLI
// prints the message on one line.
#include <stdexcept>
#include <string>

namespace hipp {

enum class ErrorKind {
  failed,         // anything else the user can act on: a missing or unreadable file, bad pixels
  usage,          // a bad option, argument or request parameter
  wrong_key,      // the key is not the one the file was protected with
  altered,        // authentication failed: the file was changed after protection
  not_protected,  // no hipp header: not made by hipp, or stripped
  damaged,        // a malformed file, header, side data or weights file
  unsupported,    // a newer format version, or a scheme or model this hipp does not have
  too_large,      // over a size limit
};

struct Error : std::runtime_error {
  explicit Error(const std::string& message) : Error(ErrorKind::failed, message) {}
  Error(ErrorKind k, const std::string& message) : std::runtime_error(message), kind(k) {}
  ErrorKind kind;
};

// "wrong_key", ...: the name the server's JSON errors carry.
const char* kind_name(ErrorKind kind);
// The CLI's exit status (docs/cli.md): failed 1, usage 2, wrong_key 3, altered 4, not_protected 5,
// damaged 6, unsupported 7, too_large 8.
int exit_code(ErrorKind kind);
// The server's status: 400 for usage, failed, damaged and not_protected; 403 wrong key; 413 too
// large; 415 unsupported; 422 altered.
int http_status(ErrorKind kind);

}  // namespace hipp
