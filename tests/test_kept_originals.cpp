// Originals kept as they are (format version 7): HEIF photos (HEIC, AVIF), read through libheif
// and protected to a JPEG that keeps the file, and PNGs with 16-bit samples or transparency,
// protected to a PNG that keeps the file; both restored bit for bit, and the CLI's names for
// them.
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "container/protected_jpeg.h"
#include "image/heif.h"
#include "image/image.h"
#include "metrics/metrics.h"
#include "service/protector.h"
#include "test_util.h"

using namespace hipp;
using test::run_hipp;

namespace {

std::vector<uint8_t> heif_fixture(const std::string& name) {
  auto s = test::read_bytes(test::fixture("heif/" + name));
  return {s.begin(), s.end()};
}

service::Protector test_protector(int seed = 5) {
  return service::Protector(keys::KeySource{keys::KeySource::Raw, test::filled<32>(seed), ""}, torch::kCPU);
}

// `input` protected as `hipp protect` does to a JPEG (or, with jpeg false, a PNG).
std::vector<uint8_t> protect_photo(service::Protector& protector, const std::vector<uint8_t>& input, bool jpeg = true) {
  service::ProtectSettings s;
  service::fit_to_input(s, input, "in", 0);
  s.format.jpeg = jpeg;
  s.repair = repair::floors_for(s.repair, jpeg, false, false);
  return protector.protect(image::decode(input, "in", image::Orientation::apply, image::Conversions::silent), s, nullptr,
                           input);
}

std::string q(const std::string& s) { return "'" + s + "'"; }

// A 64x64 photo as a PNG OpenCV writes: 8-bit RGB, 16-bit RGB, RGBA, or grey with alpha.
std::vector<uint8_t> png_of(const std::string& kind) {
  auto rgb = image::center_crop_resize(image::load(test::fixture("scenes/forest.jpg")), 64, 1.0);
  auto hwc = rgb.permute({1, 2, 0}).flip(2).contiguous();  // BGR for OpenCV
  cv::Mat bgr(64, 64, CV_8UC3, hwc.data_ptr<uint8_t>()), out;
  if (kind == "rgb") out = bgr;
  if (kind == "16-bit") bgr.convertTo(out, CV_16U, 257.0, 3);
  if (kind == "rgba") {
    cv::cvtColor(bgr, out, cv::COLOR_BGR2BGRA);
    out(cv::Rect(0, 0, 20, 64)).forEach<cv::Vec4b>([](cv::Vec4b& p, const int*) { p[3] = 40; });
  }
  if (kind == "grey-alpha") {
    cv::Mat grey;
    cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
    cv::cvtColor(grey, out, cv::COLOR_GRAY2BGRA);
  }
  std::vector<uint8_t> bytes;
  EXPECT_TRUE(cv::imencode(".png", out, bytes)) << kind;
  return bytes;
}

}  // namespace

TEST(Heif, HeicAndAvifDecodeNearTheirSource) {
  auto source = image::load(test::fixture("heif/scene.png"));
  for (auto name : {"scene.heic", "scene-icc.heic", "scene.avif"}) {
    auto bytes = heif_fixture(name);
    ASSERT_TRUE(image::is_heif(bytes)) << name;
    auto rgb = image::decode(bytes, name);
    ASSERT_EQ(rgb.sizes(), source.sizes()) << name;
    EXPECT_GT(metrics::psnr(rgb, source), 30.0) << name;
  }
  EXPECT_FALSE(image::is_heif(heif_fixture("scene.png")));
}

TEST(Heif, ADamagedOneOrOneOverThePixelLimitIsRefused) {
  auto bytes = heif_fixture("scene.heic");
  bytes.resize(bytes.size() / 2);
  EXPECT_ERROR_KIND(image::decode(bytes, "cut.heic"), ErrorKind::damaged);
  EXPECT_ERROR_HAS(image::decode(bytes, "cut.heic"), "cut.heic: not a readable image (HEIF: ");
  const auto limit = image::max_pixels();
  image::set_max_pixels(1000);
  EXPECT_ERROR_KIND(image::decode(heif_fixture("scene.heic"), "big.heic"), ErrorKind::too_large);
  image::set_max_pixels(limit);
}

TEST(Heif, ItsColourProfileIsRead) {
  auto icc = test::read_bytes(test::fixture("icc/srgb.icc"));
  auto profile = image::heif_icc_profile(heif_fixture("scene-icc.heic"));
  EXPECT_EQ(std::string(profile.begin(), profile.end()), icc);
  EXPECT_TRUE(image::heif_icc_profile(heif_fixture("scene.heic")).empty());
  EXPECT_EQ(image::icc_space(profile), "RGB ");
  auto segments = image::icc_segments(profile);
  image::JpegExtras x;
  x.icc_segments = segments;
  EXPECT_EQ(image::icc_profile(x), profile) << "the segments give the profile back";
}

TEST(ProtectedHeif, KeepsThePhotoAndGivesItBackBitForBit) {
  auto protector = test_protector();
  for (auto name : {"scene.heic", "scene.avif"}) {
    auto input = heif_fixture(name);
    auto file = protect_photo(protector, input);
    ASSERT_TRUE(image::is_jpeg(file)) << name;
    auto h = container::read_header(file, "p.jpg");
    EXPECT_EQ(h.version, 7) << name;
    EXPECT_TRUE(h.original_as_is && !h.original_jxl && !h.origin) << name;
    auto r = protector.restore(file, "p.jpg");
    EXPECT_EQ(r.original, input) << name;
    EXPECT_EQ(service::restored_heif(r, "p.jpg"), input);
    EXPECT_TRUE(torch::equal(r.rgb, image::decode(input, name)));
    EXPECT_TRUE(image::is_jpeg(service::restored_jpeg(r))) << "a JPEG of its pixels";
    auto prot = image::decode(file, "p.jpg");
    EXPECT_GT(metrics::thumbnail_psnr(prot, r.rgb, h.block), 30.0) << name;
    EXPECT_LT(metrics::ssim(prot, r.rgb), 0.9) << name << ": the protected image is not the photo";
    auto wrong = test_protector(6);
    EXPECT_ERROR_KIND(wrong.restore(file, "p.jpg"), ErrorKind::wrong_key);
  }
}

TEST(ProtectedHeif, ToAPngItRestoresFromThePixelsAndCannotBeAskedForAsHeif) {
  auto protector = test_protector();
  auto input = heif_fixture("scene.heic");
  auto file = protect_photo(protector, input, false);
  auto h = container::read_header(file, "p.png");
  EXPECT_LE(h.version, 3);
  EXPECT_TRUE(h.original.empty());
  auto r = protector.restore(file, "p.png");
  EXPECT_GT(metrics::psnr(r.rgb, image::decode(input, "in.heic")), 40.0);
  EXPECT_ERROR_KIND(service::restored_heif(r, "p.png"), ErrorKind::usage);
  EXPECT_ERROR_HAS(service::restored_heif(r, "p.png"), "its original was not a HEIF photo");
}

TEST(ProtectedHeif, CarriesTheHeifsColourProfile) {
  auto protector = test_protector();
  auto input = heif_fixture("scene-icc.heic");
  auto profile = image::heif_icc_profile(input);
  auto jpeg = protect_photo(protector, input);
  EXPECT_EQ(image::icc_profile(image::jpeg_extras(jpeg)), profile);
  auto png = protect_photo(protector, input, false);
  EXPECT_EQ(container::colour_chunks(png), container::png_colour_of(input));
  EXPECT_FALSE(container::png_colour_of(input).empty());
}

TEST(ProtectedHeif, VersionSevenHoldsHeifOriginalsOnly) {
  container::Header h;
  h.scheme = "hipp";
  h.block = 8;
  h.width = h.height = 8;
  h.nonce = test::filled<24>(1);
  h.original = {1, 2, 3};
  h.original_as_is = true;
  h.version = 6;
  EXPECT_ERROR_HAS(container::serialize(h), "needs version 7");
  h.version = 7;
  auto b = container::serialize(h);
  EXPECT_TRUE(container::parse_header(b).original_as_is);
  h.original_as_is = false;
  EXPECT_ERROR_HAS(container::serialize(h), "version 7 keeps HEIF and PNG originals only");
  h.version = 6;
  EXPECT_FALSE(container::parse_header(container::serialize(h)).original_as_is) << "a version 6 original is a JPEG";
  b[5] |= 0x80;  // flags: "recompressed by JPEG XL", which a HEIF original never is
  EXPECT_ERROR_KIND(container::parse_header(b), ErrorKind::damaged);
}

TEST(HeifCli, ProtectsToAJpegAndRestoresTheHeifByName) {
  test::TempDir dir;
  auto p = [&](const char* n) { return (dir / n); };
  ASSERT_EQ(run_hipp("keygen -o " + q(p("k.key"))).code, 0);
  const std::string key = " -k " + q(p("k.key"));
  std::filesystem::create_directories(p("photos"));
  std::filesystem::copy_file(test::fixture("heif/scene.heic"), p("photos/IMG_0001.HEIC"));
  auto r = run_hipp("-q protect " + q(p("photos")) + " -o " + q(p("prot")) + key);
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_TRUE(std::filesystem::exists(p("prot/IMG_0001.jpg"))) << "a HEIF photo gives a protected JPEG";
  auto info = run_hipp("info " + q(p("prot/IMG_0001.jpg")));
  EXPECT_NE(info.output.find("header version 7"), std::string::npos) << info.output;
  EXPECT_NE(info.output.find("original:   HEIF, kept: 2626 bytes"), std::string::npos) << info.output;
  r = run_hipp("-q restore " + q(p("prot")) + " -o " + q(p("back")) + key);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(test::read_bytes(p("back/IMG_0001.heic")), test::read_bytes(test::fixture("heif/scene.heic")));
  ASSERT_EQ(run_hipp("-q restore " + q(p("prot/IMG_0001.jpg")) + " -o " + q(p("one.png")) + key).code, 0);
  EXPECT_TRUE(torch::equal(image::load(p("one.png")), image::load(test::fixture("heif/scene.heic"))));
  // Errors: a protected HEIF is not something hipp writes; a PNG-protected photo has no HEIF to give.
  r = run_hipp("-q protect " + q(test::fixture("heif/scene.heic")) + " -o " + q(p("x.heic")) + key);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("not HEIF: name it .jpg"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(p("x.heic")));
  ASSERT_EQ(run_hipp("-q protect " + q(test::fixture("heif/scene.heic")) + " -o " + q(p("prot.png")) + key).code, 0);
  r = run_hipp("-q restore " + q(p("prot.png")) + " -o " + q(p("y.heic")) + key);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("its original was not a HEIF photo"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(p("y.heic")));
}

TEST(KeptPng, OnlyA16BitOrTransparentPngIsKept) {
  EXPECT_FALSE(image::png_beyond_8bit_rgb(png_of("rgb")));
  for (auto kind : {"16-bit", "rgba", "grey-alpha"}) EXPECT_TRUE(image::png_beyond_8bit_rgb(png_of(kind))) << kind;
  EXPECT_FALSE(image::png_beyond_8bit_rgb(heif_fixture("scene.heic")));
  auto protector = test_protector();
  auto plain = container::read_header(protect_photo(protector, png_of("rgb"), false), "p.png");
  EXPECT_TRUE(plain.original.empty()) << "an 8-bit RGB PNG restores from its pixels, as before";
  EXPECT_EQ(plain.version, 3);
}

TEST(KeptPng, A16BitOrTransparentPngComesBackBitForBit) {
  auto protector = test_protector();
  for (auto kind : {"16-bit", "rgba", "grey-alpha"}) {
    auto input = png_of(kind);
    auto file = protect_photo(protector, input, false);
    auto h = container::read_header(file, "p.png");
    EXPECT_EQ(h.version, 7) << kind;
    EXPECT_EQ(container::kept_format(h), "png") << kind;
    auto r = protector.restore(file, "p.png");
    EXPECT_EQ(service::restored_png(r), input) << kind << ": the very file, its 16 bits and alpha included";
    EXPECT_TRUE(torch::equal(r.rgb, image::decode(input, kind, image::Orientation::apply, image::Conversions::silent)));
    auto prot = image::decode(file, "p.png");
    EXPECT_GT(metrics::thumbnail_psnr(prot, r.rgb, h.block), 30.0) << kind;
    EXPECT_ERROR_KIND(service::restored_heif(r, "p.png"), ErrorKind::usage);
    auto wrong = test_protector(6);
    EXPECT_ERROR_KIND(wrong.restore(file, "p.png"), ErrorKind::wrong_key);
  }
}

TEST(KeptPng, ProtectedToAJpegItIsNotKept) {
  auto protector = test_protector();
  auto h = container::read_header(protect_photo(protector, png_of("rgba"), true), "p.jpg");
  EXPECT_TRUE(h.original.empty()) << "a protected JPEG keeps JPEG and HEIF photos only";
}

TEST(KeptPng, TheCliGivesTheFileBack) {
  test::TempDir dir;
  auto p = [&](const char* n) { return (dir / n); };
  ASSERT_EQ(run_hipp("keygen -o " + q(p("k.key"))).code, 0);
  const std::string key = " -k " + q(p("k.key"));
  auto input = png_of("rgba");
  test::write_bytes(p("logo.png"), std::string(input.begin(), input.end()));
  auto r = run_hipp("protect " + q(p("logo.png")) + " -o " + q(p("prot.png")) + key);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("1 protected file keeps the original photo"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("alpha channel dropped"), std::string::npos) << "the file keeps it: " << r.output;
  auto info = run_hipp("info " + q(p("prot.png")));
  EXPECT_NE(info.output.find("original:   PNG, kept: " + std::to_string(input.size()) + " bytes"), std::string::npos)
      << info.output;
  r = run_hipp("restore " + q(p("prot.png")) + " -o " + q(p("back.png")) + key);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output.find("alpha channel dropped"), std::string::npos) << "nothing is dropped: " << r.output;
  EXPECT_EQ(test::read_bytes(p("back.png")), std::string(input.begin(), input.end()));
}
