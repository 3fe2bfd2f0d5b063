#pragma once
// Image-quality metrics as the thumbnail-preserving-encryption literature defines them, on
// uint8 RGB images [3,H,W] of equal size.
#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace hipp::metrics {

// SSIM with an 11x11 Gaussian window (sigma 1.5) on 0..255 values, C1=(0.01*255)^2,
// C2=(0.03*255)^2, "valid" windows only, averaged over pixels and then channels.
// Images smaller than the window are compared with a window of their own size.
double ssim(const torch::Tensor& a, const torch::Tensor& b);
// The same, computed over bands of `band_rows` output rows (0: about a million pixels each).
double ssim_in_bands(const torch::Tensor& a, const torch::Tensor& b, int64_t band_rows);
// PSNR in dB (peak 255) between any two equal-shaped tensors on the 0..255 scale, whole batches
// included; equal ones give +infinity. Header-only: the trainer-only build has no image library.
inline double psnr_255(const torch::Tensor& a, const torch::Tensor& b) {
  double mse = (a.to(torch::kFloat64) - b.to(torch::kFloat64)).pow(2).mean().item<double>();
  return mse == 0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(255.0 * 255.0 / mse);
}
// PSNR in dB for 8-bit peak 255; identical images give +infinity.
double psnr(const torch::Tensor& a, const torch::Tensor& b);
// PSNR between the block-average thumbnails (float, unrounded) of a and b.
double thumbnail_psnr(const torch::Tensor& a, const torch::Tensor& b, int block);

}  // namespace hipp::metrics
