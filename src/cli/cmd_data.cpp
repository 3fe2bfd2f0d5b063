// hipp data pack: crop, resize and split an image collection once, into a packed set
// (*.tensors, for fast reloading and the trainer-only build) or a folder of small JPEGs
// (compact enough to carry to a GPU machine, see scripts/gpu/).
#include <spdlog/spdlog.h>

#include <filesystem>
#include <map>

#include "cli/commands.h"
#include "common/error.h"
#include "data/image_folder.h"
#ifdef HIPP_WITH_OPENCV
#include "data/stress.h"
#endif
#include "image/image.h"

namespace hipp::cli {
namespace fs = std::filesystem;

namespace {

#ifdef HIPP_WITH_OPENCV  // its synthetic graphics are drawn with OpenCV
// hipp data stress: the stress set (data/stress.h) as PNG folders OUT/<size>/<transform>/.
void add_stress_command(CLI::App& data, Globals& g) {
  struct Args {
    std::vector<std::string> data;
    std::string out;
    std::vector<int> sizes{64, 128, 256};
    double crop = 1.0;
    int64_t limit = 20;
  };
  auto a = std::make_shared<Args>();
  std::string names;
  for (auto& n : data::stress_names()) names += (names.empty() ? "" : ", ") + n;
  auto* cmd = data.add_subcommand("stress", "write a stress set for restoration: photos made dark, bright, saturated, "
                                            "flat, noisy, monochrome, tinted, and synthetic graphics (" + names + ")");
  cmd->add_option("--data", a->data, "source photo folders or files (each contributes --limit photos)")->required();
  cmd->add_option("-o,--out", a->out, "new folder: OUT/<size>/<transform>/<name>.png")->required();
  cmd->add_option("--sizes", a->sizes, "square sizes to write")->delimiter(',')->default_str("64,128,256")
      ->check(CLI::Range(8, 4096));
  cmd->add_option("--crop", a->crop, "center square crop as a fraction of the short side")
      ->default_val(1.0)->check(CLI::Range(0.05, 1.0));
  cmd->add_option("--limit", a->limit, "photos taken from each --data entry, the first in sorted order (0: all)")
      ->default_val(20);
  cmd->callback([a, &g] {
    apply_globals(g);
    if (fs::exists(a->out)) throw Error(a->out + " already exists");
    std::vector<std::string> files;
    std::map<std::string, std::string> out_name;  // names prefixed by their source folder: no clashes
    for (auto& d : a->data) {
      auto in = data::list_images({d});
      if (a->limit > 0 && static_cast<int64_t>(in.size()) > a->limit) in.resize(a->limit);
      for (auto& f : in) out_name[f] = fs::path(d).filename().string() + "_" + fs::path(f).stem().string() + ".png";
      files.insert(files.end(), in.begin(), in.end());
    }
    for (int size : a->sizes) {
      auto set = data::load_images(files, size, a->crop, !g.quiet);
      for (size_t i = 0; i < set.paths.size(); ++i)
        for (auto& name : data::stress_names()) {
          auto dir = fs::path(a->out) / std::to_string(size) / name;
          fs::create_directories(dir);
          auto img = data::stress_transform(set.images[i], name, 1000003 * i + size);
          image::save_png((dir / out_name[set.paths[i]]).string(), img);
        }
    }
    spdlog::info("wrote {} images x {} transforms x {} sizes under {}", files.size(), data::stress_names().size(),
                 a->sizes.size(), a->out);
  });
}
#endif

}  // namespace

void add_data_commands(CLI::App& app, Globals& g) {
  struct Args {
    std::vector<std::string> data;
    std::string out, identities, split = "all";
    double test_fraction = 0.05, crop = 1.0;
    int size = 64, quality = 95;
    int64_t limit = 0;
  };
  auto a = std::make_shared<Args>();
  auto* data = app.add_subcommand("data", "prepare image collections (packed training sets, stress sets)");
  data->require_subcommand(1);
  auto* cmd = data->add_subcommand("pack", "crop, resize and split images into a packed set or a JPEG folder");
  cmd->add_option("--data", a->data, "image folders (searched recursively) or files")->required();
  cmd->add_option("-o,--out", a->out, "NAME.tensors (packed uint8 set) or a new folder (JPEG files)")->required();
  cmd->add_option("--size", a->size, "output size (square)")->default_val(64)->check(CLI::Range(4, 4096));
  cmd->add_option("--crop", a->crop, "center square crop as a fraction of the short side")
      ->default_val(1.0)->check(CLI::Range(0.05, 1.0));
  cmd->add_option("--split", a->split, "all, train or test side of the split (as in training)")
      ->default_val("all")->check(CLI::IsMember({"all", "train", "test"}));
  cmd->add_option("--identities", a->identities, "identity list (CelebA identity_CelebA.txt) for --split");
  cmd->add_option("--test-fraction", a->test_fraction, "held-out share for --split")->default_val(0.05);
  cmd->add_option("--limit", a->limit, "at most this many images (0: all)")->default_val(0);
  cmd->add_option("--quality", a->quality, "JPEG quality of a folder output")->default_val(95)->check(CLI::Range(1, 100));
  cmd->callback([a, &g] {
    apply_globals(g);
    auto files = data::list_images(a->data);
    auto split = data::parse_split(a->split);
    if (split != data::Split::All) files = data::select_split(files, split, a->identities, a->test_fraction);
    if (files.empty()) throw Error("no images in the '" + a->split + "' split");
    if (a->limit > 0 && static_cast<int64_t>(files.size()) > a->limit) files.resize(a->limit);
    if (fs::exists(a->out)) throw Error(a->out + " already exists");
    auto set = data::load_images(files, a->size, a->crop, !g.quiet);
    if (data::is_packed(a->out)) {
      data::save_packed(a->out, set);
    } else {
      fs::create_directories(a->out);
      for (size_t i = 0; i < set.paths.size(); ++i) {
        auto name = fs::path(set.paths[i]).stem().string() + ".jpg";
        write_file_atomic((fs::path(a->out) / name).string(), image::encode_jpeg(set.images[i], a->quality));
      }
    }
    spdlog::info("wrote {} ({} images at {}x{})", a->out, set.images.size(0), a->size, a->size);
  });
#ifdef HIPP_WITH_OPENCV
  add_stress_command(*data, g);
#endif
}

}  // namespace hipp::cli
