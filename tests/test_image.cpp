// Image loading, conversions, PNG round trip, thumbnails and the error paths.
#include <opencv2/imgcodecs.hpp>

#include "common/error.h"
#include "image/image.h"
#include "metrics/metrics.h"
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
