#pragma once
// hipp serve's routes on any httplib::Server: Server uses it with sockets, fuzz/fuzz_http.cpp
// feeds it requests from memory. `o` and `pool` must outlive `http`.
#include "server/server.h"

namespace hipp::server {

void install_routes(httplib::Server& http, const ServeOptions& o, service::ProtectorPool& pool);

}  // namespace hipp::server
