// Image loading, conversions, PNG round trip, thumbnails and the error paths.
#include <png.h>
// jpeglib.h needs FILE declared first.
#include <cstdio>
#include <jpeglib.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common/error.h"
#include "image/image.h"
#include "image/jpeg_segments.h"
#include "image/jpeg_transcode.h"
#include "metrics/metrics.h"
#include "metrics/naturalness.h"
#include "test_util.h"

using namespace hipp;
using hipp::test::fixture;

TEST(Image, LoadsJpegAsRgbUint8) {
  auto img = image::load(fixture("scenes/forest.jpg"));
  EXPECT_EQ(img.scalar_type(), torch::kUInt8);
  EXPECT_EQ(img.sizes(), torch::IntArrayRef({3, 150, 150}));
}

TEST(Image, PngRoundTripIsLossless) {
  test::TempDir dir;
  auto img = torch::randint(0, 256, {3, 17, 23}).to(torch::kUInt8);
  image::save_png(dir / "a.png", img);
  EXPECT_TRUE(torch::equal(image::load(dir / "a.png"), img));
  // Channel order survives: a pure red image stays red.
  auto red = torch::zeros({3, 4, 4}, torch::kUInt8);
  red[0].fill_(255);
  image::save_png(dir / "red.png", red);
  EXPECT_TRUE(torch::equal(image::load(dir / "red.png"), red));
}

TEST(Image, GrayscaleAndRgbaAreConverted) {
  test::TempDir dir;
  cv::Mat gray(5, 7, CV_8UC1, cv::Scalar(77));
  cv::imwrite(dir / "g.png", gray);
  auto g = image::load(dir / "g.png");
  EXPECT_EQ(g.sizes(), torch::IntArrayRef({3, 5, 7}));
  EXPECT_EQ(g.min().item<int>(), 77);
  EXPECT_EQ(g.max().item<int>(), 77);
  cv::Mat rgba(4, 4, CV_8UC4, cv::Scalar(10, 20, 30, 128));  // B, G, R, A
  cv::imwrite(dir / "a.png", rgba);
  auto a = image::load(dir / "a.png");
  EXPECT_EQ(a.sizes(), torch::IntArrayRef({3, 4, 4}));
  EXPECT_EQ(a[0][0][0].item<int>(), 30);
  EXPECT_EQ(a[2][0][0].item<int>(), 10);
}

namespace {

// How hipp decoded through OpenCV before it had codecs of its own: the reference they replace.
torch::Tensor opencv_decode(const std::vector<uint8_t>& bytes) {
  cv::Mat m = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
  if (m.depth() == CV_16U) m.convertTo(m, CV_8U, 1.0 / 257.0);
  cv::cvtColor(m, m, m.channels() == 1 ? cv::COLOR_GRAY2RGB : m.channels() == 4 ? cv::COLOR_BGRA2RGB : cv::COLOR_BGR2RGB);
  return torch::from_blob(m.data, {m.rows, m.cols, 3}, torch::kUInt8).permute({2, 0, 1}).clone();
}

std::vector<uint8_t> cv_encode(const std::string& ext, const cv::Mat& m, const std::vector<int>& params = {}) {
  std::vector<uint8_t> out;
  EXPECT_TRUE(cv::imencode(ext, m, out, params));
  return out;
}

void on_png_write(png_structp png, png_bytep data, size_t n) {
  auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + n);
}

// PNG layouts OpenCV does not write: an interlaced RGB image and a 4-bit palette with
// transparency. Made with libpng in a C-style function (its errors longjmp).
bool write_png_variant(std::vector<uint8_t>& out, bool palette) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_write_fn(png, &out, on_png_write, nullptr);
  const int w = 13, h = 11;
  png_set_IHDR(png, info, w, h, palette ? 4 : 8, palette ? PNG_COLOR_TYPE_PALETTE : PNG_COLOR_TYPE_RGB,
               palette ? PNG_INTERLACE_NONE : PNG_INTERLACE_ADAM7, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_color colours[3] = {{200, 10, 30}, {5, 250, 60}, {90, 90, 255}};
  png_byte alpha[1] = {0};
  if (palette) {
    png_set_PLTE(png, info, colours, 3);
    png_set_tRNS(png, info, alpha, 1, nullptr);
  }
  png_write_info(png, info);
  const int passes = palette ? 1 : png_set_interlace_handling(png);
  png_byte row[3 * w];
  for (int p = 0; p < passes; ++p)
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < 3 * w; ++x) row[x] = palette ? static_cast<png_byte>(((x + y) % 3) << 4 | (x % 3)) : (x * 7 + y * 31) % 256;
      png_write_row(png, row);
    }
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return true;
}

// JPEG layouts OpenCV 4.6 does not write: full-resolution chroma (4:4:4) and CMYK (as print
// workflows save). libjpeg's default error handler exits, which a test can live with.
std::vector<uint8_t> write_jpeg_variant(const cv::Mat& bgr, bool cmyk) {
  jpeg_compress_struct e{};
  jpeg_error_mgr err{};
  e.err = jpeg_std_error(&err);
  jpeg_create_compress(&e);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&e, &buf, &size);
  e.image_width = bgr.cols;
  e.image_height = bgr.rows;
  e.input_components = cmyk ? 4 : 3;
  e.in_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  jpeg_set_defaults(&e);
  jpeg_set_quality(&e, 92, TRUE);
  if (!cmyk) e.comp_info[0].h_samp_factor = e.comp_info[0].v_samp_factor = 1;
  jpeg_start_compress(&e, TRUE);
  std::vector<uint8_t> row(bgr.cols * e.input_components);
  for (int y = 0; y < bgr.rows; ++y) {
    for (int x = 0; x < bgr.cols; ++x) {
      auto px = bgr.at<cv::Vec3b>(y, x);
      if (cmyk) {  // Adobe-style inverted inks: the stored value is the light, as OpenCV reads it
        uint8_t k = std::max({px[0], px[1], px[2]});
        row[x * 4] = px[2], row[x * 4 + 1] = px[1], row[x * 4 + 2] = px[0], row[x * 4 + 3] = k;
      } else {
        row[x * 3] = px[2], row[x * 3 + 1] = px[1], row[x * 3 + 2] = px[0];
      }
    }
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&e, &r, 1);
  }
  jpeg_finish_compress(&e);
  jpeg_destroy_compress(&e);
  std::vector<uint8_t> out(buf, buf + size);
  std::free(buf);
  return out;
}

}  // namespace

// hipp decodes PNG and JPEG with libpng and libjpeg itself; every layout must give the pixels
// OpenCV (which hipp used before, and which other tools use) gives.
TEST(Image, DecodesEveryLayoutAsOpenCvDoes) {
  torch::manual_seed(5);
  auto rgb = torch::randint(0, 256, {19, 23, 3}, torch::kUInt8);
  cv::Mat bgr(19, 23, CV_8UC3, rgb.data_ptr<uint8_t>()), gray, deep, deep_gray, rgba;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  cv::cvtColor(bgr, rgba, cv::COLOR_BGR2BGRA);
  bgr.convertTo(deep, CV_16U, 257.0, 3);  // 16-bit, not multiples of 257
  gray.convertTo(deep_gray, CV_16U, 250.0);
  std::vector<std::pair<std::string, std::vector<uint8_t>>> files = {
      {"png", cv_encode(".png", bgr)},
      {"gray png", cv_encode(".png", gray)},
      {"bilevel png", cv_encode(".png", gray, {cv::IMWRITE_PNG_BILEVEL, 1})},
      {"16-bit png", cv_encode(".png", deep)},
      {"16-bit gray png", cv_encode(".png", deep_gray)},
      {"rgba png", cv_encode(".png", rgba)},
      {"jpeg", cv_encode(".jpg", bgr, {cv::IMWRITE_JPEG_QUALITY, 90})},
      {"progressive jpeg", cv_encode(".jpg", bgr, {cv::IMWRITE_JPEG_PROGRESSIVE, 1})},
      {"gray jpeg", cv_encode(".jpg", gray)},
      {"4:4:4 jpeg", write_jpeg_variant(bgr, false)},
  };
  for (bool palette : {false, true}) {
    std::vector<uint8_t> b;
    ASSERT_TRUE(write_png_variant(b, palette));
    files.emplace_back(palette ? "palette png with transparency" : "interlaced png", b);
  }
  for (auto& [what, bytes] : files)
    EXPECT_TRUE(torch::equal(image::decode(bytes, what), opencv_decode(bytes))) << what;
  // CMYK: hipp used to drop K as if it were alpha; now it converts as OpenCV's colour reader does.
  auto cmyk = write_jpeg_variant(bgr, true);
  cv::Mat ref = cv::imdecode(cmyk, cv::IMREAD_COLOR);
  cv::cvtColor(ref, ref, cv::COLOR_BGR2RGB);
  EXPECT_TRUE(torch::equal(image::decode(cmyk, "cmyk"),
                           torch::from_blob(ref.data, {ref.rows, ref.cols, 3}, torch::kUInt8).permute({2, 0, 1})));
  // And what hipp writes, OpenCV reads back exactly.
  auto t = rgb.permute({2, 0, 1}).contiguous();
  for (auto content : {image::PngContent::Photo, image::PngContent::Protected})
    EXPECT_TRUE(torch::equal(opencv_decode(image::encode_png(t, content)), t));
  EXPECT_TRUE(torch::equal(opencv_decode(image::encode_jpeg(t, 95)), image::decode(image::encode_jpeg(t, 95), "q95")));
}

// Cameras store the sensor's rows and an EXIF tag saying how to turn them: hipp shows the photo
// as viewers do (OpenCV's colour reader included), and leaves it as stored where asked.
TEST(Image, TurnsAJpegAsItsExifOrientationSays) {
  torch::manual_seed(6);
  auto rgb = torch::randint(0, 256, {3, 19, 23}, torch::kUInt8);
  auto jpeg = image::encode_jpeg(rgb, image::JpegSettings{95, 1, 1});
  auto stored = image::decode(jpeg, "stored");
  EXPECT_EQ(image::jpeg_extras(jpeg).orientation, 1);
  for (int o = 1; o <= 8; ++o)
    for (bool motorola : {true, false}) {
      auto tagged = test::with_exif_orientation(jpeg, o, motorola);
      EXPECT_EQ(image::jpeg_extras(tagged).orientation, o);
      cv::Mat shown = cv::imdecode(tagged, cv::IMREAD_COLOR);
      cv::cvtColor(shown, shown, cv::COLOR_BGR2RGB);
      auto opencv = torch::from_blob(shown.data, {shown.rows, shown.cols, 3}, torch::kUInt8).permute({2, 0, 1});
      EXPECT_TRUE(torch::equal(image::decode(tagged, "tagged"), opencv)) << o << motorola;
      EXPECT_TRUE(torch::equal(image::decode(tagged, "tagged", image::Orientation::as_stored), stored)) << o;
    }
  EXPECT_EQ(image::decode(test::with_exif_orientation(jpeg, 6), "6").sizes(), torch::IntArrayRef({3, 23, 19}));
  EXPECT_TRUE(torch::equal(image::decode(test::with_exif_orientation(jpeg, 9), "9"), stored)) << "no such orientation";
  auto cut_tag = test::with_exif_orientation(jpeg, 6);
  cut_tag[19] = 200;  // the first IFD's offset (SOI, marker, length, "Exif\0\0", 4 TIFF bytes in) past the segment
  EXPECT_EQ(image::jpeg_extras(cut_tag).orientation, 1);
  EXPECT_TRUE(torch::equal(image::decode(cut_tag, "cut tag"), stored));
}

// Data after a JPEG's end (a motion photo's video, an HDR gain map's second image) is no damage;
// a file that ends inside its image is, wherever it was cut.
TEST(Image, AJpegWithDataAfterItsEndDecodesAndACutOneDoesNot) {
  torch::manual_seed(7);
  auto rgb = torch::randint(0, 256, {3, 40, 56}, torch::kUInt8);
  for (auto jpeg : {image::encode_jpeg(rgb, 90),
                    cv_encode(".jpg", cv::Mat(40, 56, CV_8UC3, rgb.permute({1, 2, 0}).contiguous().data_ptr<uint8_t>()),
                              {cv::IMWRITE_JPEG_PROGRESSIVE, 1, cv::IMWRITE_JPEG_RST_INTERVAL, 2})}) {
    EXPECT_EQ(image::jpeg_extras(jpeg).trailing_bytes, 0u);
    auto motion = jpeg;
    auto video = test::read_bytes(fixture("scenes/sea.jpg"));  // a whole second JPEG, as a gain map
    motion.insert(motion.end(), video.begin(), video.end());
    EXPECT_EQ(image::jpeg_extras(motion).trailing_bytes, video.size());
    EXPECT_TRUE(torch::equal(image::decode(motion, "motion"), image::decode(jpeg, "jpeg")));
    for (size_t keep : {size_t{40}, jpeg.size() / 2, jpeg.size() - 2}) {
      std::vector<uint8_t> cut(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(keep));
      SCOPED_TRACE(keep);
      EXPECT_ERROR_HAS(image::decode(cut, "cut"), "cut: truncated JPEG");
      EXPECT_EQ(image::jpeg_extras(cut).trailing_bytes, 0u);
    }
  }
}

TEST(Image, BadInputsFailWithTheFileName) {
  test::TempDir dir;
  auto expect_error = [](const std::string& path, const std::string& part) {
    try {
      image::load(path);
      ADD_FAILURE() << "no error for " << path;
    } catch (const Error& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find(path), std::string::npos) << msg;
      EXPECT_NE(msg.find(part), std::string::npos) << msg;
    }
  };
  expect_error(dir / "missing.png", "no such file");
  test::write_bytes(dir / "empty.png", "");
  expect_error(dir / "empty.png", "empty");
  test::write_bytes(dir / "text.jpg", "this is not an image");
  expect_error(dir / "text.jpg", "not a readable image");
  auto jpeg = test::read_bytes(fixture("scenes/sea.jpg"));
  test::write_bytes(dir / "cut.jpg", jpeg.substr(0, jpeg.size() / 2));
  expect_error(dir / "cut.jpg", "truncated");
  auto png = image::encode_png(torch::randint(0, 256, {3, 32, 32}).to(torch::kUInt8));
  test::write_bytes(dir / "cut.png", std::string(png.begin(), png.begin() + png.size() / 2));
  expect_error(dir / "cut.png", "truncated PNG");
  png[png.size() / 2] ^= 0xFF;  // damaged in the middle, end chunk intact
  test::write_bytes(dir / "bad.png", std::string(png.begin(), png.end()));
  expect_error(dir / "bad.png", "not a readable image");
  expect_error(dir.path.string(), "directory");
  test::write_bytes(dir / "phone.heic", std::string("\0\0\0\x18" "ftypheic\0\0\0\0mif1heic", 24));
  EXPECT_ERROR_KIND(image::load(dir / "phone.heic"), ErrorKind::damaged);  // a HEIF brand, and nothing else
  expect_error(dir / "phone.heic", "not a readable image (HEIF: ");
}

// A small file that claims a huge image is refused from its header, before the decoder allocates.
TEST(Image, PixelLimitIsCheckedFromTheHeader) {
  auto rgb = image::center_crop_resize(image::load(fixture("scenes/forest.jpg")), 40, 1.0);
  auto png = image::encode_png(rgb);
  auto jpeg = image::encode_jpeg(rgb, 90);
  EXPECT_EQ(image::header_size(png), std::make_pair(40u, 40u));
  EXPECT_EQ(image::header_size(jpeg), std::make_pair(40u, 40u));
  EXPECT_EQ(image::header_size(std::vector<uint8_t>{'B', 'M', 0, 0}), std::make_pair(0u, 0u));

  // 40x40 claimed as 60000x50000 (3 GP): PNG's IHDR (its CRC no longer matches: libpng would say
  // so, but the limit comes first), and the JPEG's frame header.
  auto huge_png = png;
  const uint8_t w[4] = {0, 0, 0xEA, 0x60}, h[4] = {0, 0, 0xC3, 0x50};
  std::copy(w, w + 4, huge_png.begin() + 16);
  std::copy(h, h + 4, huge_png.begin() + 20);
  EXPECT_ERROR_KIND(image::decode(huge_png, "huge.png"), ErrorKind::too_large);
  auto huge_jpeg = jpeg;
  for (size_t i = 2; i + 9 < huge_jpeg.size(); ++i)
    if (huge_jpeg[i] == 0xFF && huge_jpeg[i + 1] == 0xC0) {
      huge_jpeg[i + 5] = 0xC3, huge_jpeg[i + 6] = 0x50, huge_jpeg[i + 7] = 0xEA, huge_jpeg[i + 8] = 0x60;
      break;
    }
  EXPECT_EQ(image::header_size(huge_jpeg), std::make_pair(60000u, 50000u));
  try {
    image::decode(huge_jpeg, "huge.jpg");
    ADD_FAILURE() << "a 3 GP JPEG was decoded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind, ErrorKind::too_large);
    EXPECT_NE(std::string(e.what()).find("huge.jpg: 60000x50000 (3000.0 MP) is over the limit of 134.2 MP"),
              std::string::npos) << e.what();
  }

  image::set_max_pixels(40 * 40);  // exactly at the limit is fine; one pixel over is not
  EXPECT_NO_THROW(image::decode(png, "ok.png"));
  image::set_max_pixels(40 * 40 - 1);
  EXPECT_ERROR_KIND(image::decode(jpeg, "small.jpg"), ErrorKind::too_large);
  image::set_max_pixels(image::kDefaultMaxPixels);
}

// Beyond PNG and JPEG only the common photo formats go to OpenCV: a 135-byte input that
// libFuzzer found (fuzz/, image_decode) made OpenCV's DICOM reader abort the process.
TEST(Image, OnlyPhotoFormatsReachOpenCv) {
  auto rgb = image::center_crop_resize(image::load(fixture("scenes/forest.jpg")), 24, 1.0);
  cv::Mat bgr;
  cv::cvtColor(cv::Mat(24, 24, CV_8UC3, rgb.permute({1, 2, 0}).contiguous().data_ptr<uint8_t>()), bgr, cv::COLOR_RGB2BGR);
  for (const char* ext : {".bmp", ".tiff", ".webp", ".ppm"}) {
    std::vector<uint8_t> bytes;
    ASSERT_TRUE(cv::imencode(ext, bgr, bytes, {cv::IMWRITE_WEBP_QUALITY, 101})) << ext;  // WebP lossless
    EXPECT_TRUE(torch::equal(image::decode(bytes, ext), rgb)) << ext;
  }
  auto crash = test::read_bytes(fixture("fuzz/opencv-gdcm-abort.bin"));
  EXPECT_ERROR_KIND(image::decode(std::vector<uint8_t>(crash.begin(), crash.end()), "fuzz"), ErrorKind::damaged);
}

// The walk behind every header parser: every scan of a progressive JPEG with restart markers,
// fill bytes before a marker, and a stop where the visitor asks for one.
TEST(Image, TheSegmentWalkReachesEveryScanAndTheEnd) {
  torch::manual_seed(8);
  auto rgb = torch::randint(0, 256, {3, 40, 56}, torch::kUInt8);
  auto jpeg = cv_encode(".jpg", cv::Mat(40, 56, CV_8UC3, rgb.permute({1, 2, 0}).contiguous().data_ptr<uint8_t>()),
                        {cv::IMWRITE_JPEG_PROGRESSIVE, 1, cv::IMWRITE_JPEG_RST_INTERVAL, 2});
  jpeg.insert(jpeg.begin() + 2, {0xFF, 0xFF});  // fill bytes before the first segment
  std::vector<uint8_t> markers;
  auto walk = image::walk_jpeg_segments(jpeg, [&](const image::JpegSegment& s) {
    markers.push_back(s.marker);
    EXPECT_EQ(jpeg[s.body - 3], s.marker);
    EXPECT_EQ(size_t{jpeg[s.body - 2]} << 8 | jpeg[s.body - 1], s.end - s.body + 2);
    return true;
  });
  EXPECT_EQ(walk.stop, image::JpegWalk::end_of_image);
  EXPECT_EQ(walk.pos, jpeg.size());
  EXPECT_EQ(std::count(markers.begin(), markers.end(), 0xDA), 10);  // libjpeg's progression for colour
  EXPECT_EQ(markers.front(), 0xE0);

  size_t sof_end = 0;
  walk = image::walk_jpeg_segments(jpeg, [&](const image::JpegSegment& s) {
    sof_end = s.end;
    return s.marker != 0xC2;
  });
  EXPECT_EQ(walk.stop, image::JpegWalk::stopped);
  EXPECT_EQ(walk.pos, sof_end);

  std::vector<uint8_t> cut(jpeg.begin(), jpeg.end() - 3);
  EXPECT_NE(image::walk_jpeg_segments(cut, [](const image::JpegSegment&) { return true; }).stop,
            image::JpegWalk::end_of_image);
}

// libjpeg skips garbage between segments, which image::header_size's walk does not, so the limit
// is checked again on the size libjpeg read, before it decodes (fuzz_image_decode found a 314-byte
// file that made the decoder fill 180 MP first). This one's quantization tables are undefined,
// which fails only once decoding starts: too_large shows the check came first.
TEST(Image, PixelLimitHoldsWhenTheSegmentWalkMissesTheSize) {
  auto file = test::read_bytes(fixture("fuzz/jpeg-size-hidden-from-segment-walk.jpg"));
  const std::vector<uint8_t> bytes(file.begin(), file.end());
  EXPECT_EQ(image::header_size(bytes), (std::pair<uint32_t, uint32_t>{0, 0}));
  EXPECT_ERROR_KIND(image::decode(bytes, "fuzz.jpg"), ErrorKind::too_large);
  EXPECT_ERROR_KIND(image::transcode_jpeg(bytes, "fuzz.jpg", [](std::vector<image::CoefficientPlane>&) {}),
                    ErrorKind::too_large);
}

TEST(Image, AtomicWriteLeavesNothingOnFailure) {
  test::TempDir dir;
  EXPECT_THROW(image::save_png(dir / "no/such/folder/x.png", torch::zeros({3, 2, 2}, torch::kUInt8)), Error);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path));
}

TEST(Image, ThumbnailIsTheBlockMean) {
  auto img = torch::zeros({3, 4, 6}, torch::kUInt8);
  img.slice(1, 0, 2).slice(2, 0, 2).fill_(100);  // top-left 2x2 block
  img.slice(1, 2, 4).slice(2, 4, 6).fill_(40);
  img[0][0][0] = 104;
  auto t = image::thumbnail(img, 2);
  EXPECT_EQ(t.sizes(), torch::IntArrayRef({3, 2, 3}));
  EXPECT_FLOAT_EQ(t[0][0][0].item<float>(), 101.0f);
  EXPECT_FLOAT_EQ(t[1][0][0].item<float>(), 100.0f);
  EXPECT_FLOAT_EQ(t[1][1][2].item<float>(), 40.0f);
  // Edge blocks cut short by the image border average only their own pixels.
  auto odd = torch::full({3, 5, 5}, 9, torch::kUInt8);
  auto to = image::thumbnail(odd, 4);
  EXPECT_EQ(to.sizes(), torch::IntArrayRef({3, 2, 2}));
  EXPECT_NEAR(to.min().item<float>(), 9.0f, 1e-5);
}

TEST(Image, CenterCropResizeAndGrid) {
  auto img = image::load(fixture("scenes/bsds_100007.jpg"));
  auto c = image::center_crop_resize(img, 64, 0.8);
  EXPECT_EQ(c.sizes(), torch::IntArrayRef({3, 64, 64}));
  auto same = image::center_crop_resize(torch::ones({3, 10, 20}, torch::kUInt8), 10);
  EXPECT_EQ(same.sizes(), torch::IntArrayRef({3, 10, 10}));
  auto grid = image::make_grid(torch::zeros({5, 3, 8, 8}, torch::kUInt8), 2, 1);
  EXPECT_EQ(grid.sizes(), torch::IntArrayRef({3, 3 * 9 + 1, 2 * 9 + 1}));
}

TEST(Image, FloatConversions) {
  auto img = torch::randint(0, 256, {3, 5, 5}).to(torch::kUInt8);
  EXPECT_TRUE(torch::equal(image::from_float(image::to_float(img)), img));
}

// metrics::ssim runs separable windows over bands of rows; the plain definition (one 2-D
// convolution over the whole image) must give the same number.
TEST(Metrics, SsimInBandsMatchesTheWholeImageDefinition) {
  torch::manual_seed(3);
  auto a = torch::randint(0, 256, {3, 70, 90}, torch::kUInt8);
  auto b = (a.to(torch::kInt32) + torch::randint(-20, 21, a.sizes(), torch::kInt32)).clamp(0, 255).to(torch::kUInt8);
  auto g = torch::arange(11, torch::kFloat64) - 5.0;
  g = torch::exp(-g.pow(2) / (2 * 1.5 * 1.5));
  g = g / g.sum();
  auto w = torch::outer(g, g).view({1, 1, 11, 11});
  auto x = a.to(torch::kFloat64).unsqueeze(1), y = b.to(torch::kFloat64).unsqueeze(1);
  auto blur = [&](const torch::Tensor& t) { return torch::nn::functional::conv2d(t, w); };
  auto mx = blur(x), my = blur(y);
  auto sxx = blur(x * x) - mx * mx, syy = blur(y * y) - my * my, sxy = blur(x * y) - mx * my;
  const double c1 = std::pow(0.01 * 255, 2), c2 = std::pow(0.03 * 255, 2);
  auto map = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2));
  for (int64_t band : {0, 1, 7, 60, 100}) EXPECT_NEAR(metrics::ssim_in_bands(a, b, band), map.mean().item<double>(), 1e-12);
  EXPECT_NEAR(metrics::ssim(a, a), 1.0, 1e-12);
}

// BRISQUE and the face cascade (hipp eval's naturalness columns) on what they must tell apart.
TEST(Naturalness, BrisqueAndTheFaceCascadeTellPhotosFromNoise) {
  const metrics::NaturalnessMeter meter;
  if (!meter.available()) GTEST_SKIP() << meter.missing();
  auto photo = image::load(fixture("scenes/mountain.jpg"));  // 12.7 (forest's dense leaves: 46)
  auto face = image::load(fixture("faces/sample6_face.png"));
  torch::manual_seed(1);
  auto noise = torch::randint(0, 256, photo.sizes(), torch::kUInt8);
  const double natural = meter.brisque(photo), noisy = meter.brisque(noise);
  EXPECT_LT(natural, 25) << natural;
  EXPECT_GT(noisy, natural + 40) << noisy << " vs " << natural;  // 87
  EXPECT_EQ(meter.face_found(face), 1.0);
  EXPECT_EQ(meter.face_found(photo), 0.0);
  EXPECT_EQ(meter.face_found(torch::randint(0, 256, face.sizes(), torch::kUInt8)), 0.0);
}
