// `hipp protect` / `hipp restore` / `hipp eval` end to end with the shipped 64x64 model:
// round trips through files, keys and passphrases, and every error path (wrong key, altered,
// truncated and foreign files, existing outputs) exits non-zero and writes nothing.
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include "common/files.h"
#include "container/protected_jpeg.h"
#include "face/face_net.h"
#include "image/image.h"
#include "metrics/metrics.h"
#include "repair/checked.h"
#include "test_util.h"

using namespace hipp;
using test::run_hipp;

namespace {
std::string q(const std::string& s) { return "'" + s + "'"; }
const std::string kFace = test::fixture("scenes/forest.jpg");

std::string first_line(std::istream& in) {
  std::string line;
  std::getline(in, line);
  return line;
}

// `code`: the exit status of the error's kind (common/error.h): 1 failed, 2 usage, 3 wrong key,
// 4 altered, 5 not protected, 6 damaged, 7 unsupported, 8 too large.
void expect_failure(const std::string& args, const std::string& message, int code) {
  auto r = run_hipp(args);
  EXPECT_EQ(r.code, code) << args << "\n" << r.output;
  EXPECT_NE(r.output.find(message), std::string::npos) << args << "\n" << r.output;
}

// A 64x64 crop of a fixture (the shipped model's size) and a key, shared by the tests.
class ProtectCli : public ::testing::Test {
 protected:
  void SetUp() override {
    image::save_png(dir / "in.png", image::center_crop_resize(image::load(kFace), 64, 1.0));
    ASSERT_EQ(run_hipp("keygen -o " + q(dir / "k.key")).code, 0);
    test::write_bytes(dir / "pass.txt", "correct horse battery staple\n");
  }
  std::string p(const char* name) const { return dir / name; }
  test::TempDir dir;
};
}  // namespace

TEST_F(ProtectCli, RoundTripKeepsThumbnailAndInfoShowsTheHeader) {
  auto r = run_hipp("-q protect " + q(p("in.png")) + " -o " + q(p("prot.png")) + " -k " + q(p("k.key")));
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_EQ(run_hipp("-q restore " + q(p("prot.png")) + " -o " + q(p("back.png")) + " -k " + q(p("k.key"))).code, 0);
  auto in = image::load(p("in.png")), prot = image::load(p("prot.png")), back = image::load(p("back.png"));
  EXPECT_GT(metrics::ssim(in, back), 0.99);
  EXPECT_GT(metrics::thumbnail_psnr(in, prot, 8), 35.0);
  auto info = run_hipp("info " + q(p("prot.png")));
  EXPECT_EQ(info.code, 0);
  for (auto s : {"header version 3", "scheme:     hipp", "block:      8", "size:       64x64", "raw key file",
                 "(celeba64-hipp, with its encoder E)", "side data:  96 bytes, encrypted (range fit"})
    EXPECT_NE(info.output.find(s), std::string::npos) << info.output;
}

// A PNG's chunk of `type` holding `data`, whole (length, type, data, CRC).
std::vector<uint8_t> png_chunk(const std::string& type, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> c = {0, 0, 0, 0};
  for (int i = 0; i < 4; ++i) c[i] = static_cast<uint8_t>(data.size() >> (24 - 8 * i));
  c.insert(c.end(), type.begin(), type.end());
  c.insert(c.end(), data.begin(), data.end());
  uLong crc = crc32(crc32(0, nullptr, 0), &c[4], static_cast<uInt>(4 + data.size()));
  for (int i = 0; i < 4; ++i) c.push_back(static_cast<uint8_t>(crc >> (24 - 8 * i)));
  return c;
}

// The protected image is in the photo's colours: a PNG photo's colour chunks (an ICC profile,
// its gamma) travel in the protected PNG, and restore gives them back with the pixels.
TEST_F(ProtectCli, APngsColourProfileComesBackWithIt) {
  auto profile = hipp::read_file(test::fixture("icc/srgb.icc"));
  std::vector<uint8_t> packed(compressBound(profile.size()));
  uLongf packed_size = packed.size();
  ASSERT_EQ(compress2(packed.data(), &packed_size, profile.data(), profile.size(), 9), Z_OK);
  std::vector<uint8_t> iccp = {'s', 'R', 'G', 'B', 0, 0};  // name, its end, method 0 (zlib)
  iccp.insert(iccp.end(), packed.begin(), packed.begin() + static_cast<std::ptrdiff_t>(packed_size));
  auto colour = png_chunk("iCCP", iccp), gamma = png_chunk("gAMA", {0, 0, 0xB1, 0x8F});
  colour.insert(colour.end(), gamma.begin(), gamma.end());
  auto in = container::insert_after_ihdr(hipp::read_file(p("in.png")), colour);
  test::write_bytes(p("icc.png"), std::string(in.begin(), in.end()));
  auto key = " -k " + q(p("k.key"));
  ASSERT_EQ(run_hipp("-q protect " + q(p("icc.png")) + " -o " + q(p("prot.png")) + key).code, 0);
  ASSERT_EQ(run_hipp("-q restore " + q(p("prot.png")) + " -o " + q(p("back.png")) + key).code, 0);
  for (auto name : {"prot.png", "back.png"}) {
    auto file = hipp::read_file(p(name));
    EXPECT_EQ(container::colour_chunks(file), colour) << name;
    EXPECT_EQ(*container::find_chunk(file, "iCCP"), iccp) << name;
  }
  EXPECT_GT(metrics::ssim(image::load(p("back.png")), image::load(p("in.png"))), 0.99);
  EXPECT_TRUE(container::colour_chunks(hipp::read_file(p("in.png"))).empty()) << "none where the photo has none";
}

// A JPEG photo's ICC profile, in a PNG of its pixels: the protected PNG (--format png) and a
// restored PNG carry it as an iCCP chunk.
TEST_F(ProtectCli, AJpegsColourProfileBecomesAnIccpChunkInPngs) {
  const auto profile = hipp::read_file(test::fixture("icc/srgb.icc"));
  auto jpeg = test::with_icc_profile(image::encode_jpeg(image::load(p("in.png")), 90), profile);
  test::write_bytes(p("icc.jpg"), std::string(jpeg.begin(), jpeg.end()));
  auto profile_in = [&](const std::string& name) {
    auto iccp = container::find_chunk(hipp::read_file(p(name.c_str())), "iCCP");
    if (!iccp) return std::vector<uint8_t>{};
    auto packed = std::find(iccp->begin(), iccp->end(), 0) + 2;  // after the name, its end and the method
    std::vector<uint8_t> out(profile.size() + 1);
    uLongf size = out.size();
    EXPECT_EQ(uncompress(out.data(), &size, &*packed, static_cast<uLong>(iccp->end() - packed)), Z_OK) << name;
    out.resize(size);
    return out;
  };
  auto key = " -k " + q(p("k.key"));
  ASSERT_EQ(run_hipp("-q protect " + q(p("icc.jpg")) + " -o " + q(p("kept.jpg")) + key).code, 0);
  ASSERT_EQ(run_hipp("-q restore " + q(p("kept.jpg")) + " -o " + q(p("kept-back.png")) + key).code, 0);
  ASSERT_EQ(run_hipp("-q protect " + q(p("icc.jpg")) + " -o " + q(p("prot.png")) + key).code, 0);
  ASSERT_EQ(run_hipp("-q restore " + q(p("prot.png")) + " -o " + q(p("back.png")) + key).code, 0);
  for (auto name : {"kept-back.png", "prot.png", "back.png"}) EXPECT_EQ(profile_in(name), profile) << name;
}

TEST_F(ProtectCli, TwoProtectionsDifferAndBothRestore) {
  for (auto out : {"a.png", "b.png"})
    ASSERT_EQ(run_hipp("-q protect " + q(p("in.png")) + " -o " + q(p(out)) + " -k " + q(p("k.key"))).code, 0);
  EXPECT_NE(test::read_bytes(p("a.png")), test::read_bytes(p("b.png")));
  for (auto [in, out] : {std::pair{"a.png", "ra.png"}, {"b.png", "rb.png"}}) {
    ASSERT_EQ(run_hipp("-q restore " + q(p(in)) + " -o " + q(p(out)) + " -k " + q(p("k.key"))).code, 0);
    EXPECT_GT(metrics::ssim(image::load(p("in.png")), image::load(p(out))), 0.95);
  }
}

TEST_F(ProtectCli, PassphraseKeysWorkAndAWrongKeyWritesNothing) {
  ASSERT_EQ(run_hipp("-q protect " + q(p("in.png")) + " -o " + q(p("prot.png")) + " -k " + q(p("pass.txt"))).code, 0);
  EXPECT_NE(run_hipp("info " + q(p("prot.png"))).output.find("passphrase (Argon2id"), std::string::npos);
  ASSERT_EQ(run_hipp("-q restore " + q(p("prot.png")) + " -o " + q(p("back.png")) + " -k " + q(p("pass.txt"))).code, 0);
  test::write_bytes(p("other.txt"), "wrong horse\n");
  expect_failure("restore " + q(p("prot.png")) + " -o " + q(p("x.png")) + " -k " + q(p("other.txt")), "wrong key", 3);
  expect_failure("restore " + q(p("prot.png")) + " -o " + q(p("x.png")) + " -k " + q(p("k.key")), "wrong key", 3);
  EXPECT_FALSE(std::filesystem::exists(p("x.png")));
}

TEST_F(ProtectCli, ADetailScaleSoftensAndRestoresWithoutAFlag) {
  ASSERT_EQ(run_hipp("-q protect " + q(p("in.png")) + " -o " + q(p("soft.png")) + " -k " + q(p("k.key")) +
                     " --detail-scale 0.5").code, 0);
  ASSERT_EQ(run_hipp("-q restore " + q(p("soft.png")) + " -o " + q(p("back.png")) + " -k " + q(p("k.key"))).code, 0);
  // Halved details double the rounding error that restoring amplifies (0.968 on this face when written).
  EXPECT_GT(metrics::ssim(image::load(p("in.png")), image::load(p("back.png"))), 0.95);
  expect_failure("protect " + q(p("in.png")) + " -o " + q(p("x.png")) + " -k " + q(p("k.key")) + " --detail-scale 0",
                 "detail scale must be in (0, 1]", 2);
  expect_failure("protect " + q(p("in.png")) + " -o " + q(p("x.png")) + " -k " + q(p("k.key")) +
                     " --scheme shuffle --detail-scale 0.5",
                 "applies to schemes with a model only", 2);
  EXPECT_FALSE(std::filesystem::exists(p("x.png")));
}

TEST_F(ProtectCli, AlteredTruncatedAndForeignFilesAreRefused) {
  ASSERT_EQ(run_hipp("-q protect " + q(p("in.png")) + " -o " + q(p("prot.png")) + " -k " + q(p("k.key"))).code, 0);
  auto bytes = test::read_bytes(p("prot.png"));
  test::write_bytes(p("cut.png"), bytes.substr(0, bytes.size() / 2));
  expect_failure("restore " + q(p("cut.png")) + " -o " + q(p("x.png")) + " -k " + q(p("k.key")), "cut.png", 6);
  image::save_png(p("edited.png"), image::load(p("prot.png")).flip({2}).contiguous());
  expect_failure("restore " + q(p("in.png")) + " -o " + q(p("x.png")) + " -k " + q(p("k.key")), "not made by hipp", 5);
  expect_failure("restore " + q(p("edited.png")) + " -o " + q(p("x.png")) + " -k " + q(p("k.key")), "not made by hipp", 5);
  EXPECT_FALSE(std::filesystem::exists(p("x.png")));
}

TEST_F(ProtectCli, AJpegPhotoStaysAJpegAtItsQuality) {
  auto photo = image::center_crop_resize(image::load(kFace), 96, 1.0);
  test::write_bytes(p("in.jpg"), [&] {
    auto b = image::encode_jpeg(photo, image::JpegSettings{88, 2, 2});
    return std::string(b.begin(), b.end());
  }());
  auto decoded = image::load(p("in.jpg"));
  auto key = " -k " + q(p("k.key"));
  ASSERT_EQ(run_hipp("-q protect " + q(p("in.jpg")) + " -o " + q(p("prot.jpg")) + key).code, 0);
  auto prot = hipp::read_file(p("prot.jpg"));
  ASSERT_TRUE(image::is_jpeg(prot));
  // At most 60, since the file keeps the photo itself, and lower to keep the file within 1.3x the photo.
  const auto in_size = hipp::read_file(p("in.jpg")).size();
  const int pq = image::jpeg_settings_of(prot, "prot.jpg").quality;
  EXPECT_LE(pq, 60);
  EXPECT_TRUE(prot.size() <= 1.3 * in_size || pq == repair::kLowestFittedQuality) << pq << " " << prot.size();
  ASSERT_EQ(run_hipp("-q protect " + q(p("in.jpg")) + " -o " + q(p("prot60.jpg")) + key + " --max-expansion 0").code, 0);
  EXPECT_EQ(image::jpeg_settings_of(hipp::read_file(p("prot60.jpg")), "prot60.jpg").quality, 60);
  expect_failure("protect " + q(p("in.jpg")) + " -o " + q(p("x.jpg")) + key + " --max-expansion -1", "--max-expansion", 2);
  EXPECT_EQ(image::jpeg_settings_of(prot, "prot.jpg").luma_h, 2) << "the original's chroma sampling";
  auto info = run_hipp("info " + q(p("prot.jpg")));
  for (const auto& s : std::vector<std::string>{"hipp protected JPEG, header version 6",
                                                "protected:  JPEG, quality " + std::to_string(pq) + "\n",
                                                "original:   JPEG, quality 88, 4:2:0, kept: ",
                                                " recompressed by JPEG XL, encrypted"})
    EXPECT_NE(info.output.find(s), std::string::npos) << info.output;
  // The protected JPEG keeps the original: restore gives back its very bytes, or its pixels as PNG,
  // also after a photo service re-encoded the protected JPEG with the hipp segments kept.
  const auto original = hipp::read_file(p("in.jpg"));
  ASSERT_EQ(run_hipp("-q restore " + q(p("prot.jpg")) + " -o " + q(p("back.jpg")) + key).code, 0);
  EXPECT_EQ(hipp::read_file(p("back.jpg")), original);
  ASSERT_EQ(run_hipp("-q restore " + q(p("prot.jpg")) + " -o " + q(p("back.png")) + key).code, 0);
  EXPECT_TRUE(torch::equal(image::load(p("back.png")), decoded));
  auto again = container::add_segments(image::encode_jpeg(image::decode(prot, "p"), 75), *container::find_segments(prot));
  test::write_bytes(p("again.jpg"), std::string(again.begin(), again.end()));
  auto r = run_hipp("restore " + q(p("again.jpg")) + " -o " + q(p("again-back.jpg")) + key);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output.find("re-encoded"), std::string::npos) << "nothing to warn about: " << r.output;
  EXPECT_EQ(hipp::read_file(p("again-back.jpg")), original);
  test::write_bytes(p("other.txt"), "wrong horse\n");
  expect_failure("restore " + q(p("prot.jpg")) + " -o " + q(p("x.jpg")) + " -k " + q(p("other.txt")), "wrong key", 3);
  EXPECT_FALSE(std::filesystem::exists(p("x.jpg")));
  // jpeg-scramble: the original JPEG's coefficients back exactly, at about its size.
  ASSERT_EQ(run_hipp("-q protect " + q(p("in.jpg")) + " -o " + q(p("js.jpg")) + " --scheme jpeg-scramble" + key).code, 0);
  EXPECT_LT(std::filesystem::file_size(p("js.jpg")), 1.3 * std::filesystem::file_size(p("in.jpg")));
  ASSERT_EQ(run_hipp("-q restore " + q(p("js.jpg")) + " -o " + q(p("jsback.jpg")) + key).code, 0);
  EXPECT_TRUE(torch::equal(image::load(p("jsback.jpg")), decoded));
  expect_failure("protect " + q(p("in.png")) + " -o " + q(p("x.jpg")) + " --scheme jpeg-scramble" + key,
                 "protects JPEG photos only", 2);
  // A folder keeps each photo's kind, both ways.
  std::filesystem::create_directories(p("album"));
  std::filesystem::copy_file(p("in.jpg"), p("album/a.jpg"));
  std::filesystem::copy_file(p("in.png"), p("album/b.png"));
  ASSERT_EQ(run_hipp("-q protect " + q(p("album")) + " -o " + q(p("pa")) + key).code, 0);
  EXPECT_TRUE(image::is_jpeg(hipp::read_file(p("pa/a.jpg"))));
  EXPECT_FALSE(image::is_jpeg(hipp::read_file(p("pa/b.png"))));
  ASSERT_EQ(run_hipp("-q protect " + q(p("album")) + " -o " + q(p("pp")) + " --format png" + key).code, 0);
  ASSERT_EQ(run_hipp("-q restore " + q(p("pp")) + " -o " + q(p("rp")) + key).code, 0);
  EXPECT_TRUE(image::is_jpeg(hipp::read_file(p("rp/a.jpg")))) << "a JPEG original comes back as a JPEG";
  EXPECT_FALSE(image::is_jpeg(hipp::read_file(p("rp/b.png"))));
}

TEST_F(ProtectCli, ARecompressedJpegRestoresWithAWarningAndAStrippedOneIsRefused) {
  auto key = " -k " + q(p("k.key"));
  ASSERT_EQ(run_hipp("-q protect " + q(p("in.png")) + " -o " + q(p("prot.jpg")) + key).code, 0);
  auto prot = hipp::read_file(p("prot.jpg"));
  auto segments = *container::find_segments(prot);
  auto again = container::add_segments(image::encode_jpeg(image::decode(prot, "p"), 80), segments);
  test::write_bytes(p("again.jpg"), std::string(again.begin(), again.end()));
  auto r = run_hipp("restore " + q(p("again.jpg")) + " -o " + q(p("back.png")) + key);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("again.jpg: this protected JPEG was re-encoded or edited"), std::string::npos) << r.output;
  auto stripped = container::strip_segments(prot);
  test::write_bytes(p("stripped.jpg"), std::string(stripped.begin(), stripped.end()));
  expect_failure("restore " + q(p("stripped.jpg")) + " -o " + q(p("x.png")) + key, "stripped.jpg: a JPEG without a hipp header", 5);
  expect_failure("protect " + q(p("in.png")) + " -o " + q(p("x.png")) + " --format jpeg" + key, "--format jpeg but -o", 2);
  EXPECT_FALSE(std::filesystem::exists(p("x.png")));
}

TEST_F(ProtectCli, FoldersKeepNamesAndExistingOutputsAreNotReplaced) {
  std::filesystem::create_directories(p("album/sub"));
  std::filesystem::copy_file(p("in.png"), p("album/one.png"));
  image::save_png(p("album/sub/two.png"), image::center_crop_resize(image::load(kFace), 48, 0.8));
  ASSERT_EQ(run_hipp("-q protect " + q(p("album")) + " -o " + q(p("prot")) + " -k " + q(p("k.key"))).code, 0);
  EXPECT_TRUE(std::filesystem::exists(p("prot/one.png")));
  EXPECT_TRUE(std::filesystem::exists(p("prot/sub/two.png")));
  ASSERT_EQ(run_hipp("-q restore " + q(p("prot")) + " -o " + q(p("back")) + " -k " + q(p("k.key"))).code, 0);
  EXPECT_EQ(image::load(p("back/sub/two.png")).sizes(), (std::vector<int64_t>{3, 48, 48}));
  expect_failure("protect " + q(p("album")) + " -o " + q(p("prot")) + " -k " + q(p("k.key")), "already exists", 2);
  EXPECT_EQ(run_hipp("-q protect " + q(p("album")) + " -o " + q(p("prot")) + " -k " + q(p("k.key")) + " --force").code, 0);
}

TEST_F(ProtectCli, AnOutputEndingInASlashIsANewFolderForOneFile) {
  ASSERT_EQ(run_hipp("-q protect " + q(p("in.png")) + " -o " + q(p("prot") + "/") + " -k " + q(p("k.key"))).code, 0);
  ASSERT_TRUE(std::filesystem::exists(p("prot/in.png")));
  ASSERT_EQ(run_hipp("-q restore " + q(p("prot/in.png")) + " -o " + q(p("back") + "/") + " -k " + q(p("k.key"))).code, 0);
  EXPECT_EQ(image::load(p("back/in.png")).sizes(), (std::vector<int64_t>{3, 64, 64}));
}

TEST_F(ProtectCli, AFolderRunGoesOnPastBrokenFilesAndExitsNonZero) {
  namespace fs = std::filesystem;
  fs::create_directories(p("album"));
  fs::copy_file(p("in.png"), p("album/good1.png"));
  fs::copy_file(p("in.png"), p("album/good2.png"));
  auto png = test::read_bytes(p("in.png"));
  test::write_bytes(p("album/a_cut.png"), png.substr(0, png.size() / 2));
  test::write_bytes(p("album/b_junk.jpg"), "not a photo at all");
  auto r = run_hipp("protect " + q(p("album")) + " -o " + q(p("prot")) + " -k " + q(p("k.key")));
  EXPECT_EQ(r.code, 1) << r.output;
  for (auto s : {"a_cut.png: truncated PNG", "b_junk.jpg: not a readable image", "protected 2 images",
                 "2 failed", "2 of 4 images failed"})
    EXPECT_NE(r.output.find(s), std::string::npos) << s << "\n" << r.output;
  EXPECT_EQ(r.output.find("libpng"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(p("prot/good1.png")) && fs::exists(p("prot/good2.png")));
  EXPECT_FALSE(fs::exists(p("prot/a_cut.png")) || fs::exists(p("prot/b_junk.jpg")));
  // Restore likewise goes on past a file it cannot restore.
  test::write_bytes(p("prot/c_cut.png"), test::read_bytes(p("prot/good1.png")).substr(0, 500));
  r = run_hipp("restore " + q(p("prot")) + " -o " + q(p("back")) + " -k " + q(p("k.key")));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("restored 2 images"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(p("back/good2.png")));
  // --fail-fast stops at the first (sorted) failure, before the good files.
  r = run_hipp("protect " + q(p("album")) + " -o " + q(p("ff")) + " -k " + q(p("k.key")) + " --fail-fast");
  EXPECT_EQ(r.code, 6) << r.output;  // the first failure's own kind: a damaged file
  EXPECT_FALSE(fs::exists(p("ff/good1.png")));
}

TEST_F(ProtectCli, ShardsCoverEveryFileOnceAndARerunSkipsWhatIsDone) {
  namespace fs = std::filesystem;
  fs::create_directories(p("album/sub"));
  auto small = image::center_crop_resize(image::load(kFace), 16, 1.0);
  for (int i = 0; i < 9; ++i) image::save_png(p("album") + (i % 2 ? "/sub/" : "/") + std::to_string(i) + ".png", small);
  const int n = 3;
  auto manifest = [&](int i) {
    std::vector<nlohmann::json> lines;
    std::ifstream f(p("prot") + "/manifest-" + std::to_string(i) + "-of-3.jsonl");
    for (std::string l; std::getline(f, l);) lines.push_back(nlohmann::json::parse(l));
    return lines;
  };
  auto shard = [&](int i) {
    return run_hipp("-q protect " + q(p("album")) + " -o " + q(p("prot")) + " -k " + q(p("k.key")) + " --shard " +
                    std::to_string(i) + "/" + std::to_string(n));
  };
  std::map<std::string, int> done;
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(shard(i).code, 0);
    for (auto& l : manifest(i)) {
      EXPECT_EQ(l["status"], "done");
      ++done[l["input"].get<std::string>()];
    }
  }
  EXPECT_EQ(done.size(), 9u);
  for (auto& [in, count] : done) EXPECT_EQ(count, 1) << in;
  // A rerun keeps valid outputs and redoes a damaged one.
  auto kept = test::read_bytes(p("prot/0.png"));
  int shard_of_0 = -1;
  for (int i = 0; i < n; ++i)
    for (auto& l : manifest(i))
      if (l["output"].get<std::string>().find("/prot/0.png") != std::string::npos) shard_of_0 = i;
  ASSERT_GE(shard_of_0, 0);
  test::write_bytes(p("prot/sub/1.png"), "damaged");
  for (int i = 0; i < n; ++i) ASSERT_EQ(shard(i).code, 0);
  EXPECT_EQ(test::read_bytes(p("prot/0.png")), kept);
  std::map<std::string, int> redone;
  for (int i = 0; i < n; ++i) {
    auto lines = manifest(i);
    for (size_t k = lines.size() / 2; k < lines.size(); ++k)  // the rerun's half
      if (lines[k]["status"] == "done") ++redone[lines[k]["input"].get<std::string>()];
  }
  ASSERT_EQ(redone.size(), 1u);
  EXPECT_NE(redone.begin()->first.find("sub/1.png"), std::string::npos);
  EXPECT_NO_THROW(image::load(p("prot/sub/1.png")));
  expect_failure("protect " + q(p("album")) + " -o " + q(p("x")) + " -k " + q(p("k.key")) + " --shard 3/3",
                 "needs 0 <= I < N", 2);
  expect_failure("protect " + q(p("album")) + " -o " + q(p("x")) + " -k " + q(p("k.key")) + " --shard two",
                 "expected I/N", 2);
}

// deploy/slurm-array.sh as Slurm would run it, array tasks 0..2: every file once.
TEST_F(ProtectCli, TheSlurmArrayScriptCoversEveryFileOnce) {
  namespace fs = std::filesystem;
  fs::create_directories(p("album"));
  auto small = image::center_crop_resize(image::load(kFace), 16, 1.0);
  for (int i = 0; i < 7; ++i) image::save_png(p("album") + "/" + std::to_string(i) + ".png", small);
  for (int i = 0; i < 3; ++i) {
    auto cmd = "SLURM_ARRAY_TASK_ID=" + std::to_string(i) + " SLURM_ARRAY_TASK_COUNT=3 IN=" + q(p("album")) +
               " OUT=" + q(p("prot")) + " KEY=" + q(p("k.key")) + " HIPP=" + q(HIPP_BINARY) + " bash " +
               q(std::string(HIPP_SOURCE_DIR) + "/deploy/slurm-array.sh") + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  int lines = 0;
  for (int i = 0; i < 3; ++i) {
    std::ifstream f(p("prot") + "/manifest-" + std::to_string(i) + "-of-3.jsonl");
    for (std::string l; std::getline(f, l);) ++lines;
  }
  EXPECT_EQ(lines, 7);
  for (int i = 0; i < 7; ++i) EXPECT_TRUE(fs::exists(p("prot") + "/" + std::to_string(i) + ".png")) << i;
}

TEST_F(ProtectCli, TheThumbnailOptionGrowsTheBlock) {
  ASSERT_EQ(run_hipp("-q protect " + q(p("in.png")) + " -o " + q(p("prot.png")) + " -k " + q(p("k.key")) +
                     " --thumbnail 2").code, 0);
  EXPECT_NE(run_hipp("info " + q(p("prot.png"))).output.find("block:      32"), std::string::npos);
  ASSERT_EQ(run_hipp("-q restore " + q(p("prot.png")) + " -o " + q(p("back.png")) + " -k " + q(p("k.key"))).code, 0);
  EXPECT_GT(metrics::psnr(image::load(p("in.png")), image::load(p("back.png"))), 38.0);
}

// Photos of 65 to 256 px get the face model when a face fills them (hipp/models.h): the detector
// decides unless --content does, and the file names the model restore needs.
TEST_F(ProtectCli, APhotoOfAFaceGetsTheFaceModel) {
  const std::string face = test::fixture("faces/sample6_face.png"), scene = test::fixture("scenes/forest.jpg");
  image::save_png(dir / "scene.png", image::center_crop_resize(image::load(scene), 128, 1.0));
  auto model_of = [&](const std::string& in, const std::string& extra) {
    auto r = run_hipp("-q protect " + q(in) + " -o " + q(p("m.png")) + " -k " + q(p("k.key")) + " --force" + extra);
    EXPECT_EQ(r.code, 0) << r.output;
    auto info = run_hipp("info " + q(p("m.png"))).output;
    return info.find("(celeba128-wavelet)") != std::string::npos ? "faces"
           : info.find("(photos256-wavelet)") != std::string::npos ? "photos" : "other";
  };
  EXPECT_STREQ(model_of(p("scene.png"), ""), "photos");
  EXPECT_STREQ(model_of(p("scene.png"), " --content faces"), "faces");
  EXPECT_STREQ(model_of(face, " --content photos"), "photos");
  if (!face::face_model_dir("tiny_face_detector_model").empty()) {
    EXPECT_STREQ(model_of(face, ""), "faces");
  }
  ASSERT_EQ(run_hipp("-q restore " + q(p("m.png")) + " -o " + q(p("back.png")) + " -k " + q(p("k.key"))).code, 0);
  expect_failure("protect " + q(face) + " -o " + q(p("o.png")) + " -k " + q(p("k.key")) + " --content cats", "--content", 2);
  EXPECT_FALSE(std::filesystem::exists(p("o.png")));
}

TEST_F(ProtectCli, UsageErrors) {
  expect_failure("protect " + q(p("in.png")) + " -o " + q(p("o.png")) + " -k " + q(p("k.key")) + " --block 3",
                 "block size 3 is not offered", 1);
  expect_failure("protect " + q(p("nope.png")) + " -o " + q(p("o.png")) + " -k " + q(p("k.key")), "no such file", 1);
  expect_failure("protect " + q(p("in.png")) + " -o " + q(p("o.png")) + " -k " + q(p("nokey")), "nokey", 1);
  expect_failure("protect " + q(p("in.png")) + " -o " + q(p("o.png")) + " -k " + q(p("k.key")) + " --model nope",
                 "no such model", 2);
  EXPECT_FALSE(std::filesystem::exists(p("o.png")));
  // The pixel limit: 64x64 is 4096 pixels; --max-pixels (a global option, 1000s as k) lowers it.
  expect_failure("protect " + q(p("in.png")) + " -o " + q(p("o.png")) + " -k " + q(p("k.key")) + " --max-pixels 4k",
                 "64x64 (4096 pixels) is over the limit of 4000 pixels (--max-pixels raises it)", 8);
  EXPECT_FALSE(std::filesystem::exists(p("o.png")));
  expect_failure("--max-pixels 0 protect " + q(p("in.png")) + " -o " + q(p("o.png")) + " -k " + q(p("k.key")),
                 "--max-pixels", 2);
  EXPECT_EQ(run_hipp("-q --max-pixels 4096 protect " + q(p("in.png")) + " -o " + q(p("o.png")) + " -k " + q(p("k.key")) +
                     " --scheme shuffle").code, 0);
}

TEST_F(ProtectCli, LosslessRestoresBitExactlyAndInfoWithTheKeyShowsTheRepair) {
  for (auto scheme : {"hipp", "hipp-smooth", "drpe"}) {  // drpe alone restores only approximately
    auto r = run_hipp("protect " + q(p("in.png")) + " -o " + q(p("l.png")) + " --force --lossless -k " + q(p("k.key")) +
                      " --scheme " + scheme);
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("lossless: "), std::string::npos) << r.output;
    EXPECT_NE(run_hipp("info " + q(p("l.png"))).output.find(std::string("scheme:     ") + scheme + "\n"), std::string::npos);
    ASSERT_EQ(run_hipp("-q restore " + q(p("l.png")) + " -o " + q(p("rl.png")) + " --force -k " + q(p("k.key"))).code, 0);
    EXPECT_TRUE(torch::equal(image::load(p("in.png")), image::load(p("rl.png")))) << scheme;
  }
  auto plain = run_hipp("info " + q(p("l.png")));
  EXPECT_NE(plain.output.find("repair:     "), std::string::npos) << plain.output;
  EXPECT_NE(plain.output.find("-k KEY shows"), std::string::npos) << plain.output;
  auto keyed = run_hipp("info " + q(p("l.png")) + " -k " + q(p("k.key")));
  ASSERT_EQ(keyed.code, 0) << keyed.output;
  for (auto s : {"blocks carry a residual", ", lossless", "exact after"})
    EXPECT_NE(keyed.output.find(s), std::string::npos) << keyed.output;
  expect_failure("info " + q(p("l.png")) + " -k " + q(p("pass.txt")), "wrong key", 3);
}

TEST_F(ProtectCli, ProtectReportsItsRestorationCheckAndRefusesABadFloor) {
  auto r = run_hipp("protect " + q(p("in.png")) + " -o " + q(p("c.png")) + " -k " + q(p("k.key")) + " --min-psnr 60");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("restoration check: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(floors 60 dB / SSIM 0.99)"), std::string::npos) << r.output;
  ASSERT_EQ(run_hipp("-q restore " + q(p("c.png")) + " -o " + q(p("rc.png")) + " -k " + q(p("k.key"))).code, 0);
  EXPECT_GE(metrics::psnr(image::load(p("in.png")), image::load(p("rc.png"))), 60.0);
  expect_failure("protect " + q(p("in.png")) + " -o " + q(p("x.png")) + " -k " + q(p("k.key")) + " --min-psnr 0",
                 "restoration floor", 2);
  EXPECT_EQ(run_hipp("protect " + q(p("in.png")) + " -o " + q(p("x.png")) + " -k " + q(p("k.key")) +
                     " --min-psnr abc").code, 2);
  EXPECT_FALSE(std::filesystem::exists(p("x.png")));
}

TEST_F(ProtectCli, BaselineSchemesRestoreBitExactly) {
  for (auto s : {"tpe-ideal", "shuffle"}) {
    ASSERT_EQ(run_hipp(std::string("-q protect ") + q(p("in.png")) + " -o " + q(p("b.png")) + " --force -k " +
                       q(p("k.key")) + " --scheme " + s).code, 0);
    ASSERT_EQ(run_hipp("-q restore " + q(p("b.png")) + " -o " + q(p("rb.png")) + " --force -k " + q(p("k.key"))).code, 0);
    EXPECT_TRUE(torch::equal(image::load(p("in.png")), image::load(p("rb.png")))) << s;
  }
}

TEST(EvalCli, WritesAllFourOutputsWithTheExpectedColumns) {
  test::TempDir dir;
  // Two sets, --limit per set: 2 scenes and the one face.
  auto r = run_hipp("-q eval --data " + q(test::fixture("scenes")) + " " + q(test::fixture("faces")) +
                    " --limit 2 --size 64 --out " + q(dir / "ev"));
  ASSERT_EQ(r.code, 0) << r.output;
  for (auto f : {"per_image.csv", "summary.json", "summary.md", "grid.png"})
    EXPECT_TRUE(std::filesystem::exists(dir.path / "ev" / f)) << f;
  std::ifstream csv(dir.path / "ev" / "per_image.csv");
  const auto header = first_line(csv);
  EXPECT_EQ(header, "image,scheme,restore_ssim,restore_psnr,repair_rate,unrepaired_min_block_psnr,thumb_psnr,"
                    "png_expansion,jpeg90_expansion,protect_s,restore_s,wrongkey_ssim,protected_ssim,original_bpd,"
                    "protected_bpd,original_brisque,protected_brisque,original_face_detected,protected_face_detected,"
                    "original_face_found,protected_face_found,identity_match,identity_distance");
  int rows = 0;
  for (std::string line; std::getline(csv, line);) ++rows;
  EXPECT_EQ(rows, 12);  // 4 images x 3 schemes
  EXPECT_NE(r.output.find("| tpe-ideal |"), std::string::npos) << r.output;
  // Restoration per set: mean, 5th percentile and minimum; exact schemes are exact everywhere.
  EXPECT_NE(r.output.find("| set | scheme | images | restore PSNR mean | p5 | min |"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(test::fixture("faces") + " | hipp | 2 |"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(test::fixture("scenes") + " | shuffle | 2 | inf | inf | inf | 1.0000"), std::string::npos)
      << r.output;
  auto summary = test::read_bytes((dir.path / "ev" / "summary.json").string());
  EXPECT_NE(summary.find("\"sets\""), std::string::npos);
  if (!face::face_model_dir("tiny_face_detector_model").empty()) {  // both fixture faces are found and cut out
    EXPECT_NE(summary.find("\"identity_face_cut\": 2"), std::string::npos) << summary;
  }
  EXPECT_EQ(run_hipp("eval --data x --out y --schemes hipp,rot13").code, 2);
}

TEST(EvalCli, JpegModeComparesJpegWithJpegAndRecompresses) {
  test::TempDir dir;
  auto r = run_hipp("-q eval --format jpeg --quality 85 --data " + q(test::fixture("scenes")) +
                    " --limit 2 --size 64 --block 16 --schemes hipp,jpeg-scramble --flow none --grid-rows 0 --out " +
                    q(dir / "ev"));
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream csv(dir.path / "ev" / "per_image.csv");
  const auto header = first_line(csv);
  EXPECT_EQ(header, "image,scheme,restore_ssim,restore_psnr,repair_rate,unrepaired_min_block_psnr,thumb_psnr,"
                    "jpeg_expansion,protected_quality,requality85_ssim,requality85_psnr,requality75_ssim,requality75_psnr,protect_s,"
                    "restore_s,wrongkey_ssim,protected_ssim,original_bpd,protected_bpd,original_brisque,"
                    "protected_brisque,original_face_detected,protected_face_detected,original_face_found,"
                    "protected_face_found,identity_match,identity_distance");
  EXPECT_NE(r.output.find("| JPEG expansion | max | thumbnail PSNR min | recompressed q85 SSIM mean | p5 | min | "
                          "protected quality mean | min |"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(test::fixture("scenes") + " | jpeg-scramble | 2 | inf | inf | inf | 1.0000"), std::string::npos)
      << r.output;
  expect_failure("eval --data " + q(test::fixture("scenes")) + " --block 16 --schemes jpeg-scramble --out " + q(dir / "x"),
                 "evaluate it with --format jpeg", 2);
}

TEST(BenchCli, TimesEverySchemeAndRefusesBadBlocks) {
  auto r = run_hipp("bench --repeat 1 --size 32");
  ASSERT_EQ(r.code, 0) << r.output;
  for (auto s : {"\nhipp ", "\ntpe-ideal ", "\nshuffle ", "\njpeg-scramble ", "protect_s"})
    EXPECT_NE(r.output.find(s), std::string::npos) << r.output;
  expect_failure("bench --block 5", "not offered", 1);
  r = run_hipp("bench --repeat 1 --size 96x48 --scheme hipp --scheme shuffle");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("96x48"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("peak memory"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("tpe-ideal"), std::string::npos) << r.output;
  expect_failure("bench --size 7", "expected N or WxH", 2);
}
