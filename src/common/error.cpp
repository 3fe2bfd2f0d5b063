#include "common/error.h"

namespace hipp {

const char* kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::usage: return "usage";
    case ErrorKind::wrong_key: return "wrong_key";
    case ErrorKind::altered: return "altered";
    case ErrorKind::not_protected: return "not_protected";
    case ErrorKind::damaged: return "damaged";
    case ErrorKind::unsupported: return "unsupported";
    case ErrorKind::too_large: return "too_large";
    case ErrorKind::failed: break;
  }
  return "failed";
}

int exit_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::usage: return 2;
    case ErrorKind::wrong_key: return 3;
    case ErrorKind::altered: return 4;
    case ErrorKind::not_protected: return 5;
    case ErrorKind::damaged: return 6;
    case ErrorKind::unsupported: return 7;
    case ErrorKind::too_large: return 8;
    case ErrorKind::failed: break;
  }
  return 1;
}

int http_status(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::wrong_key: return 403;
    case ErrorKind::too_large: return 413;
    case ErrorKind::unsupported: return 415;
    case ErrorKind::altered: return 422;
    default: return 400;
  }
}

}  // namespace hipp
