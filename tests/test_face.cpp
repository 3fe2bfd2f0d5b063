// The face recognition network: face-api's JavaScript gives the golden descriptor; distances
// behave (a face is near itself and its shifted/resized copies, far from a scene); pairs draw.
// The tiny face detector: face-api's JavaScript gives the golden boxes; it finds the fixture's
// face and none in scenes. The landmark network: golden points; its square frames the face.
#include <cmath>
#include <fstream>
#include <set>

#include "face/face_detector.h"
#include "face/face_landmarks.h"
#include "face/face_net.h"
#include "face/pairs.h"
#include "image/image.h"
#include "service/content.h"
#include "test_util.h"

using namespace hipp;

namespace {

// One network for the suite: loading it is the slow part.
const face::FaceNet* net() {
  static std::unique_ptr<face::FaceNet> n;
  if (!n && !face::face_model_dir().empty()) n = std::make_unique<face::FaceNet>();
  return n.get();
}

#define REQUIRE_MODEL()                                                                           \
  if (!net()) GTEST_SKIP() << "face model not fetched (scripts/setup.sh, or set HIPP_FACE_MODEL)"

torch::Tensor fixture_face() { return image::load(test::fixture("faces/sample6_face.png")); }

}  // namespace

TEST(Face, MissingModelNamesSetup) {
  test::TempDir tmp;
  EXPECT_ERROR_HAS(face::FaceNet(tmp.path.string()), "scripts/setup.sh");
}

TEST(Face, DistanceIsRowwiseEuclidean) {
  auto a = torch::zeros({2, 128}), b = torch::zeros({2, 128});
  b[0][0] = 3, b[0][1] = 4, b[1][5] = -2;
  EXPECT_TRUE(torch::allclose(face::descriptor_distance(a, b), torch::tensor({5.0f, 2.0f})));
}

TEST(Face, GoldenDescriptorFromFaceApiJs) {
  REQUIRE_MODEL();
  std::ifstream in(test::fixture("faces/sample6_face.golden.txt"));
  std::vector<float> golden{std::istream_iterator<float>(in), {}};
  ASSERT_EQ(golden.size(), 128u);
  auto d = net()->describe(fixture_face());
  ASSERT_EQ(d.sizes(), (std::vector<int64_t>{1, 128}));
  EXPECT_LT((d[0] - torch::tensor(golden)).abs().max().item<double>(), 1e-3);
}

const face::FaceDetector* detector() {
  static std::unique_ptr<face::FaceDetector> d;
  if (!d && !face::face_model_dir("tiny_face_detector_model").empty()) d = std::make_unique<face::FaceDetector>();
  return d.get();
}

#define REQUIRE_DETECTOR()                                                                       \
  if (!detector()) GTEST_SKIP() << "face detector not fetched (scripts/setup.sh, or set HIPP_FACE_MODEL)"

TEST(FaceDetector, MissingModelNamesSetup) {
  test::TempDir tmp;
  EXPECT_ERROR_HAS(face::FaceDetector(tmp.path.string()), "scripts/setup.sh");
}

TEST(FaceDetector, GoldenBoxesFromFaceApiJs) {
  REQUIRE_DETECTOR();
  std::ifstream in(test::fixture("faces/sample6_group.golden.txt"));
  std::vector<double> golden{std::istream_iterator<double>(in), {}};
  ASSERT_EQ(golden.size(), 10u);  // two faces: score x y width height
  face::DetectOptions js;  // face-api's single pass, at the reference's threshold
  js.min_score = 0.3, js.borders = {};
  auto faces = detector()->detect(image::load(test::fixture("faces/sample6_group.png")), js);
  ASSERT_EQ(faces.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    auto& f = faces[i];
    const double* g = &golden[5 * i];
    EXPECT_NEAR(f.score, g[0], 1e-4);
    EXPECT_NEAR(f.x, g[1], 0.05);
    EXPECT_NEAR(f.y, g[2], 0.05);
    EXPECT_NEAR(f.width, g[3], 0.05);
    EXPECT_NEAR(f.height, g[4], 0.05);
  }
}

TEST(FaceDetector, FindsTheChipsFaceAndNoneInScenes) {
  REQUIRE_DETECTOR();
  auto faces = detector()->detect(fixture_face());
  ASSERT_GE(faces.size(), 1u);
  EXPECT_GT(faces[0].score, 0.8);
  EXPECT_GT(faces[0].width, 60);  // the chip is mostly face
  for (auto name : {"mountain.jpg", "street.jpg", "forest.jpg"})
    EXPECT_TRUE(detector()->detect(image::load(test::fixture(std::string("scenes/") + name))).empty()) << name;
}

// hipp protect's default model looks at what a photo shows: a face chip and a portrait-sized
// face are face photos, scenes are not, and a face too small for its frame does not count.
TEST(ContentJudge, FacePhotosAreThoseAFaceFills) {
  REQUIRE_DETECTOR();
  service::ContentJudge judge;
  ASSERT_TRUE(judge.available());
  EXPECT_EQ(judge.judge(fixture_face()), protect::Content::faces);
  for (auto name : {"mountain.jpg", "street.jpg", "forest.jpg"})
    EXPECT_EQ(judge.judge(image::load(test::fixture(std::string("scenes/") + name))), protect::Content::photos) << name;
  auto small = torch::constant_pad_nd(fixture_face(), {300, 300, 300, 300});  // the face spans 1/5 of the side
  EXPECT_EQ(judge.judge(small), protect::Content::photos);
  EXPECT_TRUE(service::content_matters(128, 100));
  EXPECT_FALSE(service::content_matters(64, 64));
  EXPECT_FALSE(service::content_matters(300, 200));
}

TEST(FaceDetector, RejectsBadInput) {
  REQUIRE_DETECTOR();
  EXPECT_ERROR_HAS(detector()->detect(torch::zeros({3, 8, 8})), "uint8");
  face::DetectOptions odd;
  odd.input_size = 100;
  EXPECT_ERROR_HAS(detector()->detect(fixture_face(), odd), "multiple of 32");
}

TEST(Face, DistancesBehave) {
  REQUIRE_MODEL();
  auto img = fixture_face();
  auto shifted = img.slice(1, 0, 144).slice(2, 6, 150);  // 6 px left, 6 px shorter: describe enlarges it
  auto smaller = image::resize(img, 128, 128);
  auto scene = image::center_crop_resize(image::load(test::fixture("scenes/mountain.jpg")), 150);
  auto d = net()->describe(img);
  auto dist = [&](const torch::Tensor& other) { return face::descriptor_distance(d, net()->describe(other)).item<double>(); };
  EXPECT_LT(dist(img), 1e-6);
  EXPECT_LT(dist(shifted), 0.6 * face::kMatchDistance);
  EXPECT_LT(dist(smaller), 0.6 * face::kMatchDistance);
  EXPECT_GT(dist(scene), face::kMatchDistance);
}

TEST(Face, BatchMatchesSingleImages) {
  REQUIRE_MODEL();
  auto img = fixture_face();
  auto batch = torch::stack({img, img.flip(2)});
  auto d = net()->describe(batch);
  EXPECT_TRUE(torch::allclose(d[1], net()->describe(img.flip(2))[0], 1e-4, 1e-5));
  EXPECT_LT(face::descriptor_distance(d[0], d[1]).item<double>(), face::kMatchDistance);  // a mirrored face is still the person
}

TEST(Face, PairsAreHalfSameAndSeeded) {
  test::TempDir tmp;
  std::vector<std::string> files;
  std::string list;
  for (int i = 0; i < 40; ++i) {
    auto name = std::to_string(100 + i) + ".jpg";
    files.push_back("/data/" + name);
    list += name + " " + std::to_string(i % 8) + "\n";
  }
  test::write_bytes(tmp / "ids.txt", list);
  auto pairs = face::sample_pairs(files, tmp / "ids.txt", 100, 7);
  ASSERT_EQ(pairs.size(), 100u);
  auto id = [](const std::string& f) { return (std::stoi(f.substr(6, 3)) - 100) % 8; };
  for (size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_EQ(pairs[i].same, i < 50);
    EXPECT_EQ(id(pairs[i].a) == id(pairs[i].b), pairs[i].same) << pairs[i].a << " " << pairs[i].b;
    EXPECT_NE(pairs[i].a, pairs[i].b);
  }
  auto again = face::sample_pairs(files, tmp / "ids.txt", 100, 7);
  auto other = face::sample_pairs(files, tmp / "ids.txt", 100, 8);
  EXPECT_EQ(again[17].a + again[80].b, pairs[17].a + pairs[80].b);
  std::set<std::string> differ;
  for (size_t i = 0; i < pairs.size(); ++i) differ.insert(pairs[i].a == other[i].a ? "" : pairs[i].a);
  EXPECT_GT(differ.size(), 10u);
  EXPECT_ERROR_HAS(face::sample_pairs(files, tmp / "missing.txt", 10, 1), "missing.txt");
}

TEST(Face, CliDescribesAndCompares) {
  REQUIRE_MODEL();
  auto face = test::fixture("faces/sample6_face.png"), scene = test::fixture("scenes/mountain.jpg");
  auto r = test::run_hipp("face describe " + face + " " + face);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("distance 0.0000: same person"), std::string::npos) << r.output;
  r = test::run_hipp("face describe " + face + " " + scene);
  EXPECT_NE(r.output.find("different people"), std::string::npos) << r.output;
  r = test::run_hipp("face describe " + face + " --model /nonexistent");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("scripts/setup.sh"), std::string::npos) << r.output;
}

TEST(FaceDetector, CliListsFacesOrNone) {
  REQUIRE_DETECTOR();
  auto group = test::fixture("faces/sample6_group.png"), scene = test::fixture("scenes/mountain.jpg");
  auto r = test::run_hipp("face detect " + group + " " + scene);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find(group + " 0.94"), std::string::npos) << r.output;  // best face first
  EXPECT_NE(r.output.find(scene + " none"), std::string::npos) << r.output;
  r = test::run_hipp("face detect --input-size 100 " + group);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("multiple of 32"), std::string::npos) << r.output;
  r = test::run_hipp("face detect " + group + " --model /nonexistent");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("scripts/setup.sh"), std::string::npos) << r.output;
  EXPECT_NE(test::run_hipp("face detect /nonexistent.png").code, 0);
}

TEST(FaceLandmarks, GoldenPointsFromFaceApiJs) {
  if (face::face_model_dir("face_landmark_68_tiny_model").empty())
    GTEST_SKIP() << "face landmark model not fetched (scripts/setup.sh, or set HIPP_FACE_MODEL)";
  std::ifstream in(test::fixture("faces/sample6_group.landmarks.txt"));
  std::vector<double> golden{std::istream_iterator<double>(in), {}};
  ASSERT_EQ(golden.size(), 136u);
  face::LandmarkNet net;
  auto crop = image::load(test::fixture("faces/sample6_group.png")).slice(1, 50, 140).slice(2, 115, 200);  // 85x90, as the reference
  auto points = net.locate(crop.contiguous());
  ASSERT_EQ(points.sizes(), (std::vector<int64_t>{68, 2}));
  EXPECT_LT((points.flatten() - torch::tensor(golden, torch::kFloat64)).abs().max().item<double>(), 0.05);
  EXPECT_ERROR_HAS(net.locate(torch::zeros({3, 8, 8})), "uint8");
}

TEST(FaceLandmarks, SquareFramesTheFaceInsideTheImage) {
  // Eyes (points 36-47) at y 40, x 40 and 80; mouth (48-67) at (60, 85): eye-mouth distance 49.2.
  auto points = torch::zeros({68, 2}, torch::kFloat64);
  points.slice(0, 36, 42).copy_(torch::tensor({40.0, 40.0}, torch::kFloat64).expand({6, 2}));
  points.slice(0, 42, 48).copy_(torch::tensor({80.0, 40.0}, torch::kFloat64).expand({6, 2}));
  points.slice(0, 48, 68).copy_(torch::tensor({60.0, 85.0}, torch::kFloat64).expand({20, 2}));
  const double side = std::hypot(20.0, 45.0) / 0.45;  // face-api's alignDlib
  auto sq = face::landmark_square(points, 300, 300);
  EXPECT_EQ(sq.side, std::llround(side));
  EXPECT_NEAR(sq.x, 60 - side / 2, 1.0);  // the centres' mean at 0.5 across (whole pixels)
  EXPECT_NEAR(sq.y, 55 - 0.43 * side, 1.0);  // ... and 0.43 down
  sq = face::landmark_square(points - 20.0, 300, 300);  // near the top left: moved inside
  EXPECT_EQ(sq.x, 0);
  EXPECT_EQ(sq.y, 0);
  sq = face::landmark_square(points * 4.0, 200, 100);  // larger than the image: shrunk to fit
  EXPECT_EQ(sq.side, 100);
  REQUIRE_DETECTOR();
  face::LandmarkNet net;
  auto group = image::load(test::fixture("faces/sample6_group.png"));
  auto found = face::find_face_square(group, *detector(), &net);
  ASSERT_TRUE(found.has_value());
  auto best = detector()->detect(group)[0];  // the square lies on the best face
  EXPECT_NEAR(found->x + found->side / 2.0, best.x + best.width / 2, best.width / 4);
  EXPECT_NEAR(found->y + found->side / 2.0, best.y + best.height / 2, best.height / 4);
  EXPECT_FALSE(face::find_face_square(image::load(test::fixture("scenes/mountain.jpg")), *detector(), &net));
}
