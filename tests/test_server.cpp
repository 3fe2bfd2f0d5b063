// hipp serve: the HTTP endpoints protect and restore with the server's key, report what is
// wrong as JSON with the right status, and the protected bytes are the same file format as
// `hipp protect` writes.
#include <httplib.h>

#include <nlohmann/json.hpp>
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

// A server on a free port, serving from a thread for the test's lifetime.
struct Running {
  service::Protector protector;
  server::Server srv;
  std::thread thread;
  httplib::Client client;
  explicit Running(uint8_t key)
      : protector(raw_key(key), torch::kCPU),
        srv(server::ServeOptions{"127.0.0.1", 0, 1u << 20}, protector),
        client("127.0.0.1", srv.bind()) {
    thread = std::thread([this] { srv.run(); });
    client.set_read_timeout(120, 0);
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
  EXPECT_EQ(s.client.Post("/protect?block=x", bytes_of(img), "image/png")->status, 400);
  EXPECT_EQ(s.client.Post("/protect?detail_scale=x", bytes_of(img), "image/png")->status, 400);
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

TEST(ServeCli, HelpAndUsageErrors) {
  auto help = test::run_hipp("serve --help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.output.find("/restore"), std::string::npos);
  EXPECT_EQ(test::run_hipp("serve").code, 2);  // --key missing
  test::TempDir dir;
  auto r = test::run_hipp("serve -k " + dir / "missing.key");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("hipp: error:"), std::string::npos);
}
