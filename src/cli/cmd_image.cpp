// hipp thumbnail: the block-average thumbnail every protected image must keep;
// hipp compare: SSIM, PSNR and thumbnail PSNR between two images.
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "image/image.h"
#include "metrics/metrics.h"

namespace hipp::cli {

void add_image_commands(CLI::App& app, Globals& g) {
  struct Args {
    std::string in, out;
    int block = 8;
    bool upscale = false;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("thumbnail", "write the block-average thumbnail of an image (PNG)");
  cmd->add_option("input", a->in, "image (PNG, JPEG, ...)")->required();
  cmd->add_option("-o,--out", a->out, "output PNG")->required();
  cmd->add_option("-b,--block", a->block, "block size in pixels")->default_val(8)->check(CLI::Range(1, 4096));
  cmd->add_flag("--upscale", a->upscale, "repeat each block so the thumbnail has the input's size");
  cmd->callback([a, &g] {
    apply_globals(g);
    auto img = image::load(a->in);
    auto thumb = image::thumbnail(img, a->block).round().clamp(0, 255).to(torch::kUInt8);
    if (a->upscale)
      thumb = thumb.repeat_interleave(a->block, 1).repeat_interleave(a->block, 2)
                  .slice(1, 0, img.size(1)).slice(2, 0, img.size(2)).contiguous();
    image::save_png(a->out, thumb);
    spdlog::info("wrote {} ({}x{})", a->out, thumb.size(2), thumb.size(1));
  });

  struct CompareArgs {
    std::string a, b;
    int block = 8;
  };
  auto c = std::make_shared<CompareArgs>();
  auto* cmp = app.add_subcommand("compare", "SSIM, PSNR and thumbnail PSNR between two images of one size");
  cmp->add_option("first", c->a, "image")->required();
  cmp->add_option("second", c->b, "image")->required();
  cmp->add_option("-b,--block", c->block, "thumbnail block size")->default_val(8)->check(CLI::Range(1, 4096));
  cmp->callback([c, &g] {
    apply_globals(g);
    auto x = image::load(c->a), y = image::load(c->b);
    std::printf("ssim %.6f  psnr %.3f dB  thumbnail psnr (block %d) %.3f dB\n", metrics::ssim(x, y),
                metrics::psnr(x, y), c->block, metrics::thumbnail_psnr(x, y, c->block));
  });
}

}  // namespace hipp::cli
