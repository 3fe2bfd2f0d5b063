// heif.h on libheif (Debian's libheif-dev, with libde265 for HEVC and dav1d/aom for AV1).
#include <libheif/heif.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <memory>

#include "common/error.h"
#include "image/heif.h"
#include "image/image.h"

namespace hipp::image {
namespace {

struct Freed {
  void operator()(heif_context* c) const { heif_context_free(c); }
  void operator()(heif_image_handle* h) const { heif_image_handle_release(h); }
  void operator()(heif_image* i) const { heif_image_release(i); }
  void operator()(heif_decoding_options* o) const { heif_decoding_options_free(o); }
};
template <class T>
using Owned = std::unique_ptr<T, Freed>;

void check(heif_error e, const std::string& name) {
  if (e.code != heif_error_Ok)
    throw Error(ErrorKind::damaged, name + ": not a readable image (HEIF: " + std::string(e.message ? e.message : "?") + ")");
}

// The file's primary image; `bytes` must outlive it.
struct Primary {
  Owned<heif_context> ctx;
  Owned<heif_image_handle> handle;
};

Primary primary(const std::vector<uint8_t>& bytes, const std::string& name) {
  Primary p;
  p.ctx.reset(heif_context_alloc());
  if (!p.ctx) throw Error("libheif: out of memory");
  check(heif_context_read_from_memory_without_copy(p.ctx.get(), bytes.data(), bytes.size(), nullptr), name);
  heif_image_handle* h = nullptr;
  check(heif_context_get_primary_image_handle(p.ctx.get(), &h), name);
  p.handle.reset(h);
  return p;
}

}  // namespace

torch::Tensor decode_heif(const std::vector<uint8_t>& bytes, const std::string& name, bool warn) {
  auto p = primary(bytes, name);
  check_pixels(static_cast<uint64_t>(heif_image_handle_get_width(p.handle.get())),
               static_cast<uint64_t>(heif_image_handle_get_height(p.handle.get())), name);
  Owned<heif_decoding_options> options(heif_decoding_options_alloc());  // rotation and mirroring applied
  heif_image* decoded = nullptr;
  check(heif_decode_image(p.handle.get(), &decoded, heif_colorspace_RGB, heif_chroma_interleaved_RGB, options.get()), name);
  Owned<heif_image> img(decoded);
  int stride = 0;
  const uint8_t* plane = heif_image_get_plane_readonly(img.get(), heif_channel_interleaved, &stride);
  const int w = heif_image_get_width(img.get(), heif_channel_interleaved);
  const int h = heif_image_get_height(img.get(), heif_channel_interleaved);
  if (!plane || w <= 0 || h <= 0) throw Error(ErrorKind::damaged, name + ": not a readable image (HEIF: no pixels)");
  auto rgb = torch::empty({h, w, 3}, torch::kUInt8);
  for (int y = 0; y < h; ++y) std::memcpy(rgb.data_ptr<uint8_t>() + int64_t{y} * w * 3, plane + int64_t{y} * stride, size_t(w) * 3);
  if (warn && heif_image_handle_has_alpha_channel(p.handle.get())) spdlog::warn("{}: alpha channel dropped (RGBA converted to RGB)", name);
  if (warn && heif_image_handle_get_luma_bits_per_pixel(p.handle.get()) > 8) spdlog::warn("{}: deeper than 8 bits, converted to 8 bits", name);
  return rgb.permute({2, 0, 1}).contiguous();
}

std::vector<uint8_t> heif_icc_profile(const std::vector<uint8_t>& bytes) {
  try {
    auto p = primary(bytes, "HEIF");
    auto type = heif_image_handle_get_color_profile_type(p.handle.get());
    if (type != heif_color_profile_type_prof && type != heif_color_profile_type_rICC) return {};
    std::vector<uint8_t> icc(heif_image_handle_get_raw_color_profile_size(p.handle.get()));
    if (icc.empty() || heif_image_handle_get_raw_color_profile(p.handle.get(), icc.data()).code != heif_error_Ok) return {};
    return icc;
  } catch (const Error&) {
    return {};
  }
}

}  // namespace hipp::image
