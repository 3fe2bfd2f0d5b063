// hipp face verify: the face network's verification accuracy on identity-labelled images;
// hipp face describe: descriptors of face crops, or the distance between two;
// hipp face detect: faces found by face-api's tiny face detector.
#include <cstdio>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "common/error.h"
#include "common/progress.h"
#include "data/image_folder.h"
#include "face/face_landmarks.h"
#include "face/face_net.h"
#include "face/pairs.h"
#include "image/image.h"

namespace hipp::cli {
namespace {

struct Crop {
  int x = 0, y = 0, size = 0;  // size 0: the centered square of the short side
  bool detect = false;         // the detector's best face (else the centered square)
};

Crop parse_crop(const std::string& s) {
  if (s == "center") return {};
  if (s == "detect") return {0, 0, 0, true};
  Crop c;
  char sep1 = 0, sep2 = 0;
  std::istringstream in(s);
  if (!(in >> c.x >> sep1 >> c.y >> sep2 >> c.size) || sep1 != ',' || sep2 != ',' || c.size < 1 || !in.eof())
    throw Error(ErrorKind::usage, "--crop: expected X,Y,SIZE (a square in pixels), 'center' or 'detect', got '" + s + "'");
  return c;
}

// What --crop detect needs: the detector, and landmarks to frame the face (as hipp eval does).
struct Finder {
  face::FaceDetector detector;
  face::LandmarkNet landmarks;
  explicit Finder(const std::string& dir) : detector(dir), landmarks(dir) {}
};

torch::Tensor crop_face(const std::string& path, const Crop& c, const Finder* finder, long& missed) {
  auto img = image::load(path);
  if (c.detect) {
    if (auto sq = face::find_face_square(img, finder->detector, &finder->landmarks))
      return img.slice(1, sq->y, sq->y + sq->side).slice(2, sq->x, sq->x + sq->side);
    ++missed;
  }
  if (c.size == 0) return image::center_crop_resize(img, 150);
  if (c.x < 0 || c.y < 0 || c.x + c.size > img.size(2) || c.y + c.size > img.size(1))
    throw Error(ErrorKind::usage, path + ": --crop square runs outside the " + std::to_string(img.size(2)) + "x" +
                std::to_string(img.size(1)) + " image");
  return img.slice(1, c.y, c.y + c.size).slice(2, c.x, c.x + c.size);
}

}  // namespace

void add_face_commands(CLI::App& app, Globals& g) {
  auto* face = app.add_subcommand("face", "face-api's networks: dlib's face recognition (128-d descriptors, match below 0.6) and the tiny face detector");
  face->require_subcommand(1);

  struct VerifyArgs {
    std::vector<std::string> data;
    std::string identities, crop, model;
    int pairs = 1000;
    uint64_t seed = 1;
  };
  auto v = std::make_shared<VerifyArgs>();
  auto* verify = face->add_subcommand("verify", "accuracy at distance 0.6 on same/different-identity pairs");
  verify->add_option("--data", v->data, "image folders or files")->required();
  verify->add_option("--identities", v->identities, "identity list: '<file name> <identity>' lines")->required();
  verify->add_option("--pairs", v->pairs, "pairs, half same identity")->default_val(1000)->check(CLI::Range(2, 10000000));
  verify->add_option("--seed", v->seed, "seed of the pair draw")->default_val(1);
  // Aligned 178x218 CelebA: this square approximates dlib's 150x150 face chip (see docs/design.md).
  verify->add_option("--crop", v->crop, "face square X,Y,SIZE in pixels, 'center', or 'detect' (the tiny face "
                                       "detector's best face, framed by its landmarks as hipp eval does; the "
                                       "centered square where it finds none)")
      ->default_val("38,82,102");
  verify->add_option("--model", v->model, "face-api model folder (default: the one setup.sh fetched)");
  verify->callback([v, &g] {
    apply_globals(g);
    auto crop = parse_crop(v->crop);
    face::FaceNet net(v->model);
    std::unique_ptr<Finder> finder;
    if (crop.detect) finder = std::make_unique<Finder>(v->model);
    long missed = 0;
    auto pairs = face::sample_pairs(data::list_images(v->data), v->identities, v->pairs, v->seed);
    std::map<std::string, torch::Tensor> desc;  // each image described once
    for (const auto& p : pairs) desc[p.a] = desc[p.b] = torch::Tensor();
    Progress bar("describe", static_cast<long>(desc.size()));
    long done = 0;
    for (auto it = desc.begin(); it != desc.end();) {
      std::vector<std::map<std::string, torch::Tensor>::iterator> batch;
      std::vector<torch::Tensor> faces;
      for (; it != desc.end() && batch.size() < 32; ++it) {
        batch.push_back(it);
        faces.push_back(image::resize(crop_face(it->first, crop, finder.get(), missed), 150, 150));
      }
      auto d = net.describe(torch::stack(faces));
      for (size_t i = 0; i < batch.size(); ++i) batch[i]->second = d[i];
      if (!g.quiet) bar.update(done += static_cast<long>(batch.size()));
    }
    if (!g.quiet) bar.finish();
    double sum[2] = {0, 0};
    long n[2] = {0, 0}, right[2] = {0, 0};
    for (const auto& p : pairs) {
      double dist = face::descriptor_distance(desc[p.a], desc[p.b]).item<double>();
      sum[p.same] += dist;
      n[p.same] += 1;
      right[p.same] += (dist < face::kMatchDistance) == p.same;
    }
    std::printf("pairs %ld same + %ld different, crop %s\n", n[1], n[0], v->crop.c_str());
    if (crop.detect) std::printf("no face found in %ld of %zu images (centered square used)\n", missed, desc.size());
    std::printf("accuracy at distance %.1f: %.2f%% (same identity %.2f%%, different %.2f%%)\n",
                face::kMatchDistance, 100.0 * (right[0] + right[1]) / (n[0] + n[1]),
                100.0 * right[1] / n[1], 100.0 * right[0] / n[0]);
    std::printf("mean distance: same identity %.4f, different %.4f\n", sum[1] / n[1], sum[0] / n[0]);
  });

  struct DescribeArgs {
    std::vector<std::string> images;
    std::string model;
  };
  auto d = std::make_shared<DescribeArgs>();
  auto* describe = face->add_subcommand("describe", "descriptor of each face crop (whole image, resized to "
                                                    "150x150); with two images, also their distance");
  describe->add_option("images", d->images, "face crops (PNG, JPEG, ...)")->required();
  describe->add_option("--model", d->model, "face-api model folder (default: the one setup.sh fetched)");
  describe->callback([d, &g] {
    apply_globals(g);
    face::FaceNet net(d->model);
    std::vector<torch::Tensor> desc;
    for (const auto& path : d->images) {
      desc.push_back(net.describe(image::load(path))[0]);
      std::printf("%s:", path.c_str());
      for (int64_t i = 0; i < desc.back().size(0); ++i) std::printf(" %.6f", desc.back()[i].item<double>());
      std::printf("\n");
    }
    if (desc.size() == 2) {
      double dist = face::descriptor_distance(desc[0], desc[1]).item<double>();
      std::printf("distance %.4f: %s\n", dist, dist < face::kMatchDistance ? "same person" : "different people");
    }
  });

  struct DetectArgs {
    std::vector<std::string> images;
    std::string model;
    face::DetectOptions options;
  };
  auto t = std::make_shared<DetectArgs>();
  auto* detect = face->add_subcommand("detect", "faces found by face-api's tiny face detector: one line per face, "
                                                "'IMAGE SCORE X Y WIDTH HEIGHT' (pixels, best first), or 'IMAGE "
                                                "none'");
  detect->add_option("images", t->images, "photos (PNG, JPEG, ...)")->required();
  detect->add_option("--min-score", t->options.min_score, "report faces scoring above this")
      ->default_val(t->options.min_score)->check(CLI::Range(0.0, 1.0));
  detect->add_option("--input-size", t->options.input_size, "square the photo is resized to (multiple of 32; larger "
                                                            "finds smaller faces, slower)")
      ->default_val(t->options.input_size)->check(CLI::Range(32, 4096));
  detect->add_option("--borders", t->options.borders, "further passes see the photo inside a black border of "
                                                      "each of these shares of its longer side, for faces that fill "
                                                      "the frame (0: face-api's single pass)")
      ->default_str("0.3 0.75 1.2")->check(CLI::Range(0.0, 4.0));
  detect->add_option("--model", t->model, "face-api model folder (default: the one setup.sh fetched)");
  detect->callback([t, &g] {
    apply_globals(g);
    if (t->options.input_size % 32 != 0) throw Error(ErrorKind::usage, "--input-size must be a multiple of 32");
    face::FaceDetector detector(t->model);
    for (const auto& path : t->images) {
      auto faces = detector.detect(image::load(path), t->options);
      if (faces.empty()) std::printf("%s none\n", path.c_str());
      for (auto& f : faces)
        std::printf("%s %.4f %.1f %.1f %.1f %.1f\n", path.c_str(), f.score, f.x, f.y, f.width, f.height);
    }
  });
}

}  // namespace hipp::cli
