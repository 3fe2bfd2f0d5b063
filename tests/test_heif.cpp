// HEIF photos (HEIC, AVIF): read through libheif, protected to a JPEG that keeps the photo as
// it is (format version 7), restored bit for bit, and the CLI's names for them.
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
  service::fit_to_input(s, input, "in.heic", 0);
  s.format.jpeg = jpeg;
  s.repair = repair::floors_for(s.repair, jpeg, false, false);
  return protector.protect(image::decode(input, "in.heic"), s, nullptr, input);
}

std::string q(const std::string& s) { return "'" + s + "'"; }

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
    EXPECT_TRUE(h.original_heif && !h.original_jxl && !h.origin) << name;
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
  h.original_heif = true;
  h.version = 6;
  EXPECT_ERROR_HAS(container::serialize(h), "needs version 7");
  h.version = 7;
  auto b = container::serialize(h);
  EXPECT_TRUE(container::parse_header(b).original_heif);
  h.original_heif = false;
  EXPECT_ERROR_HAS(container::serialize(h), "version 7 keeps HEIF originals only");
  h.version = 6;
  EXPECT_FALSE(container::parse_header(container::serialize(h)).original_heif) << "a version 6 original is a JPEG";
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
