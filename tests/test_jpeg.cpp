// Protected JPEGs (container/protected_jpeg.h): the input's quality read back from its tables,
// the header split over APP11 segments and found again, a file as written told from one
// re-encoded since, and restoration through the JPEG round trip meeting protect's floors.
#include <algorithm>
#include <cstdio>
// jpeglib.h needs FILE and size_t declared first.
#include <jpeglib.h>

#include "common/files.h"
#include "container/protected_jpeg.h"
#include "image/image.h"
#include "image/jpeg_xl.h"
#include "metrics/metrics.h"
#include "repair/checked.h"
#include "scheme/registry.h"
#include "service/protector.h"
#include "test_util.h"

using namespace hipp;
using namespace hipp::container;

namespace {

torch::Tensor photo() { return image::center_crop_resize(image::load(test::fixture("scenes/forest.jpg")), 96, 1.0); }

std::vector<uint8_t> random_bytes(size_t n, int seed) {
  torch::manual_seed(seed);
  auto t = torch::randint(0, 256, {static_cast<int64_t>(n)}, torch::kUInt8);
  return std::vector<uint8_t>(t.data_ptr<uint8_t>(), t.data_ptr<uint8_t>() + n);
}

// `jpeg`'s coefficients, arithmetic-coded (libjpeg's lossless transcoding, as jpegtran -arithmetic).
std::vector<uint8_t> arithmetic_coded(const std::vector<uint8_t>& jpeg) {
  jpeg_decompress_struct d;
  jpeg_compress_struct c;
  jpeg_error_mgr de, ce;
  d.err = jpeg_std_error(&de);
  c.err = jpeg_std_error(&ce);
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, jpeg.data(), static_cast<unsigned long>(jpeg.size()));
  jpeg_read_header(&d, TRUE);
  auto* coefficients = jpeg_read_coefficients(&d);
  jpeg_create_compress(&c);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buffer, &size);
  jpeg_copy_critical_parameters(&d, &c);
  c.arith_code = TRUE;
  jpeg_write_coefficients(&c, coefficients);
  jpeg_finish_compress(&c);
  jpeg_finish_decompress(&d);
  std::vector<uint8_t> out(buffer, buffer + size);
  jpeg_destroy_compress(&c);
  jpeg_destroy_decompress(&d);
  free(buffer);
  return out;
}

// The ICC profile libjpeg reads from `jpeg` (empty: none).
std::vector<uint8_t> icc_profile_of(const std::vector<uint8_t>& jpeg) {
  jpeg_decompress_struct d;
  jpeg_error_mgr e;
  d.err = jpeg_std_error(&e);
  jpeg_create_decompress(&d);
  jpeg_mem_src(&d, jpeg.data(), static_cast<unsigned long>(jpeg.size()));
  jpeg_save_markers(&d, JPEG_APP0 + 2, 0xFFFF);
  jpeg_read_header(&d, TRUE);
  JOCTET* data = nullptr;
  unsigned int size = 0;
  std::vector<uint8_t> out;
  if (jpeg_read_icc_profile(&d, &data, &size)) out.assign(data, data + size);
  free(data);
  jpeg_destroy_decompress(&d);
  return out;
}

// `rgb` as a JPEG with luma sampling h x v over chroma (4, 1: 4:1:1), or as CMYK (its channels
// and a fourth of 255 - red).
std::vector<uint8_t> written_by_libjpeg(const torch::Tensor& rgb, int h, int v, bool cmyk) {
  auto hwc = rgb.permute({1, 2, 0}).contiguous();
  if (cmyk) hwc = torch::cat({hwc, 255 - hwc.slice(2, 0, 1)}, 2).contiguous();
  jpeg_compress_struct c;
  jpeg_error_mgr e;
  c.err = jpeg_std_error(&e);
  jpeg_create_compress(&c);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buffer, &size);
  c.image_width = static_cast<JDIMENSION>(hwc.size(1));
  c.image_height = static_cast<JDIMENSION>(hwc.size(0));
  c.input_components = cmyk ? 4 : 3;
  c.in_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  jpeg_set_defaults(&c);
  c.comp_info[0].h_samp_factor = h, c.comp_info[0].v_samp_factor = v;
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = hwc[c.next_scanline].data_ptr<uint8_t>();
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  std::vector<uint8_t> out(buffer, buffer + size);
  jpeg_destroy_compress(&c);
  free(buffer);
  return out;
}

Header header_for(const std::string& scheme, int block) {
  Header h;
  h.scheme = scheme;
  h.block = static_cast<uint16_t>(block);
  h.nonce = test::filled<24>(7);
  return h;
}

}  // namespace

TEST(JpegSettings, ReadBackTheQualityAndSamplingAJpegWasWrittenWith) {
  auto img = photo();
  for (int q : {20, 50, 75, 85, 90, 95, 100})
    for (auto [h, v] : {std::pair{2, 2}, {1, 1}, {2, 1}}) {
      auto s = image::jpeg_settings_of(image::encode_jpeg(img, image::JpegSettings{q, h, v}), "x.jpg");
      EXPECT_EQ(s.quality, q);
      EXPECT_EQ(s.luma_h, h);
      EXPECT_EQ(s.luma_v, v);
    }
  EXPECT_ERROR_HAS(image::jpeg_settings_of(image::encode_png(img), "x.png"), "x.png: not a JPEG");
  // A frame header naming quantization table 55 of 4 (found by fuzz/fuzz_http.cpp): refused, not
  // read out of bounds.
  auto bad = test::read_bytes(test::fixture("fuzz/jpeg-quant-table-55.jpg"));
  EXPECT_ERROR_HAS(image::jpeg_settings_of(std::vector<uint8_t>(bad.begin(), bad.end()), "q.jpg"), "quantization table 55");
}

TEST(JpegSegments, AHeaderIsSplitFoundAgainAndStripped) {
  auto jpeg = image::encode_jpeg(photo(), 90);
  EXPECT_FALSE(find_segments(jpeg));
  auto payload = random_bytes(150000, 1);  // three segments
  auto with = add_segments(jpeg, payload);
  EXPECT_EQ(with.size(), jpeg.size() + payload.size() + 3 * 11);
  EXPECT_EQ(*find_segments(with), payload);
  EXPECT_EQ(with[3], 0xE0) << "JFIF's APP0 stays first";
  EXPECT_TRUE(torch::equal(image::decode(with, "w"), image::decode(jpeg, "j")));
  EXPECT_EQ(strip_segments(with), jpeg);
  auto small = random_bytes(100, 2);
  EXPECT_EQ(*find_segments(add_segments(with, small)), small) << "adding replaces";
  // The second segment's index changed: out of order.
  size_t second = 2 + 2 + (size_t{with[4]} << 8 | with[5]) + 2 + 65535;
  ASSERT_EQ(with[second], 0xFF);
  ASSERT_EQ(with[second + 1], 0xEB);
  auto bad = with;
  bad[second + 4 + 5] = 2;
  EXPECT_ERROR_HAS(find_segments(bad), "out of order");
  // The third segment removed: incomplete.
  size_t third = second + 2 + 65535, third_len = size_t{with[third + 2]} << 8 | with[third + 3];
  bad = with;
  bad.erase(bad.begin() + static_cast<std::ptrdiff_t>(third), bad.begin() + static_cast<std::ptrdiff_t>(third + 2 + third_len));
  EXPECT_ERROR_HAS(find_segments(bad), "incomplete");
  // Over 255 segments: refused, with the way out.
  EXPECT_ERROR_HAS(find_segments(add_segments(jpeg, random_bytes(65526 * 255 + 1, 3))), "does not fit");
  EXPECT_ERROR_HAS(find_segments({0xFF, 0xD8, 0xFF}), "damaged JPEG");
  EXPECT_ERROR_HAS(find_segments({1, 2, 3}), "not a JPEG");
}

TEST(ProtectedJpeg, VerifiesAsWrittenTellsAReencodedFileAndRefusesAlteredOrStrippedOnes) {
  auto img = photo();
  auto key = test::filled<32>(1);
  auto scheme = scheme::make("shuffle", 8);
  auto h = header_for("shuffle", 8);
  h.origin = Header::JpegOrigin{88, 2, 2};
  repair::RepairStats st;
  auto file = repair::protect_file(*scheme, img, key, h, {}, {true, {90, 1, 1}}, &st);
  ASSERT_TRUE(image::is_jpeg(file));
  EXPECT_GT(st.repaired, 0) << "a shuffle does not survive JPEG: the check repairs it";
  auto p = read_protected(file, "p.jpg");
  EXPECT_EQ(p.header.version, 4);
  ASSERT_TRUE(p.header.pixel_tag && p.header.origin);
  EXPECT_EQ(p.header.origin->quality, 88);
  EXPECT_TRUE(verify(p, key, "p.jpg"));
  auto back = repair::restore_checked(*scheme, p, key, "p.jpg");
  EXPECT_GE(metrics::psnr(img, back), 40.0);
  EXPECT_GE(metrics::ssim(img, back), 0.99);
  // Re-encoded with the segments kept: still this key's, restored approximately.
  auto again = add_segments(image::encode_jpeg(p.rgb, 85), *find_segments(file));
  EXPECT_FALSE(verify(read_protected(again, "q85.jpg"), key, "q85.jpg"));
  EXPECT_ERROR_HAS(verify(read_protected(again, "q85.jpg"), test::filled<32>(2), "q85.jpg"), "q85.jpg: wrong key");
  // The header altered (the block size): refused.
  auto payload = *find_segments(file);
  payload[14] ^= 1;  // "HIPP", version, flags, scheme length and "shuffle", then the block
  EXPECT_ERROR_HAS(verify(read_protected(add_segments(file, payload), "a.jpg"), key, "a.jpg"), "header was altered");
  EXPECT_ERROR_HAS(read_protected(strip_segments(file), "s.jpg"), "s.jpg: a JPEG without a hipp header");
  EXPECT_ERROR_HAS(read_protected_png(file, "p.jpg"), "a JPEG image");
}

TEST(ProtectedJpeg, APngKeepsVersion3UnlessItRecordsAJpegOriginal) {
  auto img = photo();
  auto key = test::filled<32>(1);
  auto scheme = scheme::make("tpe-ideal", 8);
  auto h = header_for("tpe-ideal", 8);
  EXPECT_EQ(read_header(repair::protect_file(*scheme, img, key, h, {}, {}), "p.png").version, 3);
  h.origin = Header::JpegOrigin{75, 1, 1};
  auto file = repair::protect_file(*scheme, img, key, h, {}, {});
  auto p = read_protected(file, "p.png");
  EXPECT_EQ(p.header.version, 4);
  EXPECT_FALSE(p.header.pixel_tag);
  EXPECT_TRUE(verify(p, key, "p.png"));
  EXPECT_TRUE(torch::equal(repair::restore_checked(*scheme, p, key, "p.png"), img));
  EXPECT_EQ(parse_header(serialize(p.header)).origin->luma_h, 1);
}

// A protected JPEG that keeps its photo gives up the protected image's quality, not size: the
// highest quality whose file stays within max_expansion of the photo, never below the lowest.
TEST(ProtectedJpeg, ItsProtectedImageGivesUpQualityToStayNearThePhotosSize) {
  auto input = image::encode_jpeg(photo(), image::JpegSettings{85, 2, 2});
  service::Protector protector(keys::KeySource{keys::KeySource::Raw, test::filled<32>(5), ""}, torch::kCPU);
  auto protect = [&](int quality, double max_expansion) {
    service::ProtectSettings s;
    service::fit_to_input(s, input, "in.jpg", quality, max_expansion);
    s.format.jpeg = true;
    return protector.protect(image::decode(input, "in.jpg"), s, nullptr, input);
  };
  auto quality = [](const std::vector<uint8_t>& f) { return image::jpeg_settings_of(f, "p.jpg").quality; };
  auto ratio = [&](const std::vector<uint8_t>& f) { return static_cast<double>(f.size()) / input.size(); };
  auto unlimited = protect(0, 0);
  EXPECT_EQ(quality(unlimited), service::kKeptOriginalQuality);
  auto lowest = protect(repair::kLowestFittedQuality, 0);
  ASSERT_LT(ratio(lowest) + 0.1, ratio(unlimited));
  const double halfway = (ratio(lowest) + ratio(unlimited)) / 2;
  auto fitted = protect(0, halfway);
  EXPECT_LE(ratio(fitted), halfway);
  EXPECT_GT(quality(fitted), repair::kLowestFittedQuality);
  EXPECT_LT(quality(fitted), service::kKeptOriginalQuality);
  EXPECT_EQ(protector.restore(fitted, "p.jpg").original, input) << "the photo comes back whatever the quality";
  EXPECT_EQ(quality(protect(0, 0.5)), repair::kLowestFittedQuality) << "no quality fits: the lowest";
  EXPECT_EQ(quality(protect(70, 1.0)), 70) << "a quality asked for is kept";
}

TEST(ProtectedJpeg, HippKeepsAJpegPhotoAndGivesItBackAfterRecompression) {
  auto input = image::encode_jpeg(photo(), image::JpegSettings{87, 2, 2});
  service::Protector protector(keys::KeySource{keys::KeySource::Raw, test::filled<32>(5), ""}, torch::kCPU);
  service::ProtectSettings s;
  service::fit_to_input(s, input, "in.jpg", 0);
  s.format.jpeg = true;
  EXPECT_EQ(s.format.settings.quality, service::kKeptOriginalQuality);
  EXPECT_EQ(s.format.settings.luma_h, 2) << "the original's sampling";
  repair::RepairStats st;
  auto file = protector.protect(image::decode(input, "in.jpg"), s, &st, input);
  EXPECT_TRUE(st.original);
  auto written = read_header(file, "p.jpg");
  EXPECT_EQ(written.version, 6);
  EXPECT_TRUE(written.original_jxl);
  EXPECT_LT(written.original.size(), input.size()) << "recompressed";
  EXPECT_TRUE(written.repair.empty());
  EXPECT_TRUE(written.side.empty()) << "restore reads only the original";
  for (int q : {0, 85, 50}) {  // as written, then re-encoded by a photo service with the segments kept
    auto f = q ? add_segments(image::encode_jpeg(image::decode(file, "p.jpg"), q), *find_segments(file)) : file;
    auto r = protector.restore(f, "p.jpg");
    EXPECT_TRUE(r.exact) << q;
    EXPECT_EQ(r.original, input) << q;
    EXPECT_TRUE(torch::equal(r.rgb, image::decode(input, "in.jpg"))) << q;
  }
  // The kept original, damaged under a valid MAC, is refused rather than returned.
  auto master = test::filled<32>(5);
  auto p = read_protected(file, "p.jpg");
  p.header.original = repair::crypt({1, 2, 3}, master, p.header.nonce, "hipp/original");
  auto scheme = scheme::make("shuffle", 8);
  EXPECT_ERROR_HAS(repair::restore_checked(*scheme, p, master, "p.jpg"), "the kept original is not a recompressed JPEG");
  p.header.original_jxl = false;
  EXPECT_ERROR_HAS(repair::restore_checked(*scheme, p, master, "p.jpg"), "the kept original is not a JPEG");
}

TEST(JpegXl, RecompressesAJpegSmallerAndGivesBackItsBytes) {
  for (auto settings : {image::JpegSettings{87, 2, 2}, image::JpegSettings{95, 1, 1}}) {
    auto jpeg = image::encode_jpeg(photo(), settings);
    auto jxl = image::jpeg_xl_pack(jpeg);
    ASSERT_TRUE(jxl) << settings.quality;
    EXPECT_LT(jxl->size(), jpeg.size()) << settings.quality;  // by 2-4% at this size, 10-25% on photos
    EXPECT_EQ(image::jpeg_xl_unpack(*jxl), jpeg) << settings.quality;
    auto cut = *jxl;
    cut.resize(cut.size() / 2);
    EXPECT_ERROR_HAS(image::jpeg_xl_unpack(cut), "not a recompressed JPEG");
  }
  EXPECT_ERROR_HAS(image::jpeg_xl_unpack(std::vector<uint8_t>(100, 7)), "not a recompressed JPEG");
}

// libjxl does not model arithmetic-coded JPEGs: protect keeps those as they are (version 5).
TEST(JpegXl, AJpegItCannotRecompressIsKeptAsItIs) {
  auto input = arithmetic_coded(image::encode_jpeg(photo(), image::JpegSettings{90, 2, 2}));
  ASSERT_TRUE(image::is_jpeg(input));
  EXPECT_FALSE(image::jpeg_xl_pack(input));
  service::Protector protector(keys::KeySource{keys::KeySource::Raw, test::filled<32>(5), ""}, torch::kCPU);
  service::ProtectSettings s;
  service::fit_to_input(s, input, "in.jpg", 0);
  s.format.jpeg = true;
  auto file = protector.protect(image::decode(input, "in.jpg"), s, nullptr, input);
  auto h = read_header(file, "p.jpg");
  EXPECT_EQ(h.version, 5);
  EXPECT_FALSE(h.original_jxl);
  EXPECT_EQ(protector.restore(file, "p.jpg").original, input);
}

// A phone photo as phones write them: turned by an EXIF tag, with a video after its image. The
// protected image stands as the photo is shown (its thumbnail too), and restore gives the file back.
TEST(ProtectedJpeg, APhotoTurnedByExifWithAVideoAfterItStandsAsShownAndComesBackWhole) {
  auto plain = image::encode_jpeg(image::resize(photo(), 96, 64), image::JpegSettings{90, 2, 2});
  auto input = test::with_exif_orientation(plain, 6);
  auto video = random_bytes(3000, 4);
  input.insert(input.end(), video.begin(), video.end());
  auto shown = image::decode(input, "in.jpg");
  ASSERT_EQ(shown.sizes(), torch::IntArrayRef({3, 96, 64}));
  service::Protector protector(keys::KeySource{keys::KeySource::Raw, test::filled<32>(5), ""}, torch::kCPU);
  service::ProtectSettings s;
  service::fit_to_input(s, input, "in.jpg", 0);
  s.format.jpeg = true;
  auto file = protector.protect(shown, s, nullptr, input);
  auto prot = image::decode(file, "p.jpg");
  ASSERT_EQ(prot.sizes(), shown.sizes()) << "the protected image stands as the photo is shown";
  EXPECT_GT(metrics::psnr(image::thumbnail(prot, 16), image::thumbnail(shown, 16)), 35.0);
  auto r = protector.restore(file, "p.jpg");
  EXPECT_EQ(r.original, input) << "tag and video included";
  EXPECT_TRUE(torch::equal(r.rgb, shown));

  // Before hipp turned photos, the protected image stood as stored: such files still restore.
  auto master = test::filled<32>(5);
  auto scheme = scheme::make("shuffle", 16);
  auto h = header_for("shuffle", 16);
  h.origin = Header::JpegOrigin{90, 2, 2};
  auto stored = image::decode(input, "in.jpg", image::Orientation::as_stored);
  auto old = repair::protect_file(*scheme, stored, master, h, {}, {true, image::JpegSettings{60, 2, 2}}, nullptr, input);
  std::vector<uint8_t> back;
  auto rgb = repair::restore_checked(*scheme, read_protected(old, "old.jpg"), master, "old.jpg", &back);
  EXPECT_EQ(back, input);
  EXPECT_TRUE(torch::equal(rgb, shown));

  // jpeg-scramble gives back the coefficients alone, so it refuses what it would lose.
  auto scramble = scheme::make("jpeg-scramble", 16);
  auto hs = header_for("jpeg-scramble", 16);
  EXPECT_ERROR_KIND(repair::protect_file(*scramble, shown, master, hs, {}, {true, {}}, nullptr, input), ErrorKind::unsupported);
  EXPECT_ERROR_HAS(repair::protect_file(*scramble, shown, master, hs, {}, {true, {}}, nullptr, test::with_exif_orientation(plain, 3)),
                   "an EXIF orientation");
  auto motion = plain;
  motion.insert(motion.end(), video.begin(), video.end());
  EXPECT_ERROR_HAS(repair::protect_file(*scramble, shown, master, hs, {}, {true, {}}, nullptr, motion),
                   "3000 bytes after its image");
}

// A black-and-white photo's protected JPEG is black and white too (HIPP's colour would be
// noise there), one component, thumbnail kept; restore still gives back the file.
// The protected image is in the photo's colours: it carries the photo's colour profile, unless
// the profile is for other components than its own (a CMYK photo's, read as RGB).
TEST(ProtectedJpeg, CarriesThePhotosColourProfileWhereItFits) {
  const auto srgb = hipp::read_file(test::fixture("icc/srgb.icc"));
  service::Protector protector(keys::KeySource{keys::KeySource::Raw, test::filled<32>(5), ""}, torch::kCPU);
  for (bool cmyk : {false, true}) {
    auto profile = srgb;
    if (cmyk) std::copy_n("CMYK", 4, profile.begin() + 16);
    auto input = test::with_icc_profile(cmyk ? written_by_libjpeg(photo(), 2, 2, true) : image::encode_jpeg(photo(), 90), profile);
    ASSERT_EQ(icc_profile_of(input), profile);
    EXPECT_EQ(image::jpeg_extras(input).icc_space, cmyk ? "CMYK" : "RGB ");
    service::ProtectSettings s;
    service::fit_to_input(s, input, "in.jpg", 0);
    s.format.jpeg = true;
    auto file = protector.protect(image::decode(input, "in.jpg"), s, nullptr, input);
    EXPECT_EQ(icc_profile_of(file), cmyk ? std::vector<uint8_t>{} : profile);
    EXPECT_EQ(read_header(file, "p.jpg").original_jxl, !cmyk) << "libjxl recompresses it, profile and all";
    EXPECT_EQ(protector.restore(file, "p.jpg").original, input);
  }
  // A profile over two segments, as found in the file, and joined again.
  auto big = random_bytes(70000, 3);
  auto extras = image::jpeg_extras(test::with_icc_profile(image::encode_jpeg(photo(), 90), big));
  EXPECT_EQ(extras.icc_segments.size(), big.size() + 2 * (4 + 14));
  EXPECT_EQ(extras.icc_space, std::string(big.begin() + 16, big.begin() + 20));
  EXPECT_EQ(image::icc_profile(extras), big);
  auto twice = test::with_icc_profile(test::with_icc_profile(image::encode_jpeg(photo(), 90), big), big);
  EXPECT_TRUE(image::icc_profile(image::jpeg_extras(twice)).empty()) << "chunks repeated: no profile";
}

TEST(ProtectedJpeg, ABlackAndWhitePhotoGetsABlackAndWhiteProtectedImage) {
  service::Protector protector(keys::KeySource{keys::KeySource::Raw, test::filled<32>(5), ""}, torch::kCPU);
  for (bool grey : {true, false}) {
    auto rgb = grey ? image::to_grey(photo()) : photo();
    ASSERT_EQ(image::is_grey(rgb), grey);
    auto input = grey ? image::encode_grey_jpeg(rgb, 90) : image::encode_jpeg(rgb, 90);
    service::ProtectSettings s;
    service::fit_to_input(s, input, "in.jpg", 0);
    s.format.jpeg = true;
    auto file = protector.protect(image::decode(input, "in.jpg"), s, nullptr, input);
    auto prot = image::decode(file, "p.jpg");
    EXPECT_EQ(image::is_grey(prot), grey);
    EXPECT_GT(metrics::psnr(image::thumbnail(prot, 16), image::thumbnail(image::decode(input, "in.jpg"), 16)), 35.0);
    EXPECT_EQ(protector.restore(file, "p.jpg").original, input);
  }
  auto rgb = torch::tensor({10, 11, 12, 200, 0, 1}, torch::kUInt8).reshape({3, 1, 2});
  EXPECT_TRUE(torch::equal(image::to_grey(rgb)[2], torch::tensor({{7, 71}}, torch::kUInt8)));  // 22 / 3, 212 / 3, rounded
  EXPECT_ERROR_HAS(image::encode_grey_jpeg(rgb, 90), "has colour");
}

// What libjxl cannot recompress is not handed to it: it would print its reasons on stderr.
TEST(JpegXl, LeavesWhatItCannotRecompressWithoutAWord) {
  auto rgb = photo();
  for (auto jpeg : {arithmetic_coded(image::encode_jpeg(rgb, 90)), written_by_libjpeg(rgb, 4, 1, false),
                    written_by_libjpeg(rgb, 2, 2, true)}) {
    testing::internal::CaptureStderr();
    EXPECT_FALSE(image::jpeg_xl_pack(jpeg));
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  }
}

TEST(ProtectedJpeg, HippRestoresThroughTheJpegAtProtectsFloorsAndAfterRecompression) {
  auto input = image::encode_jpeg(photo(), image::JpegSettings{87, 2, 2});
  auto decoded = image::decode(input, "in.jpg");
  service::Protector protector(keys::KeySource{keys::KeySource::Raw, test::filled<32>(5), ""}, torch::kCPU);
  service::ProtectSettings s;
  s.format.keep_original = false;  // restored from the protected pixels, as before format version 5
  service::fit_to_input(s, input, "in.jpg", 0);
  s.format.jpeg = true;
  EXPECT_EQ(s.format.settings.quality, 87);
  EXPECT_EQ(s.format.settings.luma_h, 1) << "full chroma, for the restoration through the pixels";
  repair::RepairStats st;
  auto file = protector.protect(decoded, s, &st);
  auto r = protector.restore(file, "p.jpg");
  EXPECT_TRUE(r.exact);
  ASSERT_TRUE(r.origin);
  EXPECT_EQ(r.origin->quality, 87);
  EXPECT_GE(metrics::psnr(decoded, r.rgb), 40.0);
  EXPECT_GE(metrics::ssim(decoded, r.rgb), 0.99);
  EXPECT_GE(metrics::thumbnail_psnr(decoded, image::decode(file, "p.jpg"), read_header(file, "p.jpg").block), 30.0);
  auto again = add_segments(image::encode_jpeg(image::decode(file, "p.jpg"), 85), *find_segments(file));
  auto r85 = protector.restore(again, "q85.jpg");
  EXPECT_FALSE(r85.exact);
  EXPECT_GE(metrics::ssim(decoded, r85.rgb), 0.8);
}

namespace {

// The fixture photo as a user's JPEG: 4:2:0 at quality 90, 200x150 (not a multiple of 16).
std::vector<uint8_t> user_jpeg(int quality = 90) {
  auto img = image::resize(image::load(test::fixture("scenes/sea.jpg")), 200, 150);
  return image::encode_jpeg(img, image::JpegSettings{quality, 2, 2});
}

}  // namespace

TEST(JpegScramble, RestoresTheOriginalsCoefficientsExactlyAtAboutItsSize) {
  auto original = user_jpeg();
  auto scheme = scheme::make("jpeg-scramble", 16);
  ASSERT_TRUE(scheme->jpeg_native());
  auto key = test::filled<32>(3);
  auto h = header_for("jpeg-scramble", 16);
  h.origin = Header::JpegOrigin{90, 2, 2};
  repair::RepairStats st;
  auto file = repair::protect_file(*scheme, torch::Tensor(), key, h, {}, {true, {}}, &st, original);
  EXPECT_EQ(st.repaired, 0);
  EXPECT_LT(static_cast<double>(file.size()) / original.size(), 1.2);
  auto p = read_protected(file, "p.jpg");
  EXPECT_TRUE(verify(p, key, "p.jpg"));
  EXPECT_FALSE(p.header.side.empty()) << "the original DC terms";
  std::vector<uint8_t> restored;
  auto rgb = repair::restore_checked(*scheme, p, key, "p.jpg", &restored);
  auto decoded = image::decode(original, "o");
  EXPECT_TRUE(torch::equal(rgb, decoded));
  EXPECT_TRUE(torch::equal(image::decode(restored, "r"), decoded));
  EXPECT_EQ(image::jpeg_settings_of(restored, "r").quality, 90);
  // The thumbnail is kept, and the protected image is far from the original.
  EXPECT_GE(metrics::thumbnail_psnr(decoded, p.rgb, 16), 30.0);
  EXPECT_LT(metrics::ssim(decoded, p.rgb), 0.5);
  // A wrong key (check tag bypassed) gets neither the details nor the 8x8 means.
  auto guess = image::decode(scheme->restore_jpeg(p.jpeg, test::filled<32>(4), p.header.nonce, {}), "g");
  EXPECT_LT(metrics::ssim(decoded, guess), 0.5);
}

// Its protected JPEG is in the photo's colours and components: it carries the photo's colour
// profile, whatever its colour space, and the restored JPEG gets it back.
TEST(JpegScramble, CarriesThePhotosColourProfileAndGivesItBack) {
  auto icc = test::read_bytes(test::fixture("icc/srgb.icc"));
  auto profile = std::vector<uint8_t>(icc.begin(), icc.end());
  auto original = test::with_icc_profile(user_jpeg(), profile);
  auto scheme = scheme::make("jpeg-scramble", 16);
  auto key = test::filled<32>(3);
  auto h = header_for("jpeg-scramble", 16);
  h.origin = Header::JpegOrigin{90, 2, 2};
  auto file = repair::protect_file(*scheme, torch::Tensor(), key, h, {}, {true, {}}, nullptr, original);
  EXPECT_EQ(image::icc_profile(image::jpeg_extras(file)), profile);
  auto p = read_protected(file, "p.jpg");
  EXPECT_TRUE(verify(p, key, "p.jpg"));
  std::vector<uint8_t> restored;
  auto rgb = repair::restore_checked(*scheme, p, key, "p.jpg", &restored);
  EXPECT_EQ(image::icc_profile(image::jpeg_extras(restored)), profile);
  EXPECT_TRUE(torch::equal(rgb, image::decode(original, "o")));
}

TEST(JpegScramble, SurvivesRecompressionButNotAnotherSubsamplingOrAPngInput) {
  auto original = user_jpeg();
  auto decoded = image::decode(original, "o");
  auto scheme = scheme::make("jpeg-scramble", 16);
  auto key = test::filled<32>(3);
  auto h = header_for("jpeg-scramble", 16);
  h.origin = Header::JpegOrigin{90, 2, 2};
  auto file = repair::protect_file(*scheme, torch::Tensor(), key, h, {}, {true, {}}, nullptr, original);
  auto prot = image::decode(file, "p");
  for (int q : {85, 75}) {
    auto again = add_segments(image::encode_jpeg(prot, image::JpegSettings{q, 2, 2}), *find_segments(file));
    auto p = read_protected(again, "again.jpg");
    EXPECT_FALSE(verify(p, key, "again.jpg"));
    auto back = repair::restore_checked(*scheme, p, key, "again.jpg");
    auto direct = image::decode(image::encode_jpeg(decoded, image::JpegSettings{q, 2, 2}), "d");
    // About what recompressing the original itself would have left.
    EXPECT_GE(metrics::ssim(decoded, back), metrics::ssim(decoded, direct) - 0.05) << q;
  }
  auto sub444 = add_segments(image::encode_jpeg(prot, image::JpegSettings{90, 1, 1}), *find_segments(file));
  EXPECT_ERROR_HAS(repair::restore_checked(*scheme, read_protected(sub444, "s.jpg"), key, "s.jpg"),
                   "another chroma subsampling");
  auto png = image::encode_png(decoded);
  EXPECT_ERROR_HAS(repair::protect_file(*scheme, decoded, key, h, {}, {true, {}}, nullptr, png), "JPEG photos only");
  EXPECT_ERROR_HAS(repair::protect_file(*scheme, decoded, key, h, {}, {}, nullptr, original), "not --format png");
  EXPECT_ERROR_HAS(scheme->protect(decoded, key, h.nonce), "protects JPEG files");
  EXPECT_ERROR_HAS(scheme::make("jpeg-scramble", 8), "multiple of 16");
}
