// hipp serve: the HTTP endpoints protect and restore with the server's key, report what is
// wrong as JSON with the right status, and the protected bytes are the same file format as
// `hipp protect` writes.
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <atomic>
#include <thread>

#include "common/files.h"
#include "container/protected_png.h"
#include "image/image.h"
#include "metrics/metrics.h"
#include "server/server.h"
#include "test_util.h"

using namespace hipp;
using nlohmann::json;

namespace {
keys::KeySource raw_key(uint8_t v) {
  keys::KeySource k;
  k.raw = test::filled<32>(v);
  return k;
}

std::string bytes_of(const torch::Tensor& rgb) {
  auto png = image::encode_png(rgb);
  return std::string(png.begin(), png.end());
}

torch::Tensor decode(const std::string& body) {
  return image::decode(std::vector<uint8_t>(body.begin(), body.end()), "response");
}

server::ServeOptions options(const std::string& token = "", int queue_wait_ms = 30000) {
  server::ServeOptions o;
  o.port = 0;
  o.max_body_bytes = 1u << 20;
  o.token = token;
  o.queue_wait_ms = queue_wait_ms;
  return o;
}

// A server on a free port, serving from a thread for the test's lifetime.
struct Running {
  service::ProtectorPool pool;
  server::Server srv;
  std::thread thread;
  httplib::Client client;
  explicit Running(uint8_t key, const server::ServeOptions& o = options(), int workers = 2, int queue = 8)
      : pool(raw_key(key), torch::kCPU, workers, queue), srv(o, pool), client("127.0.0.1", srv.bind()) {
    thread = std::thread([this] { srv.run(); });
    client.set_read_timeout(120, 0);
  }
  httplib::Client another() {
    httplib::Client c("127.0.0.1", srv.port());
    c.set_read_timeout(120, 0);
    return c;
  }
  ~Running() {
    srv.stop();
    thread.join();
  }
};
}  // namespace

TEST(Server, ProtectsRestoresAndDescribes) {
  torch::set_num_threads(2);
  Running s(1);
  auto img = image::center_crop_resize(image::load(test::fixture("faces/sample6_face.png")), 64, 1.0);
  auto health = s.client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto h = json::parse(health->body);
  EXPECT_EQ(h["status"], "ok");
  EXPECT_GE(h["models"].size(), 2u);

  auto prot = s.client.Post("/protect", bytes_of(img), "image/png");
  ASSERT_TRUE(prot);
  ASSERT_EQ(prot->status, 200) << prot->body;
  EXPECT_EQ(prot->get_header_value("Content-Type"), "image/png");
  auto info = s.client.Post("/info", prot->body, "image/png");
  ASSERT_EQ(info->status, 200);
  auto i = json::parse(info->body);
  EXPECT_EQ(i["scheme"], "hipp");
  EXPECT_EQ(i["block"], 8);
  EXPECT_EQ(i["width"], 64);
  EXPECT_EQ(i["side_bytes"], 96);  // HIPP's range fit
  EXPECT_GT(i["repair_bytes"], 0);  // the restoration check's record, even when nothing needed repair
  auto back = s.client.Post("/restore", prot->body, "image/png");
  ASSERT_EQ(back->status, 200) << back->body;
  EXPECT_GT(metrics::ssim(img, decode(back->body)), 0.95);
  EXPECT_GT(metrics::thumbnail_psnr(img, decode(prot->body), 8), 35.0);

  // A baseline by query, and the same bytes as the CLI's files: another server with the same key restores it.
  auto shuffled = s.client.Post("/protect?scheme=shuffle&block=4", bytes_of(img), "image/png");
  ASSERT_EQ(shuffled->status, 200) << shuffled->body;
  Running same_key(1);
  auto exact = same_key.client.Post("/restore", shuffled->body, "image/png");
  ASSERT_EQ(exact->status, 200);
  EXPECT_TRUE(torch::equal(decode(exact->body), img));

  // Lossless by query: HIPP restores bit-exactly.
  auto lossless = s.client.Post("/protect?lossless=1", bytes_of(img), "image/png");
  ASSERT_EQ(lossless->status, 200) << lossless->body;
  auto exact_hipp = s.client.Post("/restore", lossless->body, "image/png");
  ASSERT_EQ(exact_hipp->status, 200);
  EXPECT_TRUE(torch::equal(decode(exact_hipp->body), img));
}

// A JPEG body with format=jpeg: a protected JPEG that keeps the photo, whose /restore?format=jpeg
// is that very JPEG and /info says what it keeps.
TEST(Server, AJpegStaysAJpegAndComesBackByteForByte) {
  torch::set_num_threads(2);
  Running s(1);
  auto img = image::center_crop_resize(image::load(test::fixture("scenes/forest.jpg")), 96, 1.0);
  auto jpeg = image::encode_jpeg(img, image::JpegSettings{90, 2, 2});
  const std::string body(jpeg.begin(), jpeg.end());
  auto prot = s.client.Post("/protect?format=jpeg", body, "image/jpeg");
  ASSERT_EQ(prot->status, 200) << prot->body;
  EXPECT_EQ(prot->get_header_value("Content-Type"), "image/jpeg");
  auto i = json::parse(s.client.Post("/info", prot->body, "image/jpeg")->body);
  EXPECT_EQ(i["version"], 6);
  EXPECT_TRUE(i["original_jpeg_xl"]);
  EXPECT_GT(i["original_bytes"], 0);
  EXPECT_EQ(i["side_bytes"], 0);
  auto back = s.client.Post("/restore?format=jpeg", prot->body, "image/jpeg");
  ASSERT_EQ(back->status, 200) << back->body;
  EXPECT_EQ(back->get_header_value("Content-Type"), "image/jpeg");
  EXPECT_EQ(back->get_header_value("X-Hipp-Restoration"), "exact");
  EXPECT_EQ(back->body, body);
  // max_expansion=0: the protected image at quality 60 whatever the file's size (as the CLI).
  auto at60 = s.client.Post("/protect?format=jpeg&max_expansion=0", body, "image/jpeg");
  ASSERT_EQ(at60->status, 200) << at60->body;
  EXPECT_EQ(image::jpeg_settings_of(std::vector<uint8_t>(at60->body.begin(), at60->body.end()), "p").quality, 60);
  auto png = s.client.Post("/restore", prot->body, "image/jpeg");
  ASSERT_EQ(png->status, 200) << png->body;
  EXPECT_TRUE(torch::equal(decode(png->body), image::decode(jpeg, "in.jpg")));
  EXPECT_EQ(s.client.Post("/restore?format=gif", prot->body, "image/jpeg")->status, 400);
  EXPECT_EQ(s.client.Post("/restore?format=heif", prot->body, "image/jpeg")->status, 400) << "it kept no HEIF";
}

// A HEIF body (a phone's HEIC) with format=jpeg: a protected JPEG that keeps it (version 7),
// whose /restore?format=heif is that very file.
TEST(Server, AHeifComesBackByteForByte) {
  torch::set_num_threads(2);
  Running s(1);
  const auto body = test::read_bytes(test::fixture("heif/scene.heic"));
  auto prot = s.client.Post("/protect?format=jpeg", body, "image/heic");
  ASSERT_EQ(prot->status, 200) << prot->body;
  EXPECT_EQ(prot->get_header_value("Content-Type"), "image/jpeg");
  auto i = json::parse(s.client.Post("/info", prot->body, "image/jpeg")->body);
  EXPECT_EQ(i["version"], 7);
  EXPECT_EQ(i["original_format"], "heif");
  EXPECT_EQ(i["original_bytes"], body.size());
  auto back = s.client.Post("/restore?format=heif", prot->body, "image/jpeg");
  ASSERT_EQ(back->status, 200) << back->body;
  EXPECT_EQ(back->get_header_value("Content-Type"), "image/heif");
  EXPECT_EQ(back->body, body);
  auto png = s.client.Post("/restore", prot->body, "image/jpeg");
  ASSERT_EQ(png->status, 200) << png->body;
  EXPECT_TRUE(torch::equal(decode(png->body), image::decode(std::vector<uint8_t>(body.begin(), body.end()), "in.heic")));
}

TEST(Server, ErrorsAreJsonWithTheRightStatus) {
  Running s(2), other(3);
  auto img = image::center_crop_resize(image::load(test::fixture("faces/sample6_face.png")), 32, 1.0);
  auto error_of = [](const httplib::Result& r) { return json::parse(r->body)["error"].get<std::string>(); };
  auto kind_of = [](const httplib::Result& r) { return json::parse(r->body)["kind"].get<std::string>(); };
  auto theirs = other.client.Post("/protect?scheme=shuffle", bytes_of(img), "image/png");
  ASSERT_EQ(theirs->status, 200);
  auto wrong = s.client.Post("/restore", theirs->body, "image/png");
  EXPECT_EQ(wrong->status, 403);
  EXPECT_NE(error_of(wrong).find("wrong key"), std::string::npos);
  EXPECT_EQ(kind_of(wrong), "wrong_key");
  auto plain = s.client.Post("/restore", bytes_of(img), "image/png");
  EXPECT_EQ(plain->status, 400);
  EXPECT_NE(error_of(plain).find("not made by hipp"), std::string::npos) << error_of(plain);
  EXPECT_EQ(kind_of(plain), "not_protected");
  // Our own file with one pixel changed and its hipp chunk kept: altered, 422.
  auto ours = s.client.Post("/protect?scheme=shuffle", bytes_of(img), "image/png");
  ASSERT_EQ(ours->status, 200);
  std::vector<uint8_t> ours_bytes(ours->body.begin(), ours->body.end());
  auto edited = decode(ours->body).clone();
  edited[0][0][0] += 1;
  auto repacked = container::add_chunk(image::encode_png(edited), container::kChunkType,
                                       *container::find_chunk(ours_bytes, container::kChunkType));
  auto altered = s.client.Post("/restore", std::string(repacked.begin(), repacked.end()), "image/png");
  EXPECT_EQ(altered->status, 422);
  EXPECT_EQ(kind_of(altered), "altered");
  auto junk = s.client.Post("/protect", "not an image", "image/png");
  EXPECT_EQ(junk->status, 400);
  auto empty = s.client.Post("/protect", "", "image/png");
  EXPECT_EQ(empty->status, 400);
  EXPECT_NE(error_of(empty).find("empty request body"), std::string::npos);
  EXPECT_EQ(kind_of(empty), "usage");
  EXPECT_EQ(s.client.Post("/protect?scheme=nope", bytes_of(img), "image/png")->status, 400);
  // Not UTF-8: the error quotes it, and must still be JSON, not a 500 (found by fuzz/fuzz_http.cpp).
  auto latin1 = s.client.Post("/protect?scheme=%E9t%E9", bytes_of(img), "image/png");
  EXPECT_EQ(latin1->status, 400);
  EXPECT_NE(latin1->body.find("\"kind\":\"usage\""), std::string::npos) << latin1->body;
  EXPECT_EQ(s.client.Post("/protect?block=x", bytes_of(img), "image/png")->status, 400);
  EXPECT_EQ(s.client.Post("/protect?detail_scale=x", bytes_of(img), "image/png")->status, 400);
  auto expansion = s.client.Post("/protect?max_expansion=-1", bytes_of(img), "image/png");
  EXPECT_EQ(expansion->status, 400);
  EXPECT_NE(error_of(expansion).find("max_expansion must be 0..100"), std::string::npos) << error_of(expansion);
  auto floor = s.client.Post("/protect?min_psnr=0", bytes_of(img), "image/png");
  EXPECT_EQ(floor->status, 400);
  EXPECT_NE(error_of(floor).find("restoration floor"), std::string::npos) << error_of(floor);
  auto scale = s.client.Post("/protect?detail_scale=2", bytes_of(img), "image/png");
  EXPECT_EQ(scale->status, 400);
  EXPECT_NE(error_of(scale).find("detail scale must be in (0, 1]"), std::string::npos) << error_of(scale);
  auto path = s.client.Post("/protect?model=../models/celeba64-wavelet", bytes_of(img), "image/png");
  EXPECT_EQ(path->status, 400);
  EXPECT_NE(error_of(path).find("name of a shipped model"), std::string::npos);
  auto big = s.client.Post("/protect", std::string(2u << 20, 'x'), "image/png");  // over the 1 MiB limit
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
}

TEST(Server, PostsNeedTheTokenAndHealthDoesNot) {
  Running s(4, options("s3cret-token-0123456789"));
  auto img = image::center_crop_resize(image::load(test::fixture("faces/sample6_face.png")), 32, 1.0);
  EXPECT_EQ(s.client.Get("/health")->status, 200);
  for (const char* path : {"/protect?scheme=shuffle", "/restore", "/info"}) {
    auto none = s.client.Post(path, bytes_of(img), "image/png");
    EXPECT_EQ(none->status, 401) << path;
    EXPECT_EQ(json::parse(none->body)["kind"], "unauthorized");
    EXPECT_NE(none->get_header_value("WWW-Authenticate").find("Bearer"), std::string::npos);
  }
  s.client.set_bearer_token_auth("s3cret-token-012345678");  // one character short
  EXPECT_EQ(s.client.Post("/protect?scheme=shuffle", bytes_of(img), "image/png")->status, 401);
  s.client.set_bearer_token_auth("s3cret-token-0123456789");
  auto prot = s.client.Post("/protect?scheme=shuffle", bytes_of(img), "image/png");
  ASSERT_EQ(prot->status, 200) << prot->body;
  auto back = s.client.Post("/restore", prot->body, "image/png");
  ASSERT_EQ(back->status, 200) << back->body;
  EXPECT_TRUE(torch::equal(decode(back->body), img));
}

TEST(Server, BusyWorkersAndAFullQueueAnswer503) {
  Running s(5, options("", 300), /*workers=*/1, /*queue=*/1);
  auto img = image::center_crop_resize(image::load(test::fixture("faces/sample6_face.png")), 32, 1.0);
  auto prot = s.client.Post("/protect?scheme=shuffle", bytes_of(img), "image/png");
  ASSERT_EQ(prot->status, 200);
  {
    auto held = s.pool.acquire(std::chrono::milliseconds(0));  // the only worker, busy
    ASSERT_TRUE(held);
    auto waited = s.client.Post("/restore", prot->body, "image/png");  // queued, then out of time
    EXPECT_EQ(waited->status, 503);
    EXPECT_EQ(json::parse(waited->body)["kind"], "busy");
    EXPECT_FALSE(waited->get_header_value("Retry-After").empty());
    EXPECT_EQ(s.client.Post("/info", prot->body, "image/png")->status, 200);  // needs no worker
  }
  EXPECT_EQ(s.client.Post("/restore", prot->body, "image/png")->status, 200);

  service::ProtectorPool pool(raw_key(5), torch::kCPU, 1, 0);
  auto first = pool.acquire(std::chrono::milliseconds(0));
  EXPECT_TRUE(first);
  EXPECT_FALSE(pool.acquire(std::chrono::milliseconds(1000)));  // no queue: turned away at once
}

TEST(Server, ConcurrentRequestsGetTheirOwnAnswers) {
  Running s(6, options(), /*workers=*/2, /*queue=*/16);
  auto base = image::center_crop_resize(image::load(test::fixture("faces/sample6_face.png")), 32, 1.0);
  std::vector<std::thread> clients;
  std::atomic<int> exact{0};
  for (int c = 0; c < 6; ++c)
    clients.emplace_back([&, c] {
      auto client = s.another();
      for (int i = 0; i < 3; ++i) {
        auto img = base.flip({1 + (c + i) % 2}).roll({c * 3 + i}, {2}).contiguous();  // each request its own image
        auto prot = client.Post(c % 2 ? "/protect?scheme=shuffle" : "/protect?scheme=tpe-ideal", bytes_of(img), "image/png");
        if (!prot || prot->status != 200) continue;
        auto back = client.Post("/restore", prot->body, "image/png");
        if (back && back->status == 200 && torch::equal(decode(back->body), img)) ++exact;
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(exact.load(), 18);
}

TEST(Server, ImagesOverThePixelLimitAre413BeforeDecoding) {
  Running s(7);
  auto img = image::center_crop_resize(image::load(test::fixture("faces/sample6_face.png")), 64, 1.0);
  image::set_max_pixels(64 * 63);
  auto big = s.client.Post("/protect", bytes_of(img), "image/png");
  image::set_max_pixels(image::kDefaultMaxPixels);
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(json::parse(big->body)["kind"], "too_large");
  EXPECT_NE(json::parse(big->body)["error"].get<std::string>().find("64x64"), std::string::npos);
}

TEST(ServeCli, HelpAndUsageErrors) {
  auto help = test::run_hipp("serve --help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.output.find("/restore"), std::string::npos);
  EXPECT_EQ(test::run_hipp("serve").code, 2);  // --key missing
  test::TempDir dir;
  auto r = test::run_hipp("serve -k " + dir / "missing.key");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("hipp: error:"), std::string::npos);
  test::write_bytes(dir / "raw.key", "hipp-key-v1 " + std::string(64, 'a') + "\n");
  auto open = test::run_hipp("serve -k " + dir / "raw.key" + " --host 0.0.0.0 --port 0");
  EXPECT_EQ(open.code, 2) << open.output;  // other machines only with a token file
  EXPECT_NE(open.output.find("--token-file"), std::string::npos) << open.output;
  test::write_bytes(dir / "short.token", "abc\n");
  auto shorty = test::run_hipp("serve -k " + dir / "raw.key" + " --token-file " + dir / "short.token" + " --port 0");
  EXPECT_EQ(shorty.code, 2) << shorty.output;
  EXPECT_NE(shorty.output.find("at least 16"), std::string::npos) << shorty.output;
}
