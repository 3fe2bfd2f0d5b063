// hipp data pack: crop, resize and split an image collection once, into a packed set
// (*.tensors, for fast reloading and the trainer-only build) or a folder of small JPEGs
// (compact enough to carry to a GPU machine, see scripts/gpu/).
#include <spdlog/spdlog.h>

#include <filesystem>

#include "cli/commands.h"
#include "common/error.h"
#include "data/image_folder.h"
#include "image/image.h"

namespace hipp::cli {
namespace fs = std::filesystem;

void add_data_commands(CLI::App& app, Globals& g) {
  struct Args {
    std::vector<std::string> data;
    std::string out, identities, split = "all";
    double test_fraction = 0.05, crop = 1.0;
    int size = 64, quality = 95;
    int64_t limit = 0;
  };
  auto a = std::make_shared<Args>();
  auto* data = app.add_subcommand("data", "prepare image collections: pack");
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
}

}  // namespace hipp::cli
