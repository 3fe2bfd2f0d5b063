#pragma once
// The browser page `hipp serve` answers GET / with (src/server/page/index.html, built in).
namespace hipp::server {
const char* page_html();
}
